// Declarations that are data: title, period, parameters, units, groups, aliases, enums,
// tables and the event schema. They fill the Program's registries and the name tables.
#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <sstream>

#include "runtime/messages.hpp"
#include "runtime/platform.hpp"
#include "state.hpp"

namespace rb {

uint32_t CompilerState::symbol(const std::string& text) {
  auto it = symbol_index.find(text);
  if (it != symbol_index.end()) return it->second;
  auto id = static_cast<uint32_t>(program.symbols.size());
  program.symbols.push_back(text);
  symbol_index.emplace(text, id);
  return id;
}

uint32_t CompilerState::constant(Rational value) {
  auto key = std::make_pair(value.num, value.den);
  auto it = constant_index.find(key);
  if (it != constant_index.end()) return it->second;
  auto id = static_cast<uint32_t>(program.constants.size());
  program.constants.push_back(value);
  constant_index.emplace(key, id);
  return id;
}

uint32_t CompilerState::add_node(NodeDef node) {
  program.nodes.push_back(std::move(node));
  return static_cast<uint32_t>(program.nodes.size() - 1);
}

uint32_t CompilerState::add_accumulator(AccumulatorDef acc) {
  program.accumulators.push_back(std::move(acc));
  return static_cast<uint32_t>(program.accumulators.size() - 1);
}

std::optional<int32_t> date_value(CompilerState& s, const ast::DateLit& d, ast::Span span) {
  if (!valid_date(d.year, d.month, d.day)) {
    s.error(span, tr(Msg::reg_not_a_date, fmt::format("{:04}-{:02}-{:02}", d.year, d.month, d.day)));
    return std::nullopt;
  }
  return days_from_civil(d.year, d.month, d.day);
}

namespace {

// A declaration's value that must be a number written in the rulebook (or its negation).
std::optional<Rational> constant_number(CompilerState& s, const ast::Expr* e, Msg what) {
  if (e) {
    if (auto* n = std::get_if<ast::Number>(&e->node)) {
      if (auto v = parse_decimal(n->text)) return v;
    }
    if (auto* u = std::get_if<ast::Unary>(&e->node); u && u->op == ast::UnaryOp::Neg) {
      if (auto* n = std::get_if<ast::Number>(&u->operand->node))
        if (auto v = parse_decimal(n->text)) return -*v;
    }
    s.error(e->span, tr(Msg::reg_number_written_out, text(what)));
  }
  return std::nullopt;
}

class Registry {
 public:
  Registry(CompilerState& s, std::string base_dir) : s_(s), base_dir_(std::move(base_dir)) {}

  void run() {
    const auto& decls = s_.rulebook.declarations;
    // Units first, so that everything after may name them in any order.
    for (const auto& d : decls) {
      if (auto* u = std::get_if<ast::Units>(&d)) units(*u);
      if (auto* g = std::get_if<ast::UnitGroup>(&d)) group(*g);
    }
    for (const auto& d : decls)
      if (auto* a = std::get_if<ast::Alias>(&d)) alias(*a);
    for (const auto& d : decls) {
      std::visit(
          [&](const auto& x) {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, ast::Title>) title(x);
            else if constexpr (std::is_same_v<T, ast::Period>) period(x);
            else if constexpr (std::is_same_v<T, ast::BaseScore>) base(x);
            else if constexpr (std::is_same_v<T, ast::ScoreRange>) range(x);
            else if constexpr (std::is_same_v<T, ast::Param>) param(x);
            else if constexpr (std::is_same_v<T, ast::Decimals>) decimals(x);
            else if constexpr (std::is_same_v<T, ast::Enum>) enumeration(x);
          },
          d);
    }
    for (const auto& d : decls)
      if (auto* t = std::get_if<ast::Table>(&d)) table(*t);
    for (const auto& d : decls)
      if (auto* e = std::get_if<ast::EventType>(&d)) event(*e);
    check_display_names();
    for (const auto& d : decls)
      if (auto* n = std::get_if<ast::NamedStream>(&d)) named_stream(*n);
    if (!seen_period_) s_.error({1, 1, 0, 1}, tr(Msg::reg_no_period), tr(Msg::reg_no_period_hint));
    if (s_.program.units.empty()) s_.error({1, 1, 0, 1}, tr(Msg::reg_no_units), tr(Msg::reg_no_units_hint));
    if (s_.program.title.empty()) s_.program.title = s_.rulebook.path;
    unit_classes();
    for (const auto& d : decls)
      if (auto* u = std::get_if<ast::UnitDate>(&d)) unit_date(*u);
    report_unknown_units();
  }

