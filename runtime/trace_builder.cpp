#include "trace_builder.hpp"

#include "messages.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "rbc_file.hpp"

namespace rb {

namespace detail {

// What a node's code reads before it stores the node: accumulators and other nodes.
struct Reads {
  std::vector<uint32_t> accumulators;
  std::vector<uint32_t> nodes;
};

class Builder {
 public:
  Builder(const Program& p, const Machine& m, const Symbols& s, const std::vector<std::string>& files)
      : p_(p), m_(m), symbols_(s), files_(files), values_(m.node_values()), units_(p.units.size()) {
    reads_.resize(p.nodes.size());
    mean_step_.assign(p.nodes.size(), -1);
    rank_step_.assign(p.nodes.size(), -1);
    agg_step_.assign(p.nodes.size(), -1);
    for (size_t i = 0; i < p.steps.size(); ++i) {
      const Step& step = p.steps[i];
      if (step.kind == StepKind::UnitCode) scan_unit_code(step.code);
      if (step.kind == StepKind::Mean) mean_step_[step.output] = static_cast<int32_t>(i);
      if (step.kind == StepKind::Rank) rank_step_[step.output] = static_cast<int32_t>(i);
      if (step.kind == StepKind::Aggregate) agg_step_[step.output] = static_cast<int32_t>(i);
    }
    acc_types_.resize(p.accumulators.size());
    for (uint32_t t = 0; t < p.events.size(); ++t) scan_handler(t);
    const auto& entries = m.trace_entries();
    by_acc_unit_.resize(p.accumulators.size() * units_);
    for (size_t i = 0; i < entries.size(); ++i) by_acc_unit_[entries[i].acc * units_ + entries[i].unit].push_back(i);
  }

  UnitTrace unit(uint32_t u) {
    UnitTrace t;
    t.unit = p_.units[u];
    t.score = score(u);
    for (uint32_t n : p_.indicators) t.indicators.push_back(node(n, u));
    return t;
  }

 private:
  // Walks a block of unit code: each STORE takes the accumulators and nodes read since the
  // previous STORE as its inputs.
  void scan_unit_code(CodeRange range) {
    Reads pending;
    for (uint32_t pc = range.begin; pc < range.end;) {
      Instruction ins;
      if (decode_instruction(p_.code, pc, range.end, ins) != DecodeStatus::Ok) return;
      if (ins.op == Op::ACC || ins.op == Op::PERIOD_ACC) pending.accumulators.push_back(static_cast<uint32_t>(ins.operands[0]));
      if (ins.op == Op::NODE || ins.op == Op::PERIOD_NODE || ins.op == Op::PERIOD_SUM || ins.op == Op::PERIOD_MEAN)
        pending.nodes.push_back(static_cast<uint32_t>(ins.operands[0]));
      if (ins.op == Op::STORE || ins.op == Op::PERIOD_STORE) {
        reads_[static_cast<uint32_t>(ins.operands[0])] = std::move(pending);
        pending = {};
      }
      pc = ins.next();
    }
  }

  void scan_handler(uint32_t type) {
    CodeRange range = p_.events[type].handler;
    for (uint32_t pc = range.begin; pc < range.end;) {
      Instruction ins;
      if (decode_instruction(p_.code, pc, range.end, ins) != DecodeStatus::Ok) return;
      switch (ins.op) {
        case Op::ACC_ADD: case Op::ACC_KEY_ADD: case Op::ACC_KEY_MAX: case Op::ACC_KEY_MARK:
        case Op::ACC_DAY_MARK: case Op::ACC_DAY_FLAG: case Op::ACC_ADD_P: case Op::ACC_KEY_ADD_P: case Op::ACC_KEY_MAX_P: {
          auto& types = acc_types_[static_cast<uint32_t>(ins.operands[0])];
          if (std::find(types.begin(), types.end(), type) == types.end()) types.push_back(type);
          break;
        }
        default: break;
      }
      pc = ins.next();
    }
  }

