#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <numeric>
#include <sstream>

#include "cli/explain.hpp"
#include "cli/report.hpp"
#include "runtime/platform.hpp"
#include "runtime/rbc_file.hpp"

namespace rb {

namespace {

std::string esc(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

// A number as the report shows it: the rulebook's decimals (小数位数, 2 unless it says).
std::string num(const Rational& v, int decimals) { return format_decimal(v, decimals); }

// Fonts come from the reader's machine: a list of common CJK fonts, no download.
constexpr const char* kStyle = R"(
:root { --ded: #c0392b; --bonus: #1e8449; --line: #d0d4d9; }
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei", "PingFang SC",
       "Microsoft YaHei", "SimHei", sans-serif; margin: 2em auto; max-width: 1100px; color: #1c2833; }
h1 { font-size: 1.6em; margin-bottom: .2em; }
table { border-collapse: collapse; margin: .8em 0; }
th, td { border: 1px solid var(--line); padding: .25em .6em; }
th { background: #f2f4f6; white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.vetoed td { color: #7b241c; background: #fdedec; }
.meta { color: #566573; font-size: .9em; }
section.unit { border-top: 2px solid var(--line); margin-top: 2em; padding-top: .5em; }
svg text { font-size: 12px; }
pre.trace { background: #fbfcfc; border: 1px solid var(--line); padding: .8em; overflow-x: auto; font-size: .85em; }
details > summary { cursor: pointer; color: #1f618d; }
@media print {
  body { margin: 0; max-width: none; }
  a { color: inherit; text-decoration: none; }
  section.unit { page-break-before: always; }
  details > summary { display: none; }
  details > * { display: block; }
}
)";

std::vector<size_t> ranking(const Result& r) {
  std::vector<size_t> order(r.units.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return r.units[a].score > r.units[b].score; });
  return order;
}

// Horizontal bars, one per category: deductions left in red, bonuses in green.
std::string chart(const UnitResult& u, const TraceNode& score, int decimals) {
  const int width = 520, bar_h = 18, gap = 6, label_w = 130;
  Rational max_value(1);
  for (const auto& [name, v] : u.categories) max_value = std::max(max_value, v);
  std::string svg = fmt::format(R"(<svg role="img" aria-label="{} 分类得分" width="{}" height="{}">)", esc(u.unit),
                                width, static_cast<int>(u.categories.size()) * (bar_h + gap) + gap);
  int y = gap;
  for (const auto& [name, v] : u.categories) {
    bool bonus = false;
    for (const auto& c : score.children)
      if (c.name == name) bonus = c.role == "bonus" || c.role == "points";
    double frac = to_double_rounded(v / max_value, 4);
    int w = static_cast<int>(frac * (width - label_w - 60));
    svg += fmt::format(R"svg(<text x="0" y="{}">{}</text><rect x="{}" y="{}" width="{}" height="{}" fill="var({})"/>)svg"
                       R"svg(<text x="{}" y="{}">{}{}</text>)svg",
                       y + 13, esc(name), label_w, y, w, bar_h, bonus ? "--bonus" : "--ded", label_w + w + 6, y + 13,
                       bonus ? "+" : "−", num(v, decimals));
    y += bar_h + gap;
  }
  return svg + "</svg>";
}

void items_table(const TraceNode& n, int depth, int decimals, std::string& out) {
  if (n.kind != "score") {
    std::string note;
    if (n.substituted) note = fmt::format("取 {} 个单位平均分", n.mean_over.size());
    else if (n.before_cap) note = fmt::format("合计 {}，按上限 {} 计", num(*n.before_cap, decimals), num(*n.cap, decimals));
    else if (n.ranked && n.rank > 0) note = fmt::format("第 {} 名（共 {} 个单位参与排名）", n.rank, n.ranked_units);
    out += fmt::format(R"(<tr class="{}"><td style="padding-left:{}em">{}</td><td>{}</td><td class="num">{}</td><td>{}</td></tr>)",
                       esc(n.kind), 0.6 + 1.2 * depth, esc(n.name), esc(n.citation), num(n.value, decimals), esc(note));
    out += "\n";
  }
  for (const auto& c : n.children) items_table(c, n.kind == "score" ? 0 : depth + 1, decimals, out);
}

}  // namespace

InputFile describe_input(const std::string& path) {
  InputFile f;
  f.path = path;
  std::ifstream in(native_path(path), std::ios::binary);
  if (!in) return f;
  std::ostringstream s;
  s << in.rdbuf();
  std::string data = s.str();
  f.bytes = data.size();
  f.hash = fmt::format("{:016x}", rbc_checksum(reinterpret_cast<const uint8_t*>(data.data()), data.size()));
  return f;
}

std::string format_html(const Result& r, const ReportMeta& meta) {
  std::string out = "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n";
  out += fmt::format("<title>{}</title>\n<style>{}</style>\n</head>\n<body>\n", esc(r.title), kStyle);
  out += fmt::format("<h1>{}</h1>\n<p class=\"meta\">考核期 {} 至 {}</p>\n", esc(r.title), r.period_from, r.period_to);
  out += fmt::format("<p class=\"meta\" id=\"provenance\">规则文件 {}（编译后哈希 FNV-1a {}）；记录 {} 条，计分 {} 条，考核期外 {} 条",
                     esc(meta.rulebook_path), meta.rulebook_hash, r.summary.records, r.summary.in_period,
                     r.summary.out_of_period);
  if (r.summary.rejected) out += fmt::format("，跳过错误记录 {} 条", r.summary.rejected);
  out += "。</p>\n<table class=\"meta\" id=\"inputs\"><tr><th>输入文件</th><th class=\"num\">字节</th><th>哈希 (FNV-1a)</th>"
         "<th class=\"num\">记录</th><th class=\"num\">计分</th><th class=\"num\">考核期外</th></tr>\n";
  for (size_t i = 0; i < meta.inputs.size(); ++i) {
    const auto& f = meta.inputs[i];
    RunSummary c = i < r.input_counts.size() ? r.input_counts[i] : RunSummary{};
    out += fmt::format("<tr><td>{}</td><td class=\"num\">{}</td><td><code>{}</code></td><td class=\"num\">{}</td>"
                       "<td class=\"num\">{}</td><td class=\"num\">{}</td></tr>\n",
                       esc(f.path), f.bytes, f.hash, c.records, c.in_period, c.out_of_period);
  }
  out += "</table>\n";
  if (!r.params.empty()) {
    out += "<p class=\"meta\">参数：";
    for (size_t i = 0; i < r.params.size(); ++i)
      out += fmt::format("{}{} = {}", i ? "；" : "", esc(r.params[i].name),
                         r.params[i].is_date ? format_date(static_cast<int32_t>(r.params[i].value.num))
                                             : format_decimal(r.params[i].value, 6));
    out += "</p>\n";
  }

  out += "<h2>排名</h2>\n<table id=\"ranking\">\n<tr><th class=\"num\">名次</th><th>单位</th><th class=\"num\">得分</th>";
  if (r.graded) out += "<th>等级</th>";
  for (const auto& c : r.category_names) out += fmt::format("<th class=\"num\">{}</th>", esc(c));
  for (const auto& o : r.indicator_names) out += fmt::format("<th class=\"num\">{}</th>", esc(o));
  for (const auto& o : r.output_names) out += fmt::format("<th class=\"num\">{}</th>", esc(o));
  out += "<th>否决</th></tr>\n";
  auto order = ranking(r);
  size_t rank = 0;
  for (size_t i = 0; i < order.size(); ++i) {
    const auto& u = r.units[order[i]];
    if (i == 0 || !(u.score == r.units[order[i - 1]].score)) rank = i + 1;
    out += fmt::format("<tr class=\"{}\" data-unit=\"{}\"><td class=\"num rank\">{}</td><td class=\"unit\"><a href=\"#u{}\">{}</a></td>"
                       "<td class=\"num score\">{}</td>",
                       u.vetoed ? "vetoed" : "", esc(u.unit), rank, order[i], esc(u.unit), num(u.score, r.decimals));
    if (r.graded) out += fmt::format("<td>{}</td>", esc(u.grade));
    for (const auto& [name, v] : u.categories) out += fmt::format("<td class=\"num\">{}</td>", num(v, r.decimals));
    for (const auto& [name, v] : u.indicators) out += fmt::format("<td class=\"num\">{}</td>", num(v, r.decimals));
    for (const auto& [name, v] : u.outputs) out += fmt::format("<td class=\"num\">{}</td>", num(v, r.decimals));
    std::string vetoes;
    for (size_t k = 0; k < u.veto_items.size(); ++k) vetoes += (k ? "、" : "") + u.veto_items[k];
    if (!u.assessed) vetoes = "不参与考核：" + u.not_assessed_reason;
    out += fmt::format("<td>{}</td></tr>\n", esc(vetoes));
  }
  out += "</table>\n";

  for (size_t idx : order) {
    const auto& u = r.units[idx];
    out += fmt::format("<section class=\"unit\" id=\"u{}\">\n<h2>{} <small>得分 {}{}</small></h2>\n", idx, esc(u.unit),
                       num(u.score, r.decimals), u.vetoed ? "（一票否决）" : "");
    if (idx < r.traces.size()) {
      const UnitTrace& t = r.traces[idx];
      out += chart(u, t.score, r.decimals) + "\n";
      out += "<table class=\"items\"><tr><th>类别 / 条目</th><th>依据</th><th class=\"num\">分值</th><th>说明</th></tr>\n";
      items_table(t.score, 0, r.decimals, out);
      out += "</table>\n";
      out += fmt::format("<details><summary>完整推导（每条记录、上限、平均分替代、排名）</summary>\n<pre class=\"trace\">{}</pre>\n"
                         "<p>{}</p></details>\n",
                         esc(explain_tree(t, t.score)), esc(explain_prose(t, t.score)));
    }
    out += "</section>\n";
  }
  out += "</body>\n</html>\n";
  return out;
}

}  // namespace rb