  // 设立 / 撤销: the unit exists from / until the date; records outside are ignored.
  void unit_date(const ast::UnitDate& d) {
    auto it = s_.unit_index.find(d.unit.text);
    if (it == s_.unit_index.end()) {
      unknown_unit(d.unit, s_.program.units);
      return;
    }
    unit_named_[it->second] = true;
    auto day = date_value(s_, d.date, d.span);
    if (!day) return;
    auto& p = s_.program;
    if (p.unit_from.empty()) {
      p.unit_from.assign(p.units.size(), std::numeric_limits<int32_t>::min());
      p.unit_until.assign(p.units.size(), std::numeric_limits<int32_t>::max());
    }
    int32_t& slot = d.closed ? p.unit_until[it->second] : p.unit_from[it->second];
    if (slot != (d.closed ? std::numeric_limits<int32_t>::max() : std::numeric_limits<int32_t>::min())) {
      s_.error(d.span, tr(d.closed ? Msg::reg_closed_twice : Msg::reg_set_up_twice, d.unit.text));
      return;
    }
    slot = *day;
    if (p.unit_from[it->second] > p.unit_until[it->second])
      s_.error(d.span, tr(Msg::reg_closed_before_set_up, d.unit.text));
    if (*day < p.period_from || *day > p.period_to)
      s_.warning(d.span, tr(Msg::reg_date_outside_period, format_date(*day), format_date(p.period_from),
                             format_date(p.period_to)),
                 tr(Msg::date_from_another_year));
  }

  // 本类: each unit's class is the unit group it belongs to; units in no group form one
  // class together. A unit in two groups has no single class, which 本类 then reports.
  void unit_classes() {
    s_.program.unit_class.assign(s_.program.units.size(), -1);
    for (const auto& d : s_.rulebook.declarations) {
      const auto* g = std::get_if<ast::UnitGroup>(&d);
      if (!g) continue;
      auto set = s_.unit_set_index.find(g->name.text);
      if (set == s_.unit_set_index.end()) continue;
      for (uint32_t u : s_.program.unit_sets[set->second].units) {
        int32_t& c = s_.program.unit_class[u];
        if (c >= 0 && c != static_cast<int32_t>(set->second) && s_.class_problem.empty())
          s_.class_problem = tr(Msg::reg_unit_in_two_groups, s_.program.units[u],
                                s_.program.unit_sets[static_cast<size_t>(c)].name, g->name.text);
        else if (c < 0)
          c = static_cast<int32_t>(set->second);
      }
    }
  }

 private:
  void title(const ast::Title& t) {
    if (!s_.program.title.empty()) s_.error(t.span, tr(Msg::reg_title_twice));
    s_.program.title = t.text;
  }

  void period(const ast::Period& p) {
    if (seen_period_) s_.error(p.span, tr(Msg::reg_period_twice));
    seen_period_ = true;
    auto from = date_value(s_, p.from, p.span);
    auto to = date_value(s_, p.to, p.span);
    if (from && to) {
      if (*from > *to) s_.error(p.span, tr(Msg::reg_period_backwards));
      if (*to - *from > 3660) s_.error(p.span, tr(Msg::reg_period_too_long));
      s_.program.period_from = *from;
      s_.program.period_to = *to;
    }
  }

  void base(const ast::BaseScore& b) {
    if (auto v = constant_number(s_, b.value.get(), Msg::what_starting_score)) s_.program.base_score = *v;
  }

