#include "cli/format.hpp"

#include "cli/explain.hpp"
#include "cli/json_writer.hpp"
#include "runtime/bytecode.hpp"
#include "runtime/csv.hpp"
#include "runtime/messages.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <numeric>

namespace rb {

namespace {

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

// Text handed to a sink in pieces of about a megabyte (see TextSink).
class Chunks {
 public:
  explicit Chunks(const TextSink& sink) : sink_(sink) {}
  std::string& text() { return text_; }
  // Hands the text over once there is enough of it; false once the sink said stop.
  bool maybe_flush() { return text_.size() < (size_t{1} << 20) ? ok_ : flush(); }
  bool flush() {
    if (ok_ && !text_.empty()) ok_ = sink_(text_);
    text_.clear();
    return ok_;
  }

 private:
  const TextSink& sink_;
  std::string text_;
  bool ok_ = true;
};

// The rows shared by the table and CSV formats: the units given, ranked among themselves,
// the header first (row 0). Each is handed to `each(row, i)` and not kept.
template <class Each>
void for_each_row(const Result& r, const std::vector<size_t>& units, bool with_veto_names, Each&& each) {
  std::vector<std::string> header = {text(Msg::rp_rank), text(Msg::rp_unit), text(Msg::rp_score)};
  if (r.graded) header.push_back(text(Msg::rp_grade));
  for (const auto& c : r.category_names) header.push_back(c);
  for (const auto& o : r.indicator_names) header.push_back(o);
  for (const auto& o : r.output_names) header.push_back(o);
  header.push_back(text(Msg::rp_veto));
  each(header, size_t{0});
  size_t i = 0;
  std::vector<std::string> row;
  for (const Standing& s : standings(r, units)) {
    const auto& u = r.units[s.unit];
    row.clear();
    row.push_back(u.assessed ? std::to_string(s.rank) : "-");
    row.push_back(u.unit);
    row.push_back(u.assessed ? format_decimal(u.score, r.decimals) : std::string(text(Msg::rp_not_assessed)));
    if (r.graded) row.push_back(u.grade);
    for (const Rational& v : u.categories) row.push_back(u.assessed ? format_decimal(v, r.decimals) : "");
    for (const Rational& v : u.indicators) row.push_back(format_decimal(v, r.decimals));
    for (const Rational& v : u.outputs) row.push_back(format_decimal(v, r.decimals));
    std::string veto;
    if (u.vetoed) veto = with_veto_names ? fmt::format("{}", fmt::join(u.veto_items, text(Msg::list_separator))) : text(Msg::rp_yes);
    if (!u.assessed) veto = u.not_assessed_reason;
    row.push_back(veto);
    each(row, ++i);
  }
}

// The rows go by twice: once for the columns' widths, once to be written.
bool table_text(const Result& r, const std::vector<size_t>& units, Chunks& out) {
  std::vector<size_t> widths;
  for_each_row(r, units, true, [&](const std::vector<std::string>& row, size_t i) {
    if (i == 0) widths.assign(row.size(), 0);
    for (size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], display_width(row[c]));
  });
  bool ok = true;
  for_each_row(r, units, true, [&](const std::vector<std::string>& row, size_t i) {
    std::string line;
    for (size_t c = 0; c < row.size(); ++c) {
      bool numeric = c != 1 && c + 1 != row.size();
      if (c > 0) line += "  ";
      line += pad(row[c], widths[c], numeric && i > 0);
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out.text() += line + "\n";
    if (i == 0) {
      size_t total = 0;
      for (size_t w : widths) total += w + 2;
      out.text() += std::string(total > 2 ? total - 2 : 0, '-') + "\n";
    }
    if (ok) ok = out.maybe_flush();
  });
  return ok;
}

}  // namespace

std::vector<Standing> standings(const Result& r, const std::vector<size_t>& units) {
  std::vector<size_t> order = units;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const auto &x = r.units[a], &y = r.units[b];
    if (x.assessed != y.assessed) return x.assessed;
    return x.assessed && x.score > y.score;
  });
  std::vector<Standing> out(order.size());
  for (size_t i = 0; i < order.size(); ++i) {
    const auto& u = r.units[order[i]];
    size_t rank = !u.assessed ? 0 : (i > 0 && u.score == r.units[order[i - 1]].score) ? out[i - 1].rank : i + 1;
    out[i] = {order[i], rank};
  }
  return out;
}

std::vector<Standing> overall_standings(const Result& r) {
  std::vector<size_t> all(r.units.size());
  std::iota(all.begin(), all.end(), size_t{0});
  return standings(r, all);
}

size_t ranked_units(const std::vector<Standing>& standings) {
  return static_cast<size_t>(std::count_if(standings.begin(), standings.end(), [](const Standing& s) { return s.rank > 0; }));
}