  std::string kind_of(uint32_t n) const {
    const NodeDef& d = p_.nodes[n];
    switch (d.kind) {
      case NodeKind::Item:
        return d.parent >= 0 && p_.nodes[static_cast<size_t>(d.parent)].role == CategoryRole::Veto ? "veto" : "item";
      case NodeKind::Group: return "group";
      case NodeKind::Category:
      case NodeKind::Veto: return "category";
      case NodeKind::Score: return "score";
      case NodeKind::Indicator: return "indicator";
      default: return "value";
    }
  }

  TraceNode node(uint32_t n, uint32_t u) {
    const NodeDef& d = p_.nodes[n];
    TraceNode t;
    t.name = d.name;
    t.kind = kind_of(n);
    if (d.role == CategoryRole::Deduction) t.role = "deduction";
    if (d.role == CategoryRole::Bonus) t.role = "bonus";
    if (d.role == CategoryRole::Veto) t.role = "veto";
    if (d.role == CategoryRole::Points) t.role = "points";
    t.citation = d.citation;
    t.line = d.source_line;
    t.value = values_[n][u];
    if (d.has_cap) t.cap = d.cap;
    uint32_t content = n;
    if (mean_step_[n] >= 0) {
      const Step& step = p_.steps[static_cast<size_t>(mean_step_[n])];
      content = step.input;
      if (values_[step.condition][u].is_zero()) {
        t.substituted = true;
        t.mean = t.value;
        t.own_value = values_[step.input][u];
        for (uint32_t v = 0; v < units_; ++v)
          if (!values_[step.condition][v].is_zero()) t.mean_over.push_back(p_.units[v]);
        t.notes.push_back(tr(Msg::tr_substituted, p_.nodes[step.condition].source_line, t.mean_over.size(),
                             format_decimal(t.mean, 4),
                             t.own_value->is_zero() ? "" : tr(Msg::tr_substituted_own, format_decimal(*t.own_value, 4))));
      }
    }
    if (d.before_cap >= 0) {
      // The item's own cap: its code stored the value before the cap in a node of its own.
      const Rational& before = values_[static_cast<size_t>(d.before_cap)][u];
      if (before > d.cap) {
        t.before_cap = before;
        t.notes.push_back(tr(Msg::tr_item_cap, format_decimal(d.cap, 4), format_decimal(before, 4),
                             format_decimal(before - d.cap, 4)));
      }
      content = static_cast<uint32_t>(d.before_cap);
    }
    if (d.only >= 0 && !m_.in_unit_set(static_cast<uint32_t>(d.only), u))
      t.notes.push_back(tr(Msg::tr_only, p_.unit_sets[static_cast<size_t>(d.only)].name));
    if (d.has_full)
      t.notes.push_back(tr(Msg::tr_full_marks, format_decimal(d.full, 4)));
    if (d.per_period >= 0) {
      // Scored per sub-period: list each one's value; the records are those of the periodic node.
      const auto pn = static_cast<size_t>(d.per_period);
      const PeriodKind kind = p_.nodes[pn].period;
      const int32_t count = m_.periods(kind);
      for (int32_t k = 0; k < count; ++k)
        t.periods.emplace_back(period_label(kind, p_.period_from, k), values_[pn][u * static_cast<size_t>(count) + static_cast<size_t>(k)]);
      t.combined = d.combine;
      if (d.has_period_cap) t.notes.push_back(tr(Msg::tr_period_cap, format_decimal(d.period_cap, 4)));
      t.notes.push_back(tr(Msg::tr_year_value, text(combine_message(d.combine))));
      if (d.kind != NodeKind::Group) content = static_cast<uint32_t>(d.per_period);
    }
    fill(content, n, u, t);
    return t;
  }

  // A value across units that node code reads: which units it was taken over, and theirs.
  TraceCrossUnit cross_unit(uint32_t r, uint32_t u) {
    const Step& step = p_.steps[static_cast<size_t>(agg_step_[r])];
    TraceCrossUnit c;
    const std::string& name = p_.nodes[r].name;
    auto colon = name.find(": ");
    c.what = colon == std::string::npos ? name : name.substr(colon + 2);
    c.value = values_[r][u];
    for (uint32_t v : m_.scope_of(step, u)) c.over.emplace_back(p_.units[v], values_[step.input][v]);
    return c;
  }