  void range(const ast::ScoreRange& r) {
    auto lo = constant_number(s_, r.low.get(), Msg::what_lowest_score);
    auto hi = constant_number(s_, r.high.get(), Msg::what_highest_score);
    if (lo && hi) {
      if (*hi < *lo) s_.error(r.span, tr(Msg::reg_score_range_empty));
      s_.program.score_low = *lo;
      s_.program.score_high = *hi;
    }
  }

  void decimals(const ast::Decimals& d) {
    auto v = constant_number(s_, d.value.get(), Msg::what_decimals);
    if (!v) return;
    if (!v->is_integer() || v->num < 0 || v->num > static_cast<int64_t>(kMaxRoundPlaces)) {
      s_.error(d.value->span, tr(Msg::reg_decimals_range, kMaxRoundPlaces));
      return;
    }
    s_.program.decimals = static_cast<uint32_t>(v->num);
  }

  void param(const ast::Param& p) {
    if (s_.param_index.count(p.name.text)) {
      s_.error(p.name.span, tr(Msg::reg_param_twice, p.name.text));
      return;
    }
    s_.param_index[p.name.text] = static_cast<uint32_t>(s_.program.params.size());
    if (auto* d = p.value ? std::get_if<ast::DateLit>(&p.value->node) : nullptr) {
      auto day = date_value(s_, *d, p.value->span);
      s_.program.params.push_back({p.name.text, Rational(day.value_or(0)), true});
      return;
    }
    auto v = constant_number(s_, p.value.get(), Msg::what_param_default);
    s_.program.params.push_back({p.name.text, v.value_or(Rational(0)), false});
  }

  uint32_t add_unit(const ast::Name& n, bool allow_existing) {
    auto it = s_.unit_index.find(n.text);
    if (it != s_.unit_index.end()) {
      if (!allow_existing) s_.error(n.span, tr(Msg::reg_unit_twice, n.text));
      return it->second;
    }
    auto id = static_cast<uint32_t>(s_.program.units.size());
    s_.program.units.push_back(n.text);
    s_.unit_index.emplace(n.text, id);
    unit_span_.push_back(n.span);
    unit_named_.push_back(false);
    return id;
  }

  void units(const ast::Units& u) {
    for (const auto& n : u.names) add_unit(n, false);
  }

  // A group's members are units assessed like any other; members not declared elsewhere
  // are declared by the group.
  void group(const ast::UnitGroup& g) {
    if (s_.groups.count(g.name.text) || s_.unit_index.count(g.name.text)) {
      s_.error(g.name.span, tr(Msg::reg_group_name_taken, g.name.text));
      return;
    }
    std::vector<uint32_t> members;
    for (const auto& n : g.members) {
      bool was_known = s_.unit_index.count(n.text) > 0;
      uint32_t u = add_unit(n, true);
      unit_named_[u] = true;
      if (was_known && std::find(members.begin(), members.end(), u) != members.end())
        s_.error(n.span, tr(Msg::reg_listed_twice_in_group, n.text, g.name.text));
      members.push_back(u);
    }
    s_.groups[g.name.text] = members;
    add_unit_set(g.name.text, members);
  }

  void add_unit_set(const std::string& name, std::vector<uint32_t> members) {
    std::sort(members.begin(), members.end());
    members.erase(std::unique(members.begin(), members.end()), members.end());
    s_.unit_set_index[name] = static_cast<uint32_t>(s_.program.unit_sets.size());
    s_.program.unit_sets.push_back({name, std::move(members)});
  }

  void alias(const ast::Alias& a) {
    auto target = s_.unit_index.find(a.target.text);
    if (target == s_.unit_index.end()) {
      unknown_unit(a.target, s_.program.units);
      return;
    }
    unit_named_[target->second] = true;
    if (s_.unit_index.count(a.alias.text)) {
      s_.error(a.alias.span, tr(Msg::reg_alias_is_unit, a.alias.text));
      return;
    }
    for (const auto& [name, unit] : s_.program.aliases)
      if (name == a.alias.text) s_.error(a.alias.span, tr(Msg::reg_alias_twice, name));
    s_.program.aliases.emplace_back(a.alias.text, target->second);
  }

