#include "cli/explain.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <set>

#include "cli/format.hpp"
#include "runtime/messages.hpp"

namespace rb {

namespace {

std::string num(const Rational& v) { return format_decimal(v, 4); }

std::string where(const TraceRecord& r) { return r.file.empty() ? std::string() : fmt::format("{}:{}", r.file, r.line); }

void tree(const TraceNode& n, const std::string& indent, bool last, bool root, std::string& out) {
  std::string branch = root ? "" : (last ? "└─ " : "├─ ");
  std::string head = fmt::format("{}{}{}  {}", indent, branch, n.name, num(n.value));
  if (n.cap) head += tr(Msg::ex_cap, num(*n.cap));
  if (!n.citation.empty()) head += fmt::format("  [{}]", n.citation);
  out += head + "\n";
  std::string inner = indent + (root ? "" : (last ? "   " : "│  "));
  std::string bar = n.children.empty() ? "   " : "│  ";
  for (const auto& note : n.notes) out += fmt::format("{}{}· {}\n", inner, bar, note);
  for (const auto& [name, v] : n.uses) out += fmt::format("{}{}· {}\n", inner, bar, tr(Msg::ex_uses, name, num(v)));
  if (!n.periods.empty()) {
    std::vector<std::string> values;
    for (const auto& [label, v] : n.periods) values.push_back(fmt::format("{} {}", label, num(v)));
    out += fmt::format("{}{}  {}\n", inner, bar, tr(Msg::ex_per_period, fmt::format("{}", fmt::join(values, text(Msg::list_separator)))));
  }
  for (const auto& c : n.cross_unit) {
    std::vector<std::string> over;
    for (const auto& [unit, v] : c.over) over.push_back(fmt::format("{} {}", unit, num(v)));
    out += fmt::format("{}{}  {}\n", inner, bar,
                       tr(Msg::ex_units, over.empty() ? text(Msg::ex_none) : fmt::format("{}", fmt::join(over, text(Msg::list_separator)))));
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

std::string amount(const Rational& v, int decimals) { return format_decimal(v, decimals); }

// A date as a notice writes it: 2022年5月9日 (in English, as it is: 2022-05-09).
std::string notice_date(const std::string& iso) {
  int y = 0, m = 0, d = 0;
  if (language() == Lang::En || std::sscanf(iso.c_str(), "%d-%d-%d", &y, &m, &d) != 3) return iso;
  return fmt::format("{}年{}月{}日", y, m, d);
}

// One counted record, or one gap or streak, as a phrase: when, what, and who issued it.
std::string phrase(const TraceRecord& r) {
  if (r.file.empty() && r.streak)
    return tr(Msg::pr_streak, r.key, notice_date(r.span_from), notice_date(r.span_to), amount(r.amount, 2));
  if (r.file.empty())
    return tr(Msg::pr_gap, r.key, notice_date(r.span_from), notice_date(r.span_to), r.span_days, amount(r.amount, 2));
  std::string what = r.key.empty() ? r.type : fmt::format("{} {}", r.type, r.key);
  if (r.details.empty()) return tr(Msg::pr_record, notice_date(r.date), what);
  std::vector<std::string> details;
  for (const auto& [field, value] : r.details) details.push_back(tr(Msg::pr_detail, field, value));
  return tr(Msg::pr_record_details, notice_date(r.date), what, fmt::format("{}", fmt::join(details, text(Msg::list_separator))));
}

// Records a notice lists by name under one item; more are given as a count.
constexpr size_t kNoticeRecords = 8;

// A sub-period's label (2022-03, 2022Q1, 2022H2, a week's first day) as a notice writes it.
std::string period_shown(const std::string& label) {
  int y = 0, k = 0;
  char c = 0;
  if (std::sscanf(label.c_str(), "%4d-%2d-%2d", &y, &k, &k) == 3) return tr(Msg::pr_label_week, notice_date(label));
  if (std::sscanf(label.c_str(), "%4d-%2d", &y, &k) == 2) return tr(Msg::pr_label_month, y, k);
  if (std::sscanf(label.c_str(), "%4d%c%d", &y, &c, &k) == 3 && c == 'Q') return tr(Msg::pr_label_quarter, y, k);
  if (std::sscanf(label.c_str(), "%4d%c%d", &y, &c, &k) == 3 && c == 'H')
    return tr(k == 1 ? Msg::pr_label_half_1 : Msg::pr_label_half_2, y);
  return label;
}

struct ProseState {
  int decimals;
  int number = 0;  // items are numbered within each section
  std::string out;
};

const char* verb_of(const std::string& role) {
  return text(role == "bonus" ? Msg::pr_verb_add : role == "points" ? Msg::pr_verb_score : Msg::pr_verb_deduct);
}

// The sentences of the items under `n` that moved the score, and the caps and
// substitutions that changed a group or category.
void prose(const TraceNode& n, const std::string& role, ProseState& st) {
  const std::string& own = n.kind == "category" && !n.role.empty() ? n.role : role;
  if ((n.kind == "item" || n.kind == "veto") && !n.value.is_zero()) {
    // Each record once (a rate reads its records twice), and a long list as its count: the
    // notice is for reading; the derivation (explain without --prose) lists them all.
    std::vector<std::string> records;
    std::set<std::pair<std::string, uint32_t>> seen;
    for (const auto& acc : n.accumulators)
      for (const auto& r : acc.records) {
        if (!r.counted || (r.amount.is_zero() && r.file.empty())) continue;
        if (!r.file.empty() && !seen.emplace(r.file, r.line).second) continue;
        records.push_back(phrase(r));
      }
    std::string basis;
    if (records.size() > kNoticeRecords)
      basis = tr(Msg::pr_many_records, records.size());
    else if (!records.empty())
      basis = tr(Msg::pr_records, fmt::format("{}", fmt::join(records, text(Msg::pr_record_separator))));
    if (!n.periods.empty()) {
      std::vector<std::string> periods;
      for (const auto& [label, v] : n.periods)
        if (!v.is_zero()) periods.push_back(tr(Msg::pr_period_value, period_shown(label), amount(v, st.decimals)));
      if (!periods.empty()) {
        basis += tr(Msg::pr_periods, fmt::format("{}", fmt::join(periods, text(Msg::list_separator))),
                    text(combine_message(n.combined)));
      }
    }
    ++st.number;
    if (n.substituted)
      st.out += tr(Msg::pr_item_substituted, st.number, n.citation, n.name, n.mean_over.size(), verb_of(own),
                   amount(n.value, st.decimals));
    else
      st.out += tr(Msg::pr_item, st.number, n.citation, n.name, verb_of(own), amount(n.value, st.decimals), basis);
    st.out += "\n";
  }
  if ((n.kind == "category" || n.kind == "group") && own != "veto") {
    const char* word = text(n.kind == "category" ? Msg::pr_word_category : Msg::pr_word_group);
    if (n.substituted) {
      // Its members' own amounts do not count: the mean stands for all of them.
      st.out += tr(Msg::pr_group_substituted, n.name, word, n.mean_over.size(), amount(n.value, st.decimals),
                   amount(n.own_value.value_or(Rational(0)), st.decimals)) + "\n";
      return;
    }
    if (n.before_cap)
      st.out += tr(Msg::pr_group_capped, n.name, word, amount(*n.before_cap, st.decimals), amount(n.value, st.decimals)) + "\n";
  }
  for (const auto& c : n.children) prose(c, own, st);
}

// The veto items that hit, as sentences.
void vetoes(const TraceNode& n, const std::string& unit, std::string& out) {
  if (n.kind == "veto" && !n.value.is_zero()) {
    std::vector<std::string> records;
    for (const auto& acc : n.accumulators)
      for (const auto& r : acc.records)
        if (r.counted) records.push_back(phrase(r));
    out += tr(Msg::pr_vetoed, unit, n.citation, n.name,
              records.empty() ? "" : tr(Msg::pr_vetoed_basis, fmt::format("{}", fmt::join(records, text(Msg::pr_record_separator))))) + "\n";
  }
  for (const auto& c : n.children) vetoes(c, unit, out);
}

}  // namespace

void trace_json(JsonWriter& w, const TraceNode& n) {
  w.begin_object();
  w.key("name").value(n.name);
  w.key("kind").value(n.kind);
  if (!n.role.empty()) w.key("role").value(n.role);
  if (!n.citation.empty()) w.key("citation").value(n.citation);
  if (n.line) w.key("line").value(n.line);
  w.key("value").value(to_double_rounded(n.value, 6));
  if (n.cap) w.key("cap").value(to_double_rounded(*n.cap, 6));
  if (n.before_cap) w.key("before_cap").value(to_double_rounded(*n.before_cap, 6));
  if (n.substituted) {
    w.key("substitution").begin_object();
    w.key("mean").value(to_double_rounded(n.mean, 6));
    w.key("own_value").value(to_double_rounded(n.own_value.value_or(Rational(0)), 6));
    w.key("over").strings(n.mean_over);
    w.end_object();
  }
  if (n.ranked) {
    w.key("ranking").begin_object();
    w.key("value").value(to_double_rounded(n.rank_value, 6));
    w.key("rank").value(n.rank);
    w.key("ranked_units").value(n.ranked_units);
    w.end_object();
  }
  if (!n.accumulators.empty()) {
    w.key("accumulators").begin_array();
    for (const auto& a : n.accumulators) {
      w.begin_object();
      w.key("description").value(a.description);
      w.key("total").value(to_double_rounded(a.total, 6));
      w.key("records").begin_array();
      for (const auto& r : a.records) {
        w.begin_object();
        if (!r.file.empty()) {
          w.key("file").value(r.file);
          w.key("line").value(r.line);
          w.key("type").value(r.type);
        }
        w.key("date").value(r.date);
        if (!r.key.empty()) w.key("key").value(r.key);
        w.key("amount").value(to_double_rounded(r.amount, 6));
        w.key("counted").value(r.counted);
        if (!r.note.empty()) w.key("note").value(r.note);
        w.end_object();
      }
      w.end_array();
      w.end_object();
    }
    w.end_array();
  }
  // Objects keyed by names: written as ordered_json's obj[name] = value filled them.
  auto numbers = [&w](const std::vector<std::pair<std::string, Rational>>& pairs) {
    w.begin_object();
    write_members(
        w, pairs.size(), [&](size_t i) { return std::string_view(pairs[i].first); },
        [&](size_t i) { w.value(to_double_rounded(pairs[i].second, 6)); });
    w.end_object();
  };
  if (!n.cross_unit.empty()) {
    w.key("across_units").begin_array();
    for (const auto& c : n.cross_unit) {
      w.begin_object();
      w.key("what").value(c.what);
      w.key("value").value(to_double_rounded(c.value, 6));
      w.key("over");
      numbers(c.over);
      w.end_object();
    }
    w.end_array();
  }
  if (!n.periods.empty()) {
    w.key("periods");
    numbers(n.periods);
    w.key("combined").value(combine_code(n.combined));
  }
  if (!n.uses.empty()) {
    w.key("uses");
    numbers(n.uses);
  }
  if (!n.notes.empty()) w.key("notes").strings(n.notes);
  if (!n.children.empty()) {
    w.key("children").begin_array();
    for (const auto& c : n.children) trace_json(w, c);
    w.end_array();
  }
  w.end_object();
}

std::string explain_tree(const UnitTrace& trace, const TraceNode& root) {
  std::string out = fmt::format("{}\n", trace.unit);
  tree(root, "", true, true, out);
  // Under the score, the unit's indicators: values that add nothing by themselves.
  if (&root == &trace.score)
    for (const auto& ind : trace.indicators) tree(ind, "", true, true, out);
  return out;
}

NoticeHead notice_head(const Result& r, size_t unit) {
  const auto order = overall_standings(r);
  size_t rank = 0;
  for (const Standing& s : order)
    if (s.unit == unit) rank = s.rank;
  return notice_head(r, unit, rank, ranked_units(order));
}

NoticeHead notice_head(const Result& r, size_t unit, size_t rank, size_t ranked) {
  NoticeHead h;
  const UnitResult& u = r.units[unit];
  h.assessed = u.assessed;
  h.not_assessed_reason = u.not_assessed_reason;
  h.vetoed = u.vetoed;
  h.score = u.score;
  h.grade = u.grade;
  h.decimals = r.decimals;
  h.rank = rank;
  h.ranked = ranked;
  return h;
}

std::string explain_prose(const UnitTrace& trace, const TraceNode& root, const NoticeHead* head) {
  const bool whole = &root == &trace.score;
  const int decimals = head ? head->decimals : 2;
  std::string out;
  if (head && whole) {
    if (!head->assessed) return tr(Msg::pr_not_assessed, trace.unit, head->not_assessed_reason) + "\n";
    if (head->vetoed) {
      vetoes(root, trace.unit, out);
      return out;
    }
    out += tr(Msg::pr_head, trace.unit, amount(head->score, decimals), head->ranked, head->rank,
              head->grade.empty() ? "" : tr(Msg::pr_head_grade, head->grade)) + "\n";
  }
  bool any = false;
  if (whole) {
    // One section per category role, in the rulebook's order of first appearance.
    for (const std::string role : {"deduction", "points", "bonus"}) {
      ProseState st{decimals, 0, {}};
      for (const auto& c : root.children)
        if (c.role == role) prose(c, role, st);
      if (st.out.empty()) continue;
      out += text(role == "deduction" ? Msg::pr_deductions : role == "bonus" ? Msg::pr_bonuses : Msg::pr_points);
      out += "\n" + st.out;
      any = true;
    }
  } else {
    ProseState st{decimals, 0, {}};
    prose(root, root.role.empty() ? "deduction" : root.role, st);
    out += st.out;
    any = !st.out.empty();
  }
  if (!any && !(head && whole)) out = tr(Msg::pr_nothing, trace.unit) + "\n";
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