  // The content of node `content` (the node itself, or the value before its substitution).
  void fill(uint32_t content, uint32_t n, uint32_t u, TraceNode& t) {
    const NodeDef& d = p_.nodes[n];
    if (d.kind == NodeKind::Group || d.kind == NodeKind::Category || d.kind == NodeKind::Veto) {
      Rational sum(0);
      for (uint32_t c = 0; c < p_.nodes.size(); ++c) {
        if (p_.nodes[c].parent != static_cast<int32_t>(n)) continue;
        t.children.push_back(node(c, u));
        sum = sum + values_[c][u];
      }
      if (d.has_cap && sum > d.cap) {
        t.before_cap = sum;
        t.notes.push_back(tr(Msg::tr_group_cap, format_decimal(d.cap, 4), format_decimal(sum, 4),
                             format_decimal(sum - d.cap, 4)));
      }
      return;
    }
    // A value read twice (a divisor tested, then used) is listed once, where it was first read.
    std::vector<uint32_t> accumulators_shown, nodes_shown;
    auto first_time = [](std::vector<uint32_t>& shown, uint32_t i) {
      if (std::find(shown.begin(), shown.end(), i) != shown.end()) return false;
      shown.push_back(i);
      return true;
    };
    for (uint32_t a : reads_[content].accumulators)
      if (first_time(accumulators_shown, a)) t.accumulators.push_back(accumulator(a, u));
    for (uint32_t r : reads_[content].nodes) {
      if (!first_time(nodes_shown, r)) continue;
      if (agg_step_[r] >= 0) {
        t.cross_unit.push_back(cross_unit(r, u));
        const auto& c = t.cross_unit.back();
        t.notes.push_back(tr(Msg::tr_cross_unit, c.what, format_decimal(c.value, 4), c.over.size()));
        continue;
      }
      const NodeKind k = p_.nodes[r].kind;
      if (k == NodeKind::Item || k == NodeKind::Group || k == NodeKind::Category || k == NodeKind::Indicator ||
          k == NodeKind::Output || k == NodeKind::Score) {
        t.uses.emplace_back(p_.nodes[r].name, values_[r][u]);
        continue;
      }
      if (rank_step_[r] < 0) continue;
      const Step& step = p_.steps[static_cast<size_t>(rank_step_[r])];
      t.ranked = true;
      t.rank_value = values_[step.input][u];
      t.rank = m_.rank_of(r, u);
      t.ranked_units = m_.ranked_count(r, u);
      for (uint32_t a : reads_[step.input].accumulators)
        if (first_time(accumulators_shown, a)) t.accumulators.push_back(accumulator(a, u));
      if (t.rank > 0)
        t.notes.push_back(tr(Msg::tr_ranked, t.rank, t.ranked_units, format_decimal(t.rank_value, 4),
                             text(step.descending ? Msg::tr_rank_descending : Msg::tr_rank_ascending),
                             text(step.tie == TieKind::Dense ? Msg::tr_tie_dense : Msg::tr_tie_skip),
                             format_decimal(values_[r][u], 4)));
      else
        t.notes.push_back(tr(Msg::tr_not_ranked, format_decimal(t.rank_value, 4)));
    }
    if (t.value.is_zero()) why_not(t, n, u);
  }

  // An event type as people know it: its display name when the rulebook gives one.
  std::string type_name(uint32_t type) const {
    return p_.events[type].display.empty() ? p_.events[type].name : p_.events[type].display;
  }

  std::string row_name(uint32_t table, uint32_t row) const {
    std::vector<std::string> keys;
    for (uint32_t k : p_.tables[table].rows[row].keys) keys.push_back(p_.symbols[k]);
    // As a document names an account: 微信订阅号“云和县教育局”, not a tuple.
    if (keys.size() < 2) return keys.empty() ? std::string() : keys.front();
    std::string last = keys.back();
    keys.pop_back();
    return fmt::format("{}“{}”", fmt::join(keys, ""), last);
  }