  void enumeration(const ast::Enum& e) {
    if (s_.enum_index.count(e.name.text)) {
      s_.error(e.name.span, tr(Msg::reg_enum_twice, e.name.text));
      return;
    }
    EnumDef def;
    def.name = e.name.text;
    std::set<std::string> seen;
    for (size_t i = 0; i < e.members.size(); ++i) {
      const ast::Name& m = e.members[i];
      if (!seen.insert(m.text).second) s_.error(m.span, tr(Msg::reg_listed_twice_in_enum, m.text, e.name.text));
      def.members.push_back(s_.symbol(m.text));
      def.displays.push_back(e.displays[i]);
    }
    // A display name stands for one member: records may give either.
    for (size_t i = 0; i < e.displays.size(); ++i) {
      if (e.displays[i].empty()) continue;
      for (size_t j = 0; j < e.members.size(); ++j) {
        const bool as_name = j != i && e.displays[i] == e.members[j].text;
        const bool as_display = j < i && e.displays[i] == e.displays[j];
        if (as_name || as_display) {
          s_.error(e.members[i].span,
                   tr(as_name ? Msg::reg_enum_display_is_name : Msg::reg_enum_display_is_display, e.displays[i],
                      e.members[i].text, e.members[j].text, e.name.text));
          break;
        }
      }
    }
    if (def.members.empty()) s_.error(e.span, tr(Msg::reg_enum_empty, e.name.text));
    s_.enum_index[e.name.text] = static_cast<uint32_t>(s_.program.enums.size());
    s_.program.enums.push_back(std::move(def));
  }

  // Units named in a table row: a unit, an alias, or a group that stands for its members.
  bool resolve_units(const ast::Name& n, std::vector<uint32_t>& out) {
    if (auto it = s_.unit_index.find(n.text); it != s_.unit_index.end()) {
      out.push_back(it->second);
      unit_named_[it->second] = true;
      return true;
    }
    for (const auto& [name, unit] : s_.program.aliases)
      if (name == n.text) {
        out.push_back(unit);
        return true;
      }
    if (auto g = s_.groups.find(n.text); g != s_.groups.end()) {
      out.insert(out.end(), g->second.begin(), g->second.end());
      return true;
    }
    std::vector<std::string> names = s_.program.units;
    for (const auto& [g, m] : s_.groups) names.push_back(g);
    unknown_unit(n, names);
    return false;
  }

  // A name that is not a unit where a unit is expected. It is reported once all units are
  // known, by report_unknown_units.
  void unknown_unit(const ast::Name& n, const std::vector<std::string>& candidates) {
    auto it = std::find_if(unknown_units_.begin(), unknown_units_.end(),
                           [&](const UnknownUnit& u) { return u.name == n.text; });
    if (it == unknown_units_.end()) it = unknown_units_.insert(unknown_units_.end(), {n.text, {}});
    it->uses.push_back({n.span, s_.suggest(n.text, candidates)});
  }

  // When a name that is not a unit is near a declared unit that nothing else names, the
  // declaration is the misspelt one (县教肓局 declared, 县教育局 used): that is reported once,
  // at the declaration, rather than as a hint at every use to copy the misspelling.
  void report_unknown_units() {
    std::set<uint32_t> blamed;
    for (const auto& u : unknown_units_) {
      const std::string near = nearest(u.name, s_.program.units);
      const auto declared = near.empty() ? s_.unit_index.end() : s_.unit_index.find(near);
      if (declared != s_.unit_index.end() && !unit_named_[declared->second] &&
          blamed.insert(declared->second).second) {
        std::vector<uint32_t> lines;
        for (const auto& use : u.uses)
          if (std::find(lines.begin(), lines.end(), use.span.line) == lines.end()) lines.push_back(use.span.line);
        s_.error(unit_span_[declared->second],
                 tr(Msg::reg_unit_misspelt, near, u.name, fmt::join(lines, text(Msg::list_separator))),
                 tr(Msg::reg_unit_misspelt_hint, near, u.name));
        continue;
      }
      for (const auto& use : u.uses) s_.error(use.span, tr(Msg::reg_unknown_unit, u.name), use.hint);
    }
  }

