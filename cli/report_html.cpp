#include <fmt/format.h>

#include <algorithm>

#include "cli/explain.hpp"
#include "cli/format.hpp"
#include "runtime/messages.hpp"
#include "cli/report.hpp"
#include "runtime/platform.hpp"
#include "runtime/rbc_file.hpp"
#include "runtime/sha256.hpp"

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

// Fonts come from the reader's machine: a list of common CJK fonts, no download. Printed on
// A4: every table's header row repeats on each page, a unit name never breaks, each unit
// starts a new page, and the derivation (folded on screen) is printed open.
constexpr const char* kStyle = R"(
:root { --ded: #c0392b; --bonus: #1e8449; --line: #d0d4d9; }
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei", "PingFang SC",
       "Microsoft YaHei", "SimHei", sans-serif; margin: 2em auto; max-width: 1100px; color: #1c2833; }
h1 { font-size: 1.6em; margin-bottom: .2em; }
table { border-collapse: collapse; margin: .8em 0; }
th, td { border: 1px solid var(--line); padding: .25em .6em; }
th { background: #f2f4f6; white-space: nowrap; }
td.unit, th.unit { white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.ded { color: var(--ded); }
td.bonus { color: var(--bonus); }
td.hit { color: #7b241c; font-weight: bold; }
tr.vetoed td { color: #7b241c; background: #fdedec; }
tr.not-assessed td { color: #7f8c8d; }
.meta { color: #566573; font-size: .9em; }
section.unit { border-top: 2px solid var(--line); margin-top: 2em; padding-top: .5em; }
svg text { font-size: 12px; }
pre.trace { background: #fbfcfc; border: 1px solid var(--line); padding: .8em; overflow-x: auto; font-size: .85em;
            white-space: pre-wrap; }
details > summary { cursor: pointer; color: #1f618d; }
p.notice { white-space: pre-line; line-height: 1.7; }
@page { size: A4; margin: 15mm 12mm; }
@media print {
  body { margin: 0; max-width: none; font-size: 10.5pt; }
  a { color: inherit; text-decoration: none; }
  thead { display: table-header-group; }
  tr { break-inside: avoid; }
  section.unit { break-before: page; }
  details > summary { display: none; }
  details::details-content { display: contents; content-visibility: visible; }
  pre.trace { overflow: visible; }
}
)";

// Folded derivations are opened before printing (for browsers without ::details-content).
constexpr const char* kPrintScript =
    "<script>window.addEventListener('beforeprint',function(){document.querySelectorAll('details')"
    ".forEach(function(d){d.open=true;});});</script>\n";

// Horizontal bars, one per category: deductions left in red, bonuses in green.
std::string chart(const Result& r, const UnitResult& u, const TraceNode& score, int decimals) {
  const int width = 520, bar_h = 18, gap = 6, label_w = 130;
  Rational max_value(1);
  for (const Rational& v : u.categories) max_value = std::max(max_value, v);
  std::string svg = fmt::format(R"(<svg role="img" aria-label="{}" width="{}" height="{}">)", esc(tr(Msg::rp_chart_label, u.unit)),
                                width, static_cast<int>(u.categories.size()) * (bar_h + gap) + gap);
  int y = gap;
  for (size_t c = 0; c < u.categories.size(); ++c) {
    const std::string& name = r.category_names[c];
    const Rational& v = u.categories[c];
    std::string role = "deduction";
    for (const auto& c : score.children)
      if (c.name == name) role = c.role;
    const bool bonus = role == "bonus" || role == "points";
    double frac = to_double_rounded(v / max_value, 4);
    int w = static_cast<int>(frac * (width - label_w - 60));
    svg += fmt::format(R"svg(<text x="0" y="{}">{}</text><rect x="{}" y="{}" width="{}" height="{}" fill="var({})"/>)svg"
                       R"svg(<text x="{}" y="{}">{}{}</text>)svg",
                       y + 13, esc(name), label_w, y, w, bar_h, bonus ? "--bonus" : "--ded", label_w + w + 6, y + 13,
                       "", signed_amount(v, role, decimals));
    y += bar_h + gap;
  }
  return svg + "</svg>";
}

// `role` is the category role an amount counts under: a category's own, or its category's.
void items_table(const TraceNode& n, int depth, const std::string& role, int decimals, std::string& out) {
  const std::string& own = n.kind == "category" && !n.role.empty() ? n.role : role;
  if (n.kind != "score") {
    std::string note;
    if (n.substituted) note = tr(Msg::rp_note_mean, n.mean_over.size());
    else if (n.before_cap) note = tr(Msg::rp_note_cap, num(*n.before_cap, decimals), num(*n.cap, decimals));
    else if (n.ranked && n.rank > 0) note = tr(Msg::rp_note_rank, n.rank, n.ranked_units);
    std::string shown, cls = "num";
    if (n.kind == "veto" || own == "veto") {
      const bool hit = !n.value.is_zero();
      shown = text(hit ? Msg::rp_hit : Msg::rp_not_hit);
      if (hit) cls += " hit";
    } else {
      shown = signed_amount(n.value, own, decimals);
      if (!n.value.is_zero()) cls += own == "deduction" ? " ded" : own == "bonus" ? " bonus" : "";
    }
    out += fmt::format(R"(<tr class="{}"><td style="padding-left:{}em">{}</td><td>{}</td><td class="{}">{}</td><td>{}</td></tr>)",
                       esc(n.kind), 0.6 + 1.2 * depth, esc(n.name), esc(n.citation), cls, shown, esc(note));
    out += "\n";
  }
  for (const auto& c : n.children) items_table(c, n.kind == "score" ? 0 : depth + 1, own, decimals, out);
}

// One ranking table of the units given (ranked among themselves).
void ranking_table(const Result& r, const RankingView& view, const std::string& id, std::string& out) {
  out += fmt::format("<table class=\"ranking\" id=\"{}\">\n<thead><tr><th class=\"num\">{}</th><th class=\"unit\">{}</th>"
                     "<th class=\"num\">{}</th>",
                     id, text(Msg::rp_rank), text(Msg::rp_unit), text(Msg::rp_score));
  if (r.graded) out += fmt::format("<th>{}</th>", text(Msg::rp_grade));
  for (size_t c = 0; c < r.category_names.size(); ++c)
    out += fmt::format("<th class=\"num\">{}<br>{}</th>", esc(r.category_names[c]), role_word(r.category_roles[c]));
  for (const auto& o : r.indicator_names) out += fmt::format("<th class=\"num\">{}</th>", esc(o));
  for (const auto& o : r.output_names) out += fmt::format("<th class=\"num\">{}</th>", esc(o));
  out += fmt::format("<th>{}</th></tr></thead>\n<tbody>\n", text(Msg::rp_veto));
  for (const Standing& s : standings(r, view.units)) {
    const auto& u = r.units[s.unit];
    const char* cls = !u.assessed ? "not-assessed" : u.vetoed ? "vetoed" : "";
    out += fmt::format("<tr class=\"{}\" data-unit=\"{}\"><td class=\"num rank\">{}</td><td class=\"unit\"><a href=\"#u{}\">{}</a></td>"
                       "<td class=\"num score\">{}</td>",
                       cls, esc(u.unit), u.assessed ? std::to_string(s.rank) : "-", s.unit, esc(u.unit),
                       u.assessed ? num(u.score, r.decimals) : std::string(text(Msg::rp_not_assessed)));
    if (r.graded) out += fmt::format("<td>{}</td>", esc(u.grade));
    for (size_t c = 0; c < u.categories.size(); ++c) {
      const std::string& role = c < r.category_roles.size() ? r.category_roles[c] : "";
      const Rational& v = u.categories[c];
      const char* tint = v.is_zero() ? "" : role == "deduction" ? " ded" : role == "bonus" ? " bonus" : "";
      out += fmt::format("<td class=\"num{}\">{}</td>", tint, u.assessed ? signed_amount(v, role, r.decimals) : "");
    }
    for (const Rational& v : u.indicators) out += fmt::format("<td class=\"num\">{}</td>", num(v, r.decimals));
    for (const Rational& v : u.outputs) out += fmt::format("<td class=\"num\">{}</td>", num(v, r.decimals));
    out += fmt::format("<td>{}</td></tr>\n", esc(veto_cell(u)));
  }
  out += "</tbody></table>\n";
}

// Each unit's score at each month's end, one row per unit in ranking order.
void monthly_table(const Result& r, const MonthlyScores& m, const std::vector<Standing>& order, std::string& out) {
  out += fmt::format("<h2>{}</h2>\n<p class=\"meta\">{}</p>\n<table id=\"monthly\">\n<thead><tr><th class=\"unit\">{}</th>",
                     text(Msg::rp_monthly), esc(text(Msg::rp_monthly_note)), text(Msg::rp_unit));
  for (const auto& month : m.months) out += fmt::format("<th class=\"num\">{}</th>", esc(month));
  out += "</tr></thead>\n<tbody>\n";
  for (const Standing& s : order) {
    out += fmt::format("<tr data-unit=\"{}\"><td class=\"unit\">{}</td>", esc(r.units[s.unit].unit), esc(r.units[s.unit].unit));
    for (size_t k = 0; k < m.months.size(); ++k) {
      std::optional<Rational> v;
      if (s.unit < m.scores.size() && k < m.scores[s.unit].size()) v = m.scores[s.unit][k];
      out += fmt::format("<td class=\"num\">{}</td>", v ? num(*v, r.decimals) : "-");
    }
    out += "</tr>\n";
  }
  out += "</tbody></table>\n";
}

}  // namespace

InputFile describe_input(const std::string& path) {
  InputFile f;
  f.path = path;
  unsigned long long bytes = 0;
  if (sha256_file(path, f.hash, bytes)) f.bytes = bytes;
  return f;
}

std::string format_html(const Result& r, const ReportMeta& meta) {
  std::string out = "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n";
  out += fmt::format("<title>{}</title>\n<style>{}</style>\n</head>\n<body>\n", esc(r.title), kStyle);
  out += fmt::format("<h1>{}</h1>\n<p class=\"meta\">{}</p>\n", esc(r.title), tr(Msg::rp_period, r.period_from, r.period_to));
  out += "<p class=\"meta\" id=\"provenance\">" +
         esc(tr(Msg::rp_provenance, meta.rulebook_path, meta.rulebook_hash, r.summary.records,
                r.summary.in_period - r.summary.outside_unit_dates, r.summary.out_of_period));
  if (r.summary.outside_unit_dates)
    out += tr(Msg::rp_outside_unit_dates, r.summary.outside_unit_dates);
  if (r.summary.rejected) out += tr(Msg::rp_skipped, r.summary.rejected);
  out += fmt::format("{}</p>\n<table class=\"meta\" id=\"inputs\"><thead><tr><th>{}</th><th class=\"num\">{}</th><th>SHA-256</th>"
                     "<th class=\"num\">{}</th><th class=\"num\">{}</th><th class=\"num\">{}</th></tr></thead>\n",
                     language() == Lang::En ? "." : "。", text(Msg::rp_input_file), text(Msg::rp_bytes), text(Msg::rp_records),
                     text(Msg::rp_scored), text(Msg::rp_outside));
  for (size_t i = 0; i < meta.inputs.size(); ++i) {
    const auto& f = meta.inputs[i];
    RunSummary c = i < r.input_counts.size() ? r.input_counts[i] : RunSummary{};
    out += fmt::format("<tr><td>{}</td><td class=\"num\">{}</td><td><code>{}</code></td><td class=\"num\">{}</td>"
                       "<td class=\"num\">{}</td><td class=\"num\">{}</td></tr>\n",
                       esc(f.path), f.bytes, f.hash, c.records, c.in_period - c.outside_unit_dates, c.out_of_period);
  }
  out += "</table>\n";
  if (!r.params.empty()) {
    out += fmt::format("<p class=\"meta\">{}", text(Msg::rp_params));
    for (size_t i = 0; i < r.params.size(); ++i)
      out += fmt::format("{}{} = {}", i ? "；" : "", esc(r.params[i].name),
                         r.params[i].is_date ? format_date(static_cast<int32_t>(r.params[i].value.num))
                                             : format_decimal(r.params[i].value, 6));
    out += "</p>\n";
  }

  const auto views = ranking_views(r, true, meta.by_group);
  for (size_t v = 0; v < views.size(); ++v) {
    if (views[v].title.empty()) {
      out += fmt::format("<h2>{}</h2>\n", text(Msg::rp_ranking));
    } else {
      out += fmt::format("<h2>{} <small>{}</small></h2>\n", esc(tr(Msg::rp_group_ranking, views[v].title)),
                         tr(Msg::rp_units_count, views[v].units.size()));
    }
    ranking_table(r, views[v], v == 0 ? std::string("ranking") : fmt::format("ranking-{}", v), out);
  }
  const auto order = standings(r, views.front().units);
  const size_t ranked = ranked_units(order);
  if (meta.monthly) monthly_table(r, *meta.monthly, order, out);

  for (const Standing& s : order) {
    const size_t idx = s.unit;
    const auto& u = r.units[idx];
    std::string standing = !u.assessed ? tr(Msg::rp_not_assessed_reason, u.not_assessed_reason)
                                       : tr(Msg::rp_standing, num(u.score, r.decimals), s.rank,
                                            u.grade.empty() ? "" : tr(Msg::rp_standing_grade, u.grade),
                                            u.vetoed ? text(Msg::rp_standing_vetoed) : "");
    out += fmt::format("<section class=\"unit\" id=\"u{}\">\n<h2>{} <small>{}</small></h2>\n", idx, esc(u.unit), esc(standing));
    std::optional<UnitTrace> built;
    if (const UnitTrace* trace = unit_trace(r, meta, idx, built)) {
      const UnitTrace& t = *trace;
      const NoticeHead head = notice_head(r, idx, s.rank, ranked);
      out += chart(r, u, t.score, r.decimals) + "\n";
      out += fmt::format("<table class=\"items\"><thead><tr><th>{}</th><th>{}</th><th class=\"num\">{}</th><th>{}</th></tr></thead>\n<tbody>\n",
                         text(Msg::rp_item_column), text(Msg::rp_basis), text(Msg::rp_value), text(Msg::rp_notes));
      items_table(t.score, 0, "", r.decimals, out);
      out += "</tbody></table>\n";
      out += fmt::format("<details><summary>{}</summary>\n<pre class=\"trace\">{}</pre>\n"
                         "<p class=\"notice\">{}</p></details>\n",
                         text(Msg::rp_derivation), esc(explain_tree(t, t.score)), esc(explain_prose(t, t.score, &head)));
    }
    out += "</section>\n";
  }
  out += kPrintScript;
  out += "</body>\n</html>\n";
  return out;
}

std::string notices_document(const Result& r, bool html) {
  const auto order = overall_standings(r);
  const size_t ranked = ranked_units(order);
  const std::string title = tr(Msg::pr_all_title, r.title);
  const std::string period = tr(Msg::pr_all_period, r.period_from, r.period_to);
  std::string out;
  if (html)
    out += fmt::format("<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>{}"
                       "section.unit:first-of-type {{ break-before: auto; }}\n</style>\n</head>\n<body>\n<h1>{}</h1>\n"
                       "<p class=\"meta\">{}</p>\n",
                       language() == Lang::En ? "en" : "zh-CN", esc(title), kStyle, esc(title), esc(period));
  else
    out += fmt::format("# {}\n\n{}\n", title, period);
  for (const Standing& s : order) {
    if (s.unit >= r.traces.size()) continue;
    const UnitTrace& t = r.traces[s.unit];
    const NoticeHead head = notice_head(r, s.unit, s.rank, ranked);
    const std::string notice = explain_prose(t, t.score, &head);
    if (html)
      out += fmt::format("<section class=\"unit\">\n<h2>{}</h2>\n<p class=\"notice\">{}</p>\n</section>\n", esc(t.unit),
                         esc(notice));
    else
      out += fmt::format("\n## {}\n\n{}", t.unit, notice);
  }
  if (html) out += "</body>\n</html>\n";
  return out;
}

}  // namespace rb