  TraceRecord record_of(const TraceEntry& e, bool keyed) const {
    TraceRecord r;
    r.file = e.file < files_.size() ? files_[e.file] : "";
    r.line = e.line;
    r.date = format_date(e.date);
    r.type = type_name(e.type);
    if (keyed) r.key = e.key < symbols_.size() ? symbols_.text(e.key) : text(Msg::tr_key_absent);
    r.amount = e.amount;
    // The record's enum fields, by their display names: who issued a notice, its level, ...
    const auto& type = p_.events[e.type];
    const auto& kept = m_.record_enums();
    size_t at = e.enums;
    for (const auto& f : type.fields) {
      if (f.kind != FieldKind::Enum) continue;
      if (at >= kept.size()) break;
      const uint32_t sym = kept[at++];
      if (sym == Machine::kNoSymbol) continue;
      std::string shown = sym < symbols_.size() ? std::string(symbols_.text(sym)) : std::string();
      const EnumDef& en = p_.enums[f.ref];
      for (size_t m = 0; m < en.members.size() && m < en.displays.size(); ++m)
        if (en.members[m] == sym && !en.displays[m].empty()) shown = en.displays[m];
      r.details.emplace_back(f.display.empty() ? f.name : f.display, shown);
    }
    return r;
  }

  TraceAccumulator accumulator(uint32_t a, uint32_t u) {
    const AccumulatorDef& def = p_.accumulators[a];
    TraceAccumulator t;
    t.index = a;
    t.description = def.description.shown();
    t.total = m_.accumulator_total(a, u);
    const auto& entries = m_.trace_entries();
    const auto& mine = by_acc_unit_[a * units_ + u];
    switch (def.kind) {
      case AccKind::Sum:
        for (size_t i : mine) t.records.push_back(record_of(entries[i], false));
        break;
      case AccKind::KeySum:
      case AccKind::KeyMax: {
        std::map<uint32_t, const TraceEntry*> excluded_by;
        if (def.exclude >= 0)
          for (size_t i : by_acc_unit_[static_cast<uint32_t>(def.exclude) * units_ + u])
            excluded_by.emplace(entries[i].key, &entries[i]);
        // For take-highest and distinct counts, the record that counts for a key is the
        // first (by file and line) with the key's highest amount.
        std::map<uint32_t, size_t> best;
        if (def.kind == AccKind::KeyMax)
          for (size_t i : mine) {
            auto it = best.find(entries[i].key);
            if (it == best.end() || entries[it->second].amount < entries[i].amount ||
                (entries[it->second].amount == entries[i].amount &&
                 std::tie(entries[i].file, entries[i].line) < std::tie(entries[it->second].file, entries[it->second].line)))
              best[entries[i].key] = i;
          }
        // One record can reach a take-highest through two arms (e.g. "national: 10" and
        // any outlet: 5); it is shown once, with the larger amount.
        std::map<std::pair<uint32_t, uint32_t>, size_t> per_record;
        for (size_t i : mine) {
          auto at = std::make_pair(entries[i].file, entries[i].line);
          auto it = per_record.find(at);
          if (it == per_record.end() || entries[it->second].amount < entries[i].amount) per_record[at] = i;
        }
        for (size_t i : mine) {
          if (per_record[std::make_pair(entries[i].file, entries[i].line)] != i) continue;
          TraceRecord r = record_of(entries[i], true);
          if (auto ex = excluded_by.find(entries[i].key); ex != excluded_by.end()) {
            r.counted = false;
            r.note = tr(Msg::tr_excluded, type_name(ex->second->type), format_date(ex->second->date), r.key,
                        files_.at(ex->second->file), ex->second->line);
          } else if (def.kind == AccKind::KeyMax && best[entries[i].key] != i) {
            r.counted = false;
            const TraceEntry& b = entries[best[entries[i].key]];
            r.note = tr(Msg::tr_counted_once, r.key, format_decimal(b.amount, 4), files_.at(b.file), b.line);
          }
          t.records.push_back(std::move(r));
        }
        break;
      }
      case AccKind::KeySet:
        break;
      case AccKind::DayGaps:
      case AccKind::DayStreak: {
        const TableDef& table = p_.tables[def.table];
        for (uint32_t row = 0; row < table.rows.size(); ++row) {
          const auto& us = table.rows[row].units;
          if (std::find(us.begin(), us.end(), u) == us.end()) continue;
          m_.explain_days(a, row, [&](int32_t from, int32_t to, int64_t findings) {
            TraceRecord r;
            r.key = row_name(def.table, row);
            r.amount = Rational(findings);
            r.date = format_date(p_.period_from + to);
            r.span_from = format_date(p_.period_from + from);
            r.span_to = r.date;
            r.span_days = to - from;
            r.streak = def.kind == AccKind::DayStreak;
            if (def.kind == AccKind::DayGaps)
              r.note = tr(Msg::tr_gap, r.key, format_date(p_.period_from + from), format_date(p_.period_from + to),
                          to - from, findings);
            else
              r.note = tr(Msg::tr_streak, r.key, def.times, format_date(p_.period_from + from),
                          format_date(p_.period_from + to));
            t.records.push_back(std::move(r));
          });
        }
        break;
      }
    }
    // A stable order, whatever the order of the input: by date, then key, then place.
    std::stable_sort(t.records.begin(), t.records.end(), [](const TraceRecord& a, const TraceRecord& b) {
      return std::tie(a.date, a.key, a.file, a.line) < std::tie(b.date, b.key, b.file, b.line);
    });
    return t;
  }