  void table(const ast::Table& t) {
    if (s_.table_index.count(t.name.text) || s_.unit_set_index.count(t.name.text)) {
      s_.error(t.name.span, tr(Msg::reg_table_name_taken, t.name.text));
      return;
    }
    TableDef def;
    def.name = t.name.text;
    for (const auto& c : t.key_columns) def.columns.push_back(c.text);
    std::vector<ast::Table::Row> file_rows;
    const std::vector<ast::Table::Row>* rows = &t.rows;
    if (t.source_file) {
      file_rows = read_table_file(t, *t.source_file);
      rows = &file_rows;
    }
    std::set<std::vector<uint32_t>> seen;
    std::vector<uint32_t> all_units;
    for (const auto& row : *rows) {
      if (row.keys.size() != def.columns.size()) {
        s_.error(row.span, tr(Msg::reg_row_key_count, t.name.text, row.keys.size(), def.columns.size(),
                                fmt::join(def.columns, text(Msg::list_separator))));
        continue;
      }
      TableDef::Row r;
      for (const auto& k : row.keys) r.keys.push_back(s_.symbol(k.text));
      for (const auto& u : row.units) resolve_units(u, r.units);
      if (r.units.empty()) continue;
      if (!seen.insert(r.keys).second) {
        std::vector<std::string> texts;
        for (const auto& k : row.keys) texts.push_back(k.text);
        s_.error(row.span, tr(Msg::reg_duplicate_key, fmt::join(texts, ", "), t.name.text));
        continue;
      }
      all_units.insert(all_units.end(), r.units.begin(), r.units.end());
      def.rows.push_back(std::move(r));
    }
    s_.table_index[t.name.text] = static_cast<uint32_t>(s_.program.tables.size());
    s_.program.tables.push_back(std::move(def));
    add_unit_set(t.name.text, all_units);
  }

  // Rows of a table kept in a CSV file beside the rulebook: a header row naming the key
  // columns then 单位, then one row per entry; several units in one cell are separated by
  // '、' or ','.
  std::vector<ast::Table::Row> read_table_file(const ast::Table& t, const std::string& file) {
    std::vector<ast::Table::Row> rows;
    std::string path = file.empty() || file[0] == '/' ? file : base_dir_ + "/" + file;
    std::ifstream in(native_path(path), std::ios::binary);
    if (!in) {
      s_.error(t.source_span, tr(Msg::reg_cannot_open_table_file, path));
      return rows;
    }
    std::string line;
    uint32_t line_no = 0;
    while (std::getline(in, line)) {
      ++line_no;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line_no == 1 && line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3);
      if (line.empty()) continue;
      std::vector<std::string> cells = split_csv_line(line);
      if (line_no == 1) {
        if (cells.size() != t.key_columns.size() + 1)
          s_.error(t.source_span, tr(Msg::reg_table_file_header, path, t.key_columns.size()));
        continue;
      }
      ast::Table::Row row;
      row.span = t.source_span;
      if (cells.size() != t.key_columns.size() + 1) {
        s_.error(t.source_span, tr(Msg::reg_table_file_cells, path, line_no, t.key_columns.size() + 1, cells.size()));
        continue;
      }
      for (size_t i = 0; i + 1 < cells.size(); ++i) row.keys.push_back({trim(cells[i]), t.source_span});
      std::string units = cells.back();
      for (std::string part : split_units(units)) {
        part = trim(part);
        if (!part.empty()) row.units.push_back({part, t.source_span});
      }
      rows.push_back(std::move(row));
    }
    return rows;
  }

  static std::string trim(std::string s) {
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.pop_back();
    size_t i = 0;
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    return s.substr(i);
  }