std::vector<RankingView> ranking_views(const Result& r, bool all, bool by_group) {
  std::vector<RankingView> views;
  if (all) {
    RankingView v{"", std::vector<size_t>(r.units.size())};
    std::iota(v.units.begin(), v.units.end(), size_t{0});
    views.push_back(std::move(v));
  }
  if (!by_group || r.group_names.empty()) return views;
  for (const auto& g : r.group_names) {
    RankingView v{g, {}};
    for (size_t i = 0; i < r.units.size(); ++i)
      if (r.units[i].group == g) v.units.push_back(i);
    views.push_back(std::move(v));
  }
  RankingView rest{text(Msg::rp_other_units), {}};
  for (size_t i = 0; i < r.units.size(); ++i)
    if (r.units[i].group.empty()) rest.units.push_back(i);
  if (!rest.units.empty()) views.push_back(std::move(rest));
  return views;
}

std::string signed_amount(const Rational& v, const std::string& role, int decimals) {
  std::string shown = format_decimal(v, decimals);
  if (shown.find_first_not_of("0.-") == std::string::npos) return format_decimal(Rational(0), decimals);
  if (role != "deduction" && role != "bonus") return shown;
  const bool negative = shown.front() == '-';
  const bool minus = (role == "deduction") != negative;
  std::string out = minus ? "−" : "+";
  out.append(shown, negative ? 1 : 0, std::string::npos);
  return out;
}

std::string display_path(const std::string& path) {
  std::error_code ec;
  const std::filesystem::path p(path);
  if (!p.is_absolute()) return path;
  const auto cwd = std::filesystem::current_path(ec);
  if (ec) return path;
  const auto rel = p.lexically_normal().lexically_relative(cwd);
  if (rel.empty() || *rel.begin() == "..") return path;
  return rel.generic_string();
}

namespace {
// Records name one of a few files: each name is worked out once.
void relative_in(TraceNode& n, std::map<std::string, std::string>& shown) {
  for (auto& acc : n.accumulators)
    for (auto& rec : acc.records) {
      if (rec.file.empty()) continue;
      auto [it, fresh] = shown.try_emplace(rec.file);
      if (fresh) it->second = display_path(rec.file);
      rec.file = it->second;
    }
  for (auto& c : n.children) relative_in(c, shown);
}
}  // namespace

void show_paths_relative(UnitTrace& t) {
  std::map<std::string, std::string> shown;
  relative_in(t.score, shown);
  for (auto& i : t.indicators) relative_in(i, shown);
}

void show_paths_relative(Result& r) {
  for (auto& f : r.inputs) f = display_path(f);
  std::map<std::string, std::string> shown;
  for (auto& t : r.traces) {
    relative_in(t.score, shown);
    for (auto& i : t.indicators) relative_in(i, shown);
  }
}

std::string veto_cell(const UnitResult& u) {
  if (!u.assessed) return tr(Msg::rp_not_assessed_reason, u.not_assessed_reason);
  if (u.veto_items.empty()) return "";
  return tr(Msg::rp_hit_items, fmt::format("{}", fmt::join(u.veto_items, text(Msg::list_separator))));
}

std::string role_word(const std::string& role) {
  return role == "deduction" ? text(Msg::rp_role_deduction)
         : role == "bonus"   ? text(Msg::rp_role_bonus)
         : role == "points"  ? text(Msg::rp_role_points)
                             : "";
}

size_t display_width(const std::string& text) {
  size_t width = 0;
  for (size_t i = 0; i < text.size();) width += wide(next_code_point(text, i)) ? 2 : 1;
  return width;
}

namespace {

// A rulebook's numbers as the JSON has them, named by `names`: rounded to `decimals`.
void number_members(JsonWriter& w, const std::vector<std::string>& names, const std::vector<Rational>& values,
                    int decimals) {
  w.begin_object();
  write_members(
      w, values.size(), [&](size_t i) { return std::string_view(names[i]); },
      [&](size_t i) { w.value(to_double_rounded(values[i], decimals)); });
  w.end_object();
}

// Members named by some of the items (names_distinct: Result::items names no item twice, so
// neither do these, and no key needs merging).
template <class KeyOf, class Write>
void item_members(JsonWriter& w, bool names_distinct, size_t n, KeyOf key_of, Write write) {
  if (!names_distinct) return write_members(w, n, key_of, write);
  for (size_t i = 0; i < n; ++i) {
    w.key(key_of(i));
    write(i);
  }
}

void unit_json(JsonWriter& w, const Result& r, size_t index, bool item_names_distinct) {
  const UnitResult& u = r.units[index];
  w.begin_object();
  w.key("unit").value(u.unit);
  if (u.assessed) {
    w.key("score").value(to_double_rounded(u.score, r.decimals));
  } else {
    w.key("score").null();
    w.key("assessed").value(false);
    w.key("not_assessed_reason").value(u.not_assessed_reason);
  }
  w.key("vetoed").value(u.vetoed);
  if (r.graded) w.key("grade").value(u.grade);
  w.key("categories");
  number_members(w, r.category_names, u.categories, r.decimals);
  w.key("vetoes").strings(u.veto_items);
  std::vector<size_t> scored, ranked;  // indexes into u.items and r.items
  for (size_t i = 0; i < u.items.size(); ++i) {
    if (r.items[i].kind != "veto" && u.items[i].applies) scored.push_back(i);
    if (u.items[i].has_rank) ranked.push_back(i);
  }
  w.key("items").begin_object();
  item_members(
      w, item_names_distinct, scored.size(), [&](size_t i) { return std::string_view(r.items[scored[i]].name); },
      [&](size_t i) { w.value(to_double_rounded(u.items[scored[i]].value, r.decimals)); });
  w.end_object();
  if (!ranked.empty()) {
    w.key("ranks").begin_object();
    item_members(
        w, item_names_distinct, ranked.size(), [&](size_t i) { return std::string_view(r.items[ranked[i]].name); },
        [&](size_t i) {
          const NodeValue& it = u.items[ranked[i]];
          w.begin_object();
          w.key("rank").value(it.rank);
          w.key("of").value(it.ranked);
          if (const std::string& within = r.rank_classes[it.rank_class]; !within.empty()) w.key("within").value(within);
          w.end_object();
        });
    w.end_object();
  }
  if (!r.indicator_names.empty()) {
    w.key("indicators");
    number_members(w, r.indicator_names, u.indicators, 6);
  }
  w.key("outputs");
  number_members(w, r.output_names, u.outputs, r.decimals);
  if (index < r.traces.size()) {
    w.key("trace");
    trace_json(w, r.traces[index].score);
    if (!r.traces[index].indicators.empty()) {
      w.key("indicator_traces").begin_array();
      for (const auto& t : r.traces[index].indicators) trace_json(w, t);
      w.end_array();
    }
  }
  w.end_object();
}

}  // namespace

