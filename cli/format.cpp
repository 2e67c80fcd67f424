#include "cli/format.hpp"

#include "cli/explain.hpp"
#include "runtime/bytecode.hpp"
#include "runtime/csv.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <numeric>

namespace rb {

namespace {

using ordered_json = nlohmann::ordered_json;

// Units in ranking order: score high to low, ties in rulebook order; units not assessed last.
std::vector<size_t> ranking(const Result& r) {
  std::vector<size_t> order(r.units.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const auto &x = r.units[a], &y = r.units[b];
    if (x.assessed != y.assessed) return x.assessed;
    return x.score > y.score;
  });
  return order;
}

// Competition ranks (1, 2, 2, 4) over the ranking order; 0 for units not assessed.
std::vector<size_t> ranks(const Result& r, const std::vector<size_t>& order) {
  std::vector<size_t> out(order.size());
  for (size_t i = 0; i < order.size(); ++i)
    out[i] = !r.units[order[i]].assessed ? 0
             : (i > 0 && r.units[order[i]].score == r.units[order[i - 1]].score) ? out[i - 1]
                                                                               : i + 1;
  return out;
}

uint32_t next_code_point(const std::string& s, size_t& i) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  int len = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
  uint32_t cp = len == 1 ? c : c & (0x3F >> (len - 1));
  for (int k = 1; k < len && i + static_cast<size_t>(k) < s.size(); ++k)
    cp = (cp << 6) | (static_cast<unsigned char>(s[i + static_cast<size_t>(k)]) & 0x3F);
  i += static_cast<size_t>(len);
  return cp;
}

bool wide(uint32_t cp) {
  return (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) || (cp >= 0xAC00 && cp <= 0xD7A3) ||
         (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
         (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x20000 && cp <= 0x3FFFD);
}

std::string pad(const std::string& text, size_t width, bool right) {
  size_t w = display_width(text);
  std::string fill(w < width ? width - w : 0, ' ');
  return right ? fill + text : text + fill;
}

// The rows shared by the table and CSV formats.
std::vector<std::vector<std::string>> rows(const Result& r, bool with_veto_names) {
  std::vector<std::vector<std::string>> out;
  std::vector<std::string> header = {"名次", "单位", "得分"};
  if (r.graded) header.push_back("等级");
  for (const auto& c : r.category_names) header.push_back(c);
  for (const auto& o : r.indicator_names) header.push_back(o);
  for (const auto& o : r.output_names) header.push_back(o);
  header.push_back("否决");
  out.push_back(header);
  auto order = ranking(r);
  auto rank = ranks(r, order);
  for (size_t i = 0; i < order.size(); ++i) {
    const auto& u = r.units[order[i]];
    std::vector<std::string> row = {u.assessed ? std::to_string(rank[i]) : "-", u.unit,
                                    u.assessed ? format_decimal(u.score, r.decimals) : "不参与考核"};
    if (r.graded) row.push_back(u.grade);
    for (const auto& [name, v] : u.categories) row.push_back(format_decimal(v, r.decimals));
    for (const auto& [name, v] : u.indicators) row.push_back(format_decimal(v, r.decimals));
    for (const auto& [name, v] : u.outputs) row.push_back(format_decimal(v, r.decimals));
    std::string veto;
    if (u.vetoed) veto = with_veto_names ? fmt::format("{}", fmt::join(u.veto_items, "、")) : "是";
    if (!u.assessed) veto = u.not_assessed_reason;
    row.push_back(veto);
    out.push_back(row);
  }
  return out;
}

}  // namespace

size_t display_width(const std::string& text) {
  size_t width = 0;
  for (size_t i = 0; i < text.size();) width += wide(next_code_point(text, i)) ? 2 : 1;
  return width;
}

std::string format_json(const Result& r) {
  ordered_json doc;
  doc["rulebook"] = r.title;
  doc["period"] = {{"from", r.period_from}, {"to", r.period_to}};
  ordered_json params = ordered_json::object();
  for (const auto& p : r.params) {
    if (p.is_date) params[p.name] = format_date(static_cast<int32_t>(p.value.num));
    else params[p.name] = to_double_rounded(p.value, 6);
  }
  doc["params"] = params;
  ordered_json units = ordered_json::array();
  for (const auto& u : r.units) {
    ordered_json j;
    j["unit"] = u.unit;
    if (u.assessed) {
      j["score"] = to_double_rounded(u.score, r.decimals);
    } else {
      j["score"] = nullptr;
      j["assessed"] = false;
      j["not_assessed_reason"] = u.not_assessed_reason;
    }
    j["vetoed"] = u.vetoed;
    if (r.graded) j["grade"] = u.grade;
    ordered_json cats = ordered_json::object();
    for (const auto& [name, v] : u.categories) cats[name] = to_double_rounded(v, r.decimals);
    j["categories"] = cats;
    j["vetoes"] = u.veto_items;
    ordered_json items = ordered_json::object();
    for (const auto& it : u.items)
      if (it.kind != "veto" && it.applies) items[it.name] = to_double_rounded(it.value, r.decimals);
    j["items"] = items;
    ordered_json item_ranks = ordered_json::object();
    for (const auto& it : u.items) {
      if (!it.has_rank) continue;
      ordered_json jr = {{"rank", it.rank}, {"of", it.ranked}};
      if (!it.rank_class.empty()) jr["within"] = it.rank_class;
      item_ranks[it.name] = jr;
    }
    if (!item_ranks.empty()) j["ranks"] = item_ranks;
    if (!r.indicator_names.empty()) {
      ordered_json indicators = ordered_json::object();
      for (const auto& [name, v] : u.indicators) indicators[name] = to_double_rounded(v, 6);
      j["indicators"] = indicators;
    }
    ordered_json outputs = ordered_json::object();
    for (const auto& [name, v] : u.outputs) outputs[name] = to_double_rounded(v, r.decimals);
    j["outputs"] = outputs;
    size_t index = units.size();
    if (index < r.traces.size()) {
      j["trace"] = trace_json(r.traces[index].score);
      if (!r.traces[index].indicators.empty()) {
        ordered_json ind = ordered_json::array();
        for (const auto& t : r.traces[index].indicators) ind.push_back(trace_json(t));
        j["indicator_traces"] = ind;
      }
    }
    units.push_back(j);
  }
  doc["units"] = units;
  return doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::string format_table(const Result& r) {
  auto table = rows(r, true);
  std::vector<size_t> widths(table[0].size(), 0);
  for (const auto& row : table)
    for (size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], display_width(row[c]));
  std::string out = fmt::format("{}  ({} 至 {})\n\n", r.title, r.period_from, r.period_to);
  for (size_t i = 0; i < table.size(); ++i) {
    std::string line;
    for (size_t c = 0; c < table[i].size(); ++c) {
      bool numeric = c != 1 && c + 1 != table[i].size();
      if (c > 0) line += "  ";
      line += pad(table[i][c], widths[c], numeric && i > 0);
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
    if (i == 0) {
      size_t total = 0;
      for (size_t w : widths) total += w + 2;
      out += std::string(total > 2 ? total - 2 : 0, '-') + "\n";
    }
  }
  return out;
}

std::string format_csv(const Result& r) {
  std::string out = "\xEF\xBB\xBF";
  for (const auto& row : rows(r, true)) {
    for (size_t c = 0; c < row.size(); ++c) {
      if (c > 0) out += ',';
      out += csv_cell(row[c]);
    }
    out += "\r\n";
  }
  return out;
}

}  // namespace rb