  static std::vector<std::string> split_units(const std::string& cell) {
    std::vector<std::string> out;
    std::string cur;
    for (size_t i = 0; i < cell.size(); ++i) {
      if (cell[i] == ',' ) {
        out.push_back(cur);
        cur.clear();
      } else if (cell.compare(i, 3, "\xE3\x80\x81") == 0) {  // 、
        out.push_back(cur);
        cur.clear();
        i += 2;
      } else {
        cur += cell[i];
      }
    }
    out.push_back(cur);
    return out;
  }

  static std::vector<std::string> split_csv_line(const std::string& line) {
    std::vector<std::string> cells;
    std::string cur;
    bool quoted = false;
    for (size_t i = 0; i < line.size(); ++i) {
      char c = line[i];
      if (quoted) {
        if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
          cur += '"';
          ++i;
        } else if (c == '"') {
          quoted = false;
        } else {
          cur += c;
        }
      } else if (c == '"') {
        quoted = true;
      } else if (c == ',') {
        cells.push_back(cur);
        cur.clear();
      } else {
        cur += c;
      }
    }
    cells.push_back(cur);
    return cells;
  }

  void event(const ast::EventType& e) {
    if (s_.event_index.count(e.name.text)) {
      s_.error(e.name.span, tr(Msg::reg_event_twice, e.name.text));
      return;
    }
    EventTypeDef def;
    def.name = e.name.text;
    def.display = e.display;
    std::set<std::string> names;
    for (const auto& f : e.fields) {
      if (f.name.text == "type" || f.name.text == "date" || f.name.text == "日期") {
        s_.error(f.name.span, tr(Msg::reg_builtin_field, f.name.text));
        continue;
      }
      if (!names.insert(f.name.text).second) {
        s_.error(f.name.span, tr(Msg::reg_field_twice, f.name.text, e.name.text));
        continue;
      }
      if (def.fields.size() >= kMaxFields) {
        s_.error(f.span, tr(Msg::reg_too_many_fields, kMaxFields));
        break;
      }
      FieldDef fd;
      fd.name = f.name.text;
      fd.display = f.display;
      fd.optional = f.optional;
      auto slot = static_cast<int32_t>(def.fields.size());
      const std::string& type = f.type.text;
      if (!f.key_fields.empty()) {
        auto t = s_.table_index.find(type);
        if (t == s_.table_index.end()) {
          s_.error(f.type.span, tr(Msg::unknown_table, type), s_.suggest(type, CompilerState::keys(s_.table_index)));
          continue;
        }
        const auto& table = s_.program.tables[t->second];
        if (f.key_fields.size() != table.columns.size()) {
          s_.error(f.span, tr(Msg::reg_key_field_count, type, table.columns.size(),
                               fmt::join(table.columns, text(Msg::list_separator)), f.key_fields.size()));
          continue;
        }
        fd.kind = FieldKind::TableKey;
        fd.ref = t->second;
        for (const auto& k : f.key_fields) fd.key_fields.push_back(k.text);
        if (def.key_field >= 0 || def.unit_field >= 0)
          s_.error(f.span, tr(Msg::reg_second_unit_field, e.name.text));
        def.key_field = slot;
      } else if (type == "单位") {
        fd.kind = FieldKind::Unit;
        if (def.key_field >= 0 || def.unit_field >= 0)
          s_.error(f.span, tr(Msg::reg_second_unit_field, e.name.text));
        def.unit_field = slot;
      } else if (type == "文本") {
        fd.kind = FieldKind::Text;
      } else if (type == "数值") {
        fd.kind = FieldKind::Number;
      } else if (type == "日期") {
        fd.kind = FieldKind::Date;
      } else if (auto en = s_.enum_index.find(type); en != s_.enum_index.end()) {
        fd.kind = FieldKind::Enum;
        fd.ref = en->second;
      } else {
        std::vector<std::string> types = {"单位", "文本", "数值", "日期"};
        for (const auto& [n, i] : s_.enum_index) types.push_back(n);
        s_.error(f.type.span, tr(Msg::reg_unknown_field_type, type),
                 s_.suggest(type, types).empty() ? tr(Msg::reg_field_types) : s_.suggest(type, types));
        continue;
      }
      def.fields.push_back(std::move(fd));
    }
    if (def.unit_field < 0 && def.key_field < 0)
      s_.error(e.name.span, tr(Msg::reg_event_no_unit, e.name.text), tr(Msg::reg_event_no_unit_hint));
    for (const auto& u : e.unique) {
      std::vector<uint32_t> slots;
      for (const auto& n : u) {
        if (n.text == "date" || n.text == "日期") {
          slots.push_back(kMaxFields);
          continue;
        }
        auto it = std::find_if(def.fields.begin(), def.fields.end(), [&](const FieldDef& f) { return f.name == n.text; });
        if (it == def.fields.end()) {
          std::vector<std::string> fields;
          for (const auto& f : def.fields) fields.push_back(f.name);
          s_.error(n.span, tr(Msg::no_such_field, e.name.text, n.text), s_.suggest(n.text, fields));
          continue;
        }
        slots.push_back(static_cast<uint32_t>(it - def.fields.begin()));
      }
      if (slots.size() > 4) s_.error(u.front().span, tr(Msg::reg_unique_too_many));
      else def.unique.push_back(std::move(slots));
    }
    s_.event_index[e.name.text] = static_cast<uint32_t>(s_.program.events.size());
    s_.program.events.push_back(std::move(def));
  }

  // Records may name an event type or a field by its display name, so each display name must
  // stand for one code: type names among types; field names among all fields, and never the
  // type and date columns (type, date, 类型, 日期).
  void check_display_names() {
    std::map<std::string, std::string> types, fields;  // display or code -> code
    std::vector<const ast::EventType*> events;
    for (const auto& d : s_.rulebook.declarations)
      if (auto* e = std::get_if<ast::EventType>(&d)) events.push_back(e);
    for (const auto* e : events) {
      types.emplace(e->name.text, e->name.text);
      for (const auto& f : e->fields) fields.emplace(f.name.text, f.name.text);
    }
    for (const auto* e : events) {
      if (e->display.empty()) continue;
      auto [it, fresh] = types.emplace(e->display, e->name.text);
      if (!fresh && it->second != e->name.text)
        s_.error(e->name.span, tr(Msg::reg_event_display_taken, e->display, e->name.text, it->second));
    }
    for (const auto* e : events) {
      for (const auto& f : e->fields) {
        if (f.display.empty()) continue;
        if (f.display == "type" || f.display == "date" || f.display == "类型" || f.display == "日期") {
          s_.error(f.name.span, tr(Msg::reg_field_display_builtin, f.display, f.name.text));
          continue;
        }
        auto [it, fresh] = fields.emplace(f.display, f.name.text);
        if (!fresh && it->second != f.name.text)
          s_.error(f.name.span, tr(Msg::reg_field_display_taken, f.display, f.name.text, it->second));
      }
    }
  }

  void named_stream(const ast::NamedStream& n) {
    if (s_.streams.count(n.name.text) || s_.event_index.count(n.name.text)) {
      s_.error(n.name.span, tr(Msg::reg_stream_name_taken, n.name.text));
      return;
    }
    s_.streams[n.name.text] = &n;
  }

  CompilerState& s_;
  std::string base_dir_;
  bool seen_period_ = false;
  // Where each unit is declared, and whether anything after its declaration names it.
  std::vector<ast::Span> unit_span_;
  std::vector<bool> unit_named_;
  struct UnknownUnit {
    struct Use {
      ast::Span span;
      std::string hint;
    };
    std::string name;
    std::vector<Use> uses;
  };
  std::vector<UnknownUnit> unknown_units_;  // in the order they are first met
};

}  // namespace

void declare_registries(CompilerState& s, const std::string& base_dir) {
  Registry(s, base_dir).run();
  s.handlers.resize(s.program.events.size());
  s.type_used.assign(s.program.events.size(), false);
}

}  // namespace rb