bool write_json(const Result& r, const TextSink& sink) {
  Chunks chunks(sink);
  std::string& out = chunks.text();
  JsonWriter w(out);
  w.begin_object();
  w.key("rulebook").value(r.title);
  w.key("period").begin_object();
  w.key("from").value(r.period_from);
  w.key("to").value(r.period_to);
  w.end_object();
  w.key("params").begin_object();
  write_members(
      w, r.params.size(), [&](size_t i) { return std::string_view(r.params[i].name); },
      [&](size_t i) {
        const auto& p = r.params[i];
        if (p.is_date) w.value(format_date(static_cast<int32_t>(p.value.num)));
        else w.value(to_double_rounded(p.value, 6));
      });
  w.end_object();
  std::vector<std::string_view> item_names;
  for (const auto& item : r.items) item_names.push_back(item.name);
  const bool item_names_distinct = distinct_keys(item_names);
  w.key("units").begin_array();
  for (size_t i = 0; i < r.units.size(); ++i) {
    unit_json(w, r, i, item_names_distinct);
    if (!chunks.maybe_flush()) return false;
  }
  w.end_array();
  w.end_object();
  out += '\n';
  return chunks.flush();
}

bool write_table(const Result& r, bool by_group, const TextSink& sink) {
  Chunks out(sink);
  out.text() = tr(Msg::rp_title_period, r.title, r.period_from, r.period_to) + "\n\n";
  const auto views = ranking_views(r, !by_group || r.group_names.empty(), by_group);
  for (size_t i = 0; i < views.size(); ++i) {
    if (!views[i].title.empty()) {
      if (i) out.text() += "\n";
      out.text() += tr(Msg::rp_group_heading, views[i].title, views[i].units.size());
      out.text() += "\n";
    }
    if (!table_text(r, views[i].units, out)) return false;
  }
  return out.flush();
}

bool write_csv(const Result& r, bool by_group, const TextSink& sink) {
  Chunks chunks(sink);
  std::string& out = chunks.text();
  out = "\xEF\xBB\xBF";
  // By group: one table with a 单位组 column first and the rank within the group, so a
  // spreadsheet can filter each group's ranking.
  const auto views = ranking_views(r, !by_group || r.group_names.empty(), by_group);
  bool ok = true;
  for (size_t v = 0; v < views.size(); ++v) {
    for_each_row(r, views[v].units, true, [&](const std::vector<std::string>& row, size_t i) {
      if (v > 0 && i == 0) return;
      if (by_group) out += csv_cell(i == 0 ? std::string(text(Msg::rp_unit_group)) : views[v].title) + ',';
      for (size_t c = 0; c < row.size(); ++c) {
        if (c > 0) out += ',';
        out += csv_cell(row[c]);
      }
      out += "\r\n";
      if (ok) ok = chunks.maybe_flush();
    });
    if (!ok) return false;
  }
  return chunks.flush();
}

namespace {

std::string whole(const std::function<bool(const TextSink&)>& write) {
  std::string text;
  write([&](std::string_view piece) {
    text += piece;
    return true;
  });
  return text;
}

}  // namespace

std::string format_json(const Result& r) {
  return whole([&](const TextSink& sink) { return write_json(r, sink); });
}

std::string format_table(const Result& r, bool by_group) {
  return whole([&](const TextSink& sink) { return write_table(r, by_group, sink); });
}

std::string format_csv(const Result& r, bool by_group) {
  return whole([&](const TextSink& sink) { return write_csv(r, by_group, sink); });
}

}  // namespace rb