  // Why an item gave nothing: no records, all outside the period, none matching its
  // conditions or dates, all excluded, or a total below its threshold.
  void why_not(TraceNode& t, uint32_t n, uint32_t u) {
    const NodeDef& def = p_.nodes[n];
    for (const auto& acc : t.accumulators) {
      bool any_counted = std::any_of(acc.records.begin(), acc.records.end(), [](const TraceRecord& r) { return r.counted; });
      if (!acc.records.empty() && !any_counted) {
        t.notes.push_back(tr(Msg::tr_all_excluded, acc.description));
        continue;
      }
      if (!acc.total.is_zero() && !t.ranked) {
        t.notes.push_back(tr(Msg::tr_total_gives_zero, acc.description, format_decimal(acc.total, 4)));
        continue;
      }
    }
    std::vector<uint32_t> types;
    for (const auto& acc : t.accumulators)
      for (uint32_t type : acc_types_[acc.index])
        if (std::find(types.begin(), types.end(), type) == types.end()) types.push_back(type);
    for (uint32_t type : types) {
      uint32_t seen = m_.seen(type, u), ignored = m_.ignored_count(type, u);
      if (seen == 0 && ignored == 0) t.notes.push_back(tr(Msg::tr_no_records, type_name(type)));
      else if (seen == 0) t.notes.push_back(none_counted(type, u, ignored));
      else if (std::all_of(t.accumulators.begin(), t.accumulators.end(), [](const TraceAccumulator& x) { return x.records.empty(); })) {
        if (def.has_from && m_.last_date(type, u) < def.from)
          t.notes.push_back(tr(Msg::tr_all_before, seen, type_name(type), format_date(def.from)));
        else if (def.has_until && m_.first_date(type, u) > def.until)
          t.notes.push_back(tr(Msg::tr_all_after, seen, type_name(type), format_date(def.until)));
        else
          t.notes.push_back(tr(def.has_from || def.has_until ? Msg::tr_none_matching_dates : Msg::tr_none_matching, seen,
                               type_name(type)));
      }
    }
  }

  // Why none of a unit's `ignored` records of a type counted: dated outside the period,
  // before the unit was set up (设立) or after it closed (撤销), or some of each.
  std::string none_counted(uint32_t type, uint32_t u, uint32_t ignored) const {
    const uint32_t before = m_.before_unit_count(type, u), after = m_.after_unit_count(type, u);
    const uint32_t outside = ignored - before - after;
    if (before == ignored) return tr(Msg::tr_all_before_unit, ignored, type_name(type), format_date(p_.unit_from[u]));
    if (after == ignored) return tr(Msg::tr_all_after_unit, ignored, type_name(type), format_date(p_.unit_until[u]));
    if (outside == ignored) return tr(Msg::tr_all_outside, ignored, type_name(type));
    std::vector<std::string> parts;
    if (outside) parts.push_back(tr(Msg::tr_part_outside, outside));
    if (before) parts.push_back(tr(Msg::tr_part_before_unit, before, format_date(p_.unit_from[u])));
    if (after) parts.push_back(tr(Msg::tr_part_after_unit, after, format_date(p_.unit_until[u])));
    return tr(Msg::tr_none_counted, ignored, type_name(type), fmt::format("{}", fmt::join(parts, text(Msg::list_separator))));
  }

