#include "cli/explain.hpp"

#include <fmt/format.h>

namespace rb {

namespace {

using ordered_json = nlohmann::ordered_json;

std::string num(const Rational& v) { return format_decimal(v, 4); }

std::string where(const TraceRecord& r) { return r.file.empty() ? std::string() : fmt::format("{}:{}", r.file, r.line); }

void tree(const TraceNode& n, const std::string& indent, bool last, bool root, std::string& out) {
  std::string branch = root ? "" : (last ? "└─ " : "├─ ");
  std::string head = fmt::format("{}{}{}  {}", indent, branch, n.name, num(n.value));
  if (n.cap) head += fmt::format("  (上限 {})", num(*n.cap));
  if (!n.citation.empty()) head += fmt::format("  [{}]", n.citation);
  out += head + "\n";
  std::string inner = indent + (root ? "" : (last ? "   " : "│  "));
  std::string bar = n.children.empty() ? "   " : "│  ";
  for (const auto& note : n.notes) out += fmt::format("{}{}· {}\n", inner, bar, note);
  for (const auto& [name, v] : n.uses) out += fmt::format("{}{}· uses {} = {}\n", inner, bar, name, num(v));
  if (!n.periods.empty()) {
    std::vector<std::string> values;
    for (const auto& [label, v] : n.periods) values.push_back(fmt::format("{} {}", label, num(v)));
    out += fmt::format("{}{}  per sub-period: {}\n", inner, bar, fmt::join(values, ", "));
  }
  for (const auto& c : n.cross_unit) {
    std::vector<std::string> over;
    for (const auto& [unit, v] : c.over) over.push_back(fmt::format("{} {}", unit, num(v)));
    out += fmt::format("{}{}  units: {}\n", inner, bar, over.empty() ? "(none)" : fmt::format("{}", fmt::join(over, ", ")));
  }
  for (const auto& acc : n.accumulators) {
    if (acc.records.empty()) continue;
    out += fmt::format("{}{}{}: {}\n", inner, bar, acc.description, num(acc.total));
    for (const auto& r : acc.records) {
      std::string line = fmt::format("{}{}  {} ", inner, bar, r.counted ? "+" : "-");
      if (!r.file.empty()) line += fmt::format("{}  {}  {}", where(r), r.date, r.type);
      if (!r.key.empty() && !r.file.empty()) line += fmt::format("  {}", r.key);
      if (r.counted && !r.file.empty()) line += fmt::format("  {}", num(r.amount));
      if (!r.note.empty()) line += (r.file.empty() ? "" : "  ") + r.note;
      out += line + "\n";
    }
  }
  for (size_t i = 0; i < n.children.size(); ++i) tree(n.children[i], inner, i + 1 == n.children.size(), false, out);
}

std::string amount(const Rational& v) { return format_decimal(v, 2); }

// One counted record, or one gap or streak, as a phrase.
std::string phrase(const TraceRecord& r) {
  if (r.file.empty() && r.span_days > 0 && r.note.find("no record") != std::string::npos)
    return fmt::format("{}自{}至{}间隔{}天未更新，计{}次", r.key, r.span_from, r.span_to, r.span_days, amount(r.amount));
  if (r.file.empty()) return fmt::format("{}于{}至{}连续低于要求，计{}次", r.key, r.span_from, r.span_to, amount(r.amount));
  return fmt::format("{} {}{}", r.date, r.type, r.key.empty() ? "" : " " + r.key);
}

// `verb` says what an item's points do: 扣 (deducted), 加 (a bonus) or 得 (scored, in 计分).
void prose(const TraceNode& n, const std::string& unit, const char* verb, std::string& out) {
  if (n.kind == "category") verb = n.role == "bonus" ? "加" : n.role == "points" ? "得" : "扣";
  if ((n.kind == "item" || n.kind == "veto") && !n.value.is_zero()) {
    std::vector<std::string> records;
    size_t count = 0;
    for (const auto& acc : n.accumulators)
      for (const auto& r : acc.records) {
        if (!r.counted || (r.amount.is_zero() && r.file.empty())) continue;
        records.push_back(phrase(r));
        count += r.file.empty() ? 0 : 1;
      }
    std::string basis;
    if (!records.empty())
      basis = count > 0 ? fmt::format("，涉及记录{}条：{}", count, fmt::join(records, "；")) : fmt::format("：{}", fmt::join(records, "；"));
    if (n.kind == "veto")
      out += fmt::format("{}触及{}（{}），实行一票否决{}。\n", unit, n.citation, n.name, basis);
    else if (n.substituted)
      out += fmt::format("{}按{}（{}）取{}个单位的平均分，{}{}分。\n", unit, n.citation, n.name, n.mean_over.size(),
                         verb, amount(n.value));
    else
      out += fmt::format("{}按{}（{}）{}{}分{}。\n", unit, n.citation, n.name, verb, amount(n.value), basis);
  }
  if ((n.kind == "category" || n.kind == "group") && n.role != "veto") {
    const char* word = n.kind == "category" ? "类" : "项";
    if (n.substituted)
      out += fmt::format("{}“{}”{}按{}个有关单位的平均分计{}分（本单位原为{}分）。\n", unit, n.name, word,
                         n.mean_over.size(), amount(n.value), amount(n.own_value.value_or(Rational(0))));
    else if (n.before_cap)
      out += fmt::format("{}“{}”{}合计{}分，超过上限，按{}分计。\n", unit, n.name, word, amount(*n.before_cap),
                         amount(n.value));
  }
  for (const auto& c : n.children) prose(c, unit, verb, out);
}

}  // namespace

ordered_json trace_json(const TraceNode& n) {
  ordered_json j;
  j["name"] = n.name;
  j["kind"] = n.kind;
  if (!n.role.empty()) j["role"] = n.role;
  if (!n.citation.empty()) j["citation"] = n.citation;
  if (n.line) j["line"] = n.line;
  j["value"] = to_double_rounded(n.value, 6);
  if (n.cap) j["cap"] = to_double_rounded(*n.cap, 6);
  if (n.before_cap) j["before_cap"] = to_double_rounded(*n.before_cap, 6);
  if (n.substituted) {
    j["substitution"] = {{"mean", to_double_rounded(n.mean, 6)},
                         {"own_value", to_double_rounded(n.own_value.value_or(Rational(0)), 6)},
                         {"over", n.mean_over}};
  }
  if (n.ranked)
    j["ranking"] = {{"value", to_double_rounded(n.rank_value, 6)}, {"rank", n.rank}, {"ranked_units", n.ranked_units}};
  if (!n.accumulators.empty()) {
    ordered_json accs = ordered_json::array();
    for (const auto& a : n.accumulators) {
      ordered_json ja;
      ja["description"] = a.description;
      ja["total"] = to_double_rounded(a.total, 6);
      ordered_json recs = ordered_json::array();
      for (const auto& r : a.records) {
        ordered_json jr;
        if (!r.file.empty()) {
          jr["file"] = r.file;
          jr["line"] = r.line;
          jr["type"] = r.type;
        }
        jr["date"] = r.date;
        if (!r.key.empty()) jr["key"] = r.key;
        jr["amount"] = to_double_rounded(r.amount, 6);
        jr["counted"] = r.counted;
        if (!r.note.empty()) jr["note"] = r.note;
        recs.push_back(jr);
      }
      ja["records"] = recs;
      accs.push_back(ja);
    }
    j["accumulators"] = accs;
  }
  if (!n.cross_unit.empty()) {
    ordered_json cs = ordered_json::array();
    for (const auto& c : n.cross_unit) {
      ordered_json over = ordered_json::object();
      for (const auto& [unit, v] : c.over) over[unit] = to_double_rounded(v, 6);
      cs.push_back({{"what", c.what}, {"value", to_double_rounded(c.value, 6)}, {"over", over}});
    }
    j["across_units"] = cs;
  }
  if (!n.periods.empty()) {
    ordered_json periods = ordered_json::object();
    for (const auto& [label, v] : n.periods) periods[label] = to_double_rounded(v, 6);
    j["periods"] = periods;
    j["combined"] = n.combined;
  }
  if (!n.uses.empty()) {
    ordered_json uses = ordered_json::object();
    for (const auto& [name, v] : n.uses) uses[name] = to_double_rounded(v, 6);
    j["uses"] = uses;
  }
  if (!n.notes.empty()) j["notes"] = n.notes;
  if (!n.children.empty()) {
    ordered_json children = ordered_json::array();
    for (const auto& c : n.children) children.push_back(trace_json(c));
    j["children"] = children;
  }
  return j;
}

std::string explain_tree(const UnitTrace& trace, const TraceNode& root) {
  std::string out = fmt::format("{}\n", trace.unit);
  tree(root, "", true, true, out);
  // Under the score, the unit's indicators: values that add nothing by themselves.
  if (&root == &trace.score)
    for (const auto& ind : trace.indicators) tree(ind, "", true, true, out);
  return out;
}

std::string explain_prose(const UnitTrace& trace, const TraceNode& root) {
  std::string out;
  prose(root, trace.unit, "扣", out);
  if (out.empty()) out = fmt::format("{}没有扣分或加分事项。\n", trace.unit);
  return out;
}

const TraceNode* find_node(const TraceNode& root, const std::string& name) {
  if (root.name == name) return &root;
  for (const auto& c : root.children)
    if (const TraceNode* f = find_node(c, name)) return f;
  return nullptr;
}

void collect_names(const TraceNode& root, std::vector<std::string>& out) {
  out.push_back(root.name);
  for (const auto& c : root.children) collect_names(c, out);
}

}  // namespace rb