  TraceNode score(uint32_t u) {
    TraceNode t;
    t.name = "得分";
    t.kind = "score";
    t.value = values_[p_.score_node][u];
    Rational raw = p_.base_score;
    for (uint32_t c : p_.categories) {
      t.children.push_back(node(c, u));
      const NodeDef& d = p_.nodes[c];
      if (d.role == CategoryRole::Deduction) raw = raw - values_[c][u];
      if (d.role == CategoryRole::Bonus || d.role == CategoryRole::Points) raw = raw + values_[c][u];
    }
    bool points = std::any_of(p_.categories.begin(), p_.categories.end(),
                              [&](uint32_t c) { return p_.nodes[c].role == CategoryRole::Points; });
    t.notes.push_back(tr(points ? Msg::tr_base_points : Msg::tr_base, format_decimal(p_.base_score, 4), format_decimal(raw, 4)));
    if (!m_.assessed(u)) t.notes.push_back(tr(Msg::tr_not_assessed, p_.not_assessed_reason));
    if (raw < p_.score_low || raw > p_.score_high)
      t.notes.push_back(tr(Msg::tr_clamped, format_decimal(p_.score_low, 4), format_decimal(p_.score_high, 4)));
    if (!values_[p_.vetoed_node][u].is_zero()) {
      std::vector<std::string> hits;
      for (uint32_t c : p_.categories) {
        if (p_.nodes[c].role != CategoryRole::Veto) continue;
        for (uint32_t i = 0; i < p_.nodes.size(); ++i)
          if (p_.nodes[i].parent == static_cast<int32_t>(c) && !values_[i][u].is_zero()) hits.push_back(p_.nodes[i].name);
      }
      t.notes.push_back(tr(Msg::tr_vetoed, fmt::format("{}", fmt::join(hits, text(Msg::list_separator)))));
    }
    return t;
  }

  const Program& p_;
  const Machine& m_;
  const Symbols& symbols_;
  const std::vector<std::string>& files_;
  const std::vector<std::vector<Rational>>& values_;
  uint32_t units_;
  std::vector<Reads> reads_;
  std::vector<int32_t> mean_step_, rank_step_, agg_step_;
  std::vector<std::vector<uint32_t>> acc_types_;
  std::vector<std::vector<size_t>> by_acc_unit_;
};

}  // namespace detail

const char* combine_code(PeriodCombine c) {
  switch (c) {
    case PeriodCombine::Sum: return "sum of the sub-periods";
    case PeriodCombine::MeanAll: return "mean of all sub-periods";
    case PeriodCombine::MeanWithRecords: return "mean of the sub-periods with records";
    case PeriodCombine::MeanExisting: return "mean of the sub-periods the unit existed in";
  }
  return "";
}

Msg combine_message(PeriodCombine c) {
  switch (c) {
    case PeriodCombine::Sum: return Msg::tr_combine_sum;
    case PeriodCombine::MeanAll: return Msg::tr_combine_mean_all;
    case PeriodCombine::MeanWithRecords: return Msg::tr_combine_mean_records;
    case PeriodCombine::MeanExisting: return Msg::tr_combine_mean_existed;
  }
  return Msg::tr_combine_sum;
}

TraceSource::TraceSource(const Program& program, const Machine& machine, const Symbols& symbols,
                         const std::vector<std::string>& files)
    : builder_(std::make_unique<detail::Builder>(program, machine, symbols, files)) {}

TraceSource::~TraceSource() = default;

UnitTrace TraceSource::unit(uint32_t u) { return builder_->unit(u); }

std::vector<UnitTrace> build_traces(const Program& program, const Machine& machine, const Symbols& symbols,
                                    const std::vector<std::string>& files) {
  detail::Builder b(program, machine, symbols, files);
  std::vector<UnitTrace> out;
  for (uint32_t u = 0; u < program.units.size(); ++u) out.push_back(b.unit(u));
  return out;
}

}  // namespace rb
