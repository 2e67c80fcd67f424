#include "vm.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

#include "messages.hpp"
#include "rbc_file.hpp"

namespace rb {

namespace {

// The verifier bounds every code range's stack depth; this is the VM's hard limit.
constexpr size_t kStackLimit = 1024;

uint64_t key_of(uint32_t unit, const Rational& symbol) {
  return (static_cast<uint64_t>(unit) << 32) | static_cast<uint32_t>(symbol.num);
}

Rational truth(bool b) { return Rational(b ? 1 : 0); }

// The value rounded to `places` decimals (the verifier bounds places to kMaxRoundPlaces).
Rational round_to(Rational v, RoundMode mode, int places) {
  return round_decimals(v, static_cast<int>(mode), places);
}

// Findings from the gaps between neighbouring dates: the day before the period and the
// day after it bound every row, so a row with no record at all has one long gap. `seen`
// (for traces) is told each gap that makes findings, as days relative to the period.
int64_t gap_findings(const uint64_t* words, int32_t period_days, int64_t per_days, const DayFindings* seen = nullptr) {
  int64_t findings = 0;
  int32_t previous = -1;
  for (int32_t d = 0; d <= period_days; ++d) {
    bool present = d == period_days || ((words[d / 64] >> (d % 64)) & 1U);
    if (!present) continue;
    int64_t gap = d - previous;
    int64_t found = (gap - 1) / per_days;
    if (seen && found > 0) (*seen)(previous, d, found);
    findings += found;
    previous = d;
  }
  return findings;
}

// Streak findings over a row's days in date order: a day not exactly `step` days after the
// previous counted day resets the streak; a flagged day extends it, an unflagged day
// resets it; reaching `times` makes one finding and starts again.
int64_t streak_findings(const uint64_t* present, const uint64_t* flagged, int32_t period_days,
                        int64_t step, int64_t times, const DayFindings* seen = nullptr) {
  int64_t findings = 0, streak = 0;
  int32_t previous = -1, start = -1;
  for (int32_t d = 0; d < period_days; ++d) {
    if (!((present[d / 64] >> (d % 64)) & 1U)) continue;
    if (previous >= 0 && d - previous != step) streak = 0;
    if ((flagged[d / 64] >> (d % 64)) & 1U) {
      if (streak == 0) start = d;
      if (++streak == times) {
        ++findings;
        if (seen) (*seen)(start, d, 1);
        streak = 0;
      }
    } else {
      streak = 0;
    }
    previous = d;
  }
  return findings;
}

}  // namespace

Machine::Machine(const Program& program)
    : program_(program),
      unit_count_(program.units.size()),
      period_days_(program.period_to - program.period_from + 1),
      day_words_(static_cast<size_t>((period_days_ + 63) / 64)) {
  for (const auto& p : program.params) params_.push_back(p.value);
  for (size_t k = 0; k < period_count_.size(); ++k) {
    auto kind = static_cast<PeriodKind>(k);
    period_count_[k] = period_count(kind, program.period_from, program.period_to);
    if (kind == PeriodKind::None) continue;
    auto& table = day_period_[k];
    table.resize(static_cast<size_t>(std::max(period_days_, 0)));
    period_start_[k].assign(static_cast<size_t>(period_count_[k]), program.period_from);
    for (int32_t d = 0; d < period_days_; ++d) {
      int32_t p = period_of(kind, program.period_from, program.period_from + d);
      table[static_cast<size_t>(d)] = static_cast<uint16_t>(p);
      if (d > 0 && table[static_cast<size_t>(d - 1)] != p) period_start_[k][static_cast<size_t>(p)] = program.period_from + d;
    }
  }
  unit_in_set_.resize(program.unit_sets.size());
  for (size_t s = 0; s < program.unit_sets.size(); ++s) {
    unit_in_set_[s].assign(unit_count_, 0);
    for (uint32_t u : program.unit_sets[s].units) unit_in_set_[s][u] = 1;
  }
  size_t n = program.accumulators.size();
  sums_.resize(n);
  keyed_.resize(n);
  days_.resize(n);
  flags_.resize(n);
  for (size_t a = 0; a < n; ++a) {
    const auto& acc = program.accumulators[a];
    switch (acc.kind) {
      case AccKind::Sum: sums_[a].assign(unit_count_ * periods(acc.period), Rational(0)); break;
      case AccKind::KeySum:
      case AccKind::KeyMax:
      case AccKind::KeySet: break;
      case AccKind::DayGaps:
      case AccKind::DayStreak: {
        size_t rows = program.tables[acc.table].rows.size();
        days_[a].assign(rows * day_words_, 0);
        if (acc.kind == AccKind::DayStreak) flags_[a].assign(rows * day_words_, 0);
        break;
      }
    }
  }
  nodes_.resize(program.nodes.size());
  for (size_t n = 0; n < program.nodes.size(); ++n)
    nodes_[n].assign(unit_count_ * periods(program.nodes[n].period), Rational(0));
  rank_step_of_.assign(program.nodes.size(), -1);
  ranked_count_.resize(program.steps.size());
  for (size_t i = 0; i < program.steps.size(); ++i)
    if (program.steps[i].kind == StepKind::Rank) rank_step_of_[program.steps[i].output] = static_cast<int32_t>(i);
  covered_.assign(program.coverage.size(), 0);
  stack_.resize(kStackLimit);
}

bool Machine::set_param(const std::string& name, Rational value) {
  for (size_t i = 0; i < program_.params.size(); ++i) {
    if (program_.params[i].name == name) {
      params_[i] = value;
      return true;
    }
  }
  return false;
}

uint32_t Machine::line_of(uint32_t offset) const {
  uint32_t line = 0;
  for (const auto& e : program_.lines) {
    if (e.offset > offset) break;
    line = e.line;
  }
  return line;
}

void Machine::enable_trace() {
  trace_ = true;
  seen_.assign(program_.events.size() * unit_count_, 0);
  ignored_.assign(program_.events.size() * unit_count_, 0);
  before_unit_.assign(program_.events.size() * unit_count_, 0);
  after_unit_.assign(program_.events.size() * unit_count_, 0);
  first_date_.assign(program_.events.size() * unit_count_, std::numeric_limits<int32_t>::max());
  last_date_.assign(program_.events.size() * unit_count_, std::numeric_limits<int32_t>::min());
}

void Machine::accept(const Record& record) {
  const auto& type = program_.events[record.type];
  // A unit's records from before it was set up or after it closed do not count.
  if (!program_.unit_from.empty() &&
      (record.date < program_.unit_from[record.unit] || record.date > program_.unit_until[record.unit])) {
    ++outside_unit_dates_;
    ignored(record);
    if (trace_) ++(record.date < program_.unit_from[record.unit] ? before_unit_ : after_unit_)[record.type * unit_count_ + record.unit];
    return;
  }
  if (trace_) {
    size_t at = record.type * unit_count_ + record.unit;
    ++seen_[at];
    first_date_[at] = std::min(first_date_[at], record.date);
    last_date_[at] = std::max(last_date_[at], record.date);
    current_enums_ = static_cast<uint32_t>(record_enums_.size());
    for (size_t f = 0; f < type.fields.size(); ++f)
      if (type.fields[f].kind == FieldKind::Enum)
        record_enums_.push_back(record.present & (1u << f) ? static_cast<uint32_t>(record.fields[f].num) : kNoSymbol);
  }
  run(type.handler, &record, record.unit);
}

void Machine::ignored(const Record& record) {
  if (trace_) ++ignored_[record.type * unit_count_ + record.unit];
}

Rational Machine::run(CodeRange range, const Record* record, uint32_t unit) {
  const uint8_t* code = program_.code.data();
  uint32_t pc = range.begin;
  Rational* sp = stack_.data();  // next free slot
  uint32_t op_start = pc;
  auto u16 = [&]() {
    uint32_t v = static_cast<uint32_t>(code[pc]) | (static_cast<uint32_t>(code[pc + 1]) << 8);
    pc += 2;
    return v;
  };
  auto s16 = [&]() { return static_cast<int32_t>(static_cast<int16_t>(u16())); };
  auto note = [&](uint32_t a, uint32_t key, const Rational& amount, bool flag) {
    entries_.push_back({a, record->unit, record->row, key, record->type, record->file, record->line, record->date,
                        amount, flag, current_enums_});
  };
  auto day_bit = [&](uint32_t a, std::vector<uint64_t>& bits) {
    size_t d = static_cast<size_t>(record->date - program_.period_from);
    bits[record->row * day_words_ + d / 64] |= uint64_t{1} << (d % 64);
    (void)a;
  };

  // The dispatch table is generated from the opcode table, so every opcode must have a
  // label below and the order can never drift.
  static const void* const labels[] = {
#define OP(name, operands, meaning) &&op_##name,
#include "opcodes.def"
#undef OP
  };
#define DISPATCH()                                        \
  do {                                                    \
    op_start = pc;                                        \
    goto* labels[code[pc++]];                             \
  } while (0)

  try {
    DISPATCH();
  op_CONST:
    *sp++ = program_.constants[u16()];
    DISPATCH();
  op_PARAM:
    *sp++ = params_[u16()];
    DISPATCH();
  op_FIELD:
    *sp++ = record->fields[u16()];
    DISPATCH();
  op_DATE:
    *sp++ = Rational(record->date);
    DISPATCH();
  op_ACC:
    *sp++ = finished_[u16()][unit];
    DISPATCH();
  op_NODE:
    *sp++ = nodes_[u16()][unit];
    DISPATCH();
  op_STORE:
    nodes_[u16()][unit] = *--sp;
    DISPATCH();
  op_PERIOD_ACC:
    *sp++ = finished_[u16()][unit * period_units_ + static_cast<uint32_t>(period_)];
    DISPATCH();
  op_PERIOD_NODE:
    *sp++ = nodes_[u16()][unit * period_units_ + static_cast<uint32_t>(period_)];
    DISPATCH();
  op_PERIOD_STORE:
    nodes_[u16()][unit * period_units_ + static_cast<uint32_t>(period_)] = *--sp;
    DISPATCH();
  op_PERIOD_SUM: {
    uint32_t n = u16();
    size_t count = static_cast<size_t>(periods(program_.nodes[n].period));
    Rational sum(0);
    for (size_t p = 0; p < count; ++p) sum = sum + nodes_[n][unit * count + p];
    *sp++ = sum;
    DISPATCH();
  }
  op_PERIOD_MEAN: {
    uint32_t n = u16();
    uint32_t mode = u16();
    uint32_t acc = u16();
    *sp++ = period_mean(n, mode, acc, unit);
    DISPATCH();
  }
  op_UNIT_IN:
    *sp++ = truth(unit_in_set_[u16()][unit] != 0);
    DISPATCH();
  op_IN_SET: {
    const auto& set = program_.value_sets[u16()];
    Rational v = sp[-1];
    sp[-1] = truth(std::binary_search(set.begin(), set.end(), v));
    DISPATCH();
  }
  op_POP:
    --sp;
    DISPATCH();
  op_ADD:
    --sp;
    sp[-1] = sp[-1] + sp[0];
    DISPATCH();
  op_SUB:
    --sp;
    sp[-1] = sp[-1] - sp[0];
    DISPATCH();
  op_MUL:
    --sp;
    sp[-1] = sp[-1] * sp[0];
    DISPATCH();
  op_DIV:
    --sp;
    sp[-1] = sp[-1] / sp[0];
    DISPATCH();
  op_ROUND: {
    uint32_t mode = u16();
    uint32_t places = u16();
    sp[-1] = round_to(sp[-1], static_cast<RoundMode>(mode), static_cast<int>(places));
    DISPATCH();
  }
  op_NEG:
    sp[-1] = -sp[-1];
    DISPATCH();
  op_MIN:
    --sp;
    sp[-1] = std::min(sp[-1], sp[0]);
    DISPATCH();
  op_MAX:
    --sp;
    sp[-1] = std::max(sp[-1], sp[0]);
    DISPATCH();
  op_LT:
    --sp;
    sp[-1] = truth(sp[-1] < sp[0]);
    DISPATCH();
  op_LE:
    --sp;
    sp[-1] = truth(sp[-1] <= sp[0]);
    DISPATCH();
  op_GT:
    --sp;
    sp[-1] = truth(sp[-1] > sp[0]);
    DISPATCH();
  op_GE:
    --sp;
    sp[-1] = truth(sp[-1] >= sp[0]);
    DISPATCH();
  op_EQ:
    --sp;
    sp[-1] = truth(sp[-1] == sp[0]);
    DISPATCH();
  op_NE:
    --sp;
    sp[-1] = truth(!(sp[-1] == sp[0]));
    DISPATCH();
  op_NOT:
    sp[-1] = truth(sp[-1].is_zero());
    DISPATCH();
  op_TRUTH:
    sp[-1] = truth(!sp[-1].is_zero());
    DISPATCH();
  op_JUMP: {
    int32_t off = s16();
    pc = static_cast<uint32_t>(static_cast<int32_t>(pc) + off);
    DISPATCH();
  }
  op_JUMP_IF_NOT: {
    int32_t off = s16();
    if ((--sp)->is_zero()) pc = static_cast<uint32_t>(static_cast<int32_t>(pc) + off);
    DISPATCH();
  }
  op_COVER: {
    uint32_t point = u16();
    if (point < covered_.size()) covered_[point] = 1;
    DISPATCH();
  }
  op_HALT:
    return sp > stack_.data() ? sp[-1] : Rational(0);
  op_ACC_ADD: {
    uint32_t a = u16();
    Rational& slot = sums_[a][record->unit];
    slot = slot + *--sp;
    if (trace_) note(a, 0, *sp, false);
    DISPATCH();
  }
  op_ACC_KEY_ADD: {
    uint32_t a = u16();
    uint32_t f = u16();
    bool inserted = false;
    Rational amount = *--sp;
    Rational& slot = keyed_[a].find_or_insert(key_of(record->unit, record->fields[f]), amount, inserted);
    if (!inserted) slot = slot + amount;
    if (trace_) note(a, static_cast<uint32_t>(record->fields[f].num), amount, false);
    DISPATCH();
  }
  op_ACC_KEY_MAX: {
    uint32_t a = u16();
    uint32_t f = u16();
    bool inserted = false;
    Rational amount = *--sp;
    Rational& slot = keyed_[a].find_or_insert(key_of(record->unit, record->fields[f]), amount, inserted);
    if (!inserted && slot < amount) slot = amount;
    if (trace_) note(a, static_cast<uint32_t>(record->fields[f].num), amount, false);
    DISPATCH();
  }
  op_ACC_KEY_MARK: {
    uint32_t a = u16();
    uint32_t f = u16();
    bool inserted = false;
    keyed_[a].find_or_insert(key_of(record->unit, record->fields[f]), Rational(1), inserted);
    if (trace_) note(a, static_cast<uint32_t>(record->fields[f].num), Rational(0), false);
    DISPATCH();
  }
  op_ACC_ADD_P: {
    uint32_t a = u16();
    Rational& slot_value = sums_[a][slot(program_.accumulators[a].period, record->unit, record->date)];
    slot_value = slot_value + *--sp;
    if (trace_) note(a, 0, *sp, false);
    DISPATCH();
  }
  op_ACC_KEY_ADD_P:
  op_ACC_KEY_MAX_P: {
    bool max = static_cast<Op>(code[op_start]) == Op::ACC_KEY_MAX_P;
    uint32_t a = u16();
    uint32_t f = u16();
    bool inserted = false;
    Rational amount = *--sp;
    uint64_t key = (static_cast<uint64_t>(slot(program_.accumulators[a].period, record->unit, record->date)) << 32) |
                   static_cast<uint32_t>(record->fields[f].num);
    Rational& value = keyed_[a].find_or_insert(key, amount, inserted);
    if (!inserted) value = max ? std::max(value, amount) : value + amount;
    if (trace_) note(a, static_cast<uint32_t>(record->fields[f].num), amount, false);
    DISPATCH();
  }
  op_ACC_DAY_MARK: {
    uint32_t a = u16();
    day_bit(a, days_[a]);
    if (trace_) note(a, 0, Rational(0), false);
    DISPATCH();
  }
  op_ACC_DAY_FLAG: {
    uint32_t a = u16();
    day_bit(a, days_[a]);
    bool flag = !(--sp)->is_zero();
    if (flag) day_bit(a, flags_[a]);
    if (trace_) note(a, 0, Rational(0), flag);
    DISPATCH();
  }
  } catch (const ArithmeticOverflow& e) {
    uint32_t ln = line_of(op_start);
    if (unit >= unit_count_) throw RunError(e.what(), ln);
    // Name the unit and the rule (the named value declared last at or before the failing
    // line), and for a record's handler the record's file and line.
    const NodeDef* rule = nullptr;
    for (const auto& n : program_.nodes)
      if (n.kind != NodeKind::Hidden && n.source_line != 0 && n.source_line <= ln &&
          (!rule || n.source_line >= rule->source_line))
        rule = &n;
    // Code with no rulebook line is the score formula (base, categories, clamps, veto).
    std::string where = rule      ? tr(Msg::run_error_where_rule, program_.units[unit], rule->name)
                        : ln == 0 ? tr(Msg::run_error_where_score, program_.units[unit])
                                  : tr(Msg::run_error_where_unit, program_.units[unit]);
    if (record && file_names_ && record->file < file_names_->size())
      where = tr(Msg::run_error_where_record, where, (*file_names_)[record->file], record->line);
    throw RunError(tr(Msg::run_error_with_place, e.what(), where), ln, program_.units[unit]);
  }
#undef DISPATCH
}

void Machine::finish_accumulators() {
  size_t n = program_.accumulators.size();
  finished_.resize(n);
  for (size_t a = 0; a < n; ++a) {
    const auto& acc = program_.accumulators[a];
    auto& out = finished_[a];
    const uint64_t per = static_cast<uint64_t>(periods(acc.period));
    if (acc.kind == AccKind::Sum) {
      out = sums_[a];
      continue;
    }
    out.assign(unit_count_ * per, Rational(0));
    switch (acc.kind) {
      case AccKind::Sum: break;
      case AccKind::KeySum:
      case AccKind::KeyMax: {
        // Exclusions are kept for the whole period, keyed by unit, whatever the sub-period.
        const FlatMap<Rational>* excluded = acc.exclude >= 0 ? &keyed_[static_cast<size_t>(acc.exclude)] : nullptr;
        keyed_[a].for_each([&](uint64_t key, const Rational& v) {
          uint64_t unit_key = (((key >> 32) / per) << 32) | (key & 0xFFFFFFFFu);
          if (excluded && excluded->find(unit_key)) return;
          auto& slot = out[key >> 32];
          try {
            slot = slot + v;
          } catch (const ArithmeticOverflow& e) {
            const std::string& unit = program_.units[(key >> 32) / per];
            throw RunError(tr(Msg::run_error_with_place, e.what(), tr(Msg::run_error_where_rule, unit, acc.description.shown())),
                           0, unit);
          }
        });
        break;
      }
      case AccKind::KeySet:
        keyed_[a].for_each([&](uint64_t key, const Rational&) {
          auto& slot = out[key >> 32];
          slot = slot + Rational(1);
        });
        break;
      case AccKind::DayGaps:
      case AccKind::DayStreak: {
        const auto& table = program_.tables[acc.table];
        for (size_t r = 0; r < table.rows.size(); ++r) {
          const uint64_t* present = days_[a].data() + r * day_words_;
          int64_t findings = acc.kind == AccKind::DayGaps
                                 ? gap_findings(present, period_days_, acc.days)
                                 : streak_findings(present, flags_[a].data() + r * day_words_,
                                                   period_days_, acc.days, acc.times);
          for (uint32_t u : table.rows[r].units) out[u] = out[u] + Rational(findings);
        }
        break;
      }
    }
  }
}

void Machine::explain_days(uint32_t acc, uint32_t row, const DayFindings& seen) const {
  const auto& def = program_.accumulators[acc];
  const uint64_t* present = days_[acc].data() + row * day_words_;
  if (def.kind == AccKind::DayGaps) gap_findings(present, period_days_, def.days, &seen);
  else streak_findings(present, flags_[acc].data() + row * day_words_, period_days_, def.days, def.times, &seen);
}

bool Machine::existed(uint32_t unit, PeriodKind kind, int32_t p) const {
  if (program_.unit_from.empty()) return true;
  const auto& starts = period_start_[static_cast<size_t>(kind)];
  int32_t first = kind == PeriodKind::None ? program_.period_from : starts[static_cast<size_t>(p)];
  int32_t last = kind == PeriodKind::None || static_cast<size_t>(p) + 1 >= starts.size() ? program_.period_to
                                                                                       : starts[static_cast<size_t>(p) + 1] - 1;
  return program_.unit_from[unit] <= last && program_.unit_until[unit] >= first;
}

Rational Machine::accumulator_total(uint32_t acc, uint32_t unit) const {
  const auto& values = finished_[acc];
  size_t per = static_cast<size_t>(periods(program_.accumulators[acc].period));
  Rational sum(0);
  for (size_t p = 0; p < per; ++p) sum = sum + values[unit * per + p];
  return sum;
}

// The mean of a periodic node over a unit's sub-periods: all of them (mode 0), those in
// which periodic accumulator `acc` counted records (1), or those in which it existed (2).
// Over none, the mean is 0.
Rational Machine::period_mean(uint32_t node, uint32_t mode, uint32_t acc, uint32_t unit) const {
  PeriodKind kind = program_.nodes[node].period;
  size_t per = static_cast<size_t>(periods(kind));
  Rational sum(0);
  int64_t count = 0;
  for (size_t p = 0; p < per; ++p) {
    if (mode == 1 && finished_[acc][unit * per + p].is_zero()) continue;
    if (mode == 2 && !existed(unit, kind, static_cast<int32_t>(p))) continue;
    sum = sum + nodes_[node][unit * per + p];
    ++count;
  }
  return count > 0 ? sum / Rational(count) : Rational(0);
}

bool Machine::in_scope(const Step& step, uint32_t unit) const {
  if (!assessed(unit)) return false;
  if (step.filter >= 0 && nodes_[static_cast<size_t>(step.filter)][unit].is_zero()) return false;
  if (step.scope == ScopeKind::UnitSet && !unit_in_set_[step.scope_set][unit]) return false;
  return true;
}

std::vector<uint32_t> Machine::scope_of(const Step& step, uint32_t unit) const {
  std::vector<uint32_t> out;
  for (uint32_t v = 0; v < unit_count_; ++v) {
    if (!in_scope(step, v)) continue;
    if (step.scope == ScopeKind::OwnClass && program_.unit_class[v] != program_.unit_class[unit]) continue;
    out.push_back(v);
  }
  return out;
}

namespace {

// A unit's bucket in a cross-unit step: its class for 本类, else one bucket for all.
size_t bucket_of(const Program& p, const Step& step, uint32_t unit) {
  return step.scope == ScopeKind::OwnClass ? static_cast<size_t>(p.unit_class[unit] + 1) : 0;
}

size_t bucket_count(const Program& p, const Step& step) {
  return step.scope == ScopeKind::OwnClass ? p.unit_sets.size() + 1 : 1;
}

}  // namespace

int64_t Machine::rank_of(uint32_t output, uint32_t unit) const {
  int32_t s = rank_step_of_[output];
  if (s < 0) return 0;
  const Step& step = program_.steps[static_cast<size_t>(s)];
  return step.rank_node < 0 ? 0 : nodes_[static_cast<size_t>(step.rank_node)][unit].floor();
}

size_t Machine::ranked_count(uint32_t output, uint32_t unit) const {
  int32_t s = rank_step_of_[output];
  if (s < 0) return 0;
  const Step& step = program_.steps[static_cast<size_t>(s)];
  const auto& counts = ranked_count_[static_cast<size_t>(s)];
  size_t b = bucket_of(program_, step, unit);
  return b < counts.size() ? counts[b] : 0;
}

void Machine::run_rank(const Step& step) {
  const auto& values = nodes_[step.input];
  size_t buckets = bucket_count(program_, step);
  // Each bucket (all units, or one class) is ranked on its own.
  std::vector<std::vector<uint32_t>> ranked(buckets);
  for (uint32_t u = 0; u < unit_count_; ++u)
    if (in_scope(step, u) && !(step.has_skip && values[u] == step.skip)) ranked[bucket_of(program_, step, u)].push_back(u);
  auto better = [&](const Rational& a, const Rational& b) { return step.descending ? a > b : a < b; };
  auto& out = nodes_[step.output];
  std::fill(out.begin(), out.end(), Rational(0));
  std::vector<Rational>* ranks = step.rank_node >= 0 ? &nodes_[static_cast<size_t>(step.rank_node)] : nullptr;
  if (ranks) std::fill(ranks->begin(), ranks->end(), Rational(0));
  auto& counts = ranked_count_[&step - program_.steps.data()];
  counts.assign(buckets, 0);
  for (size_t b = 0; b < buckets; ++b) {
    // Sorted best first; `levels` keeps the different values only.
    std::vector<Rational> sorted;
    for (uint32_t u : ranked[b]) sorted.push_back(values[u]);
    std::sort(sorted.begin(), sorted.end(), better);
    std::vector<Rational> levels = sorted;
    levels.erase(std::unique(levels.begin(), levels.end()), levels.end());
    const int64_t n = static_cast<int64_t>(ranked[b].size());
    counts[b] = ranked[b].size();
    for (uint32_t u : ranked[b]) {
      // Competition: 1 + the units strictly better; dense: 1 + the different better values.
      int64_t rank = 1;
      if (step.tie == TieKind::Competition)
        rank += std::lower_bound(sorted.begin(), sorted.end(), values[u], better) - sorted.begin();
      else
        rank += std::lower_bound(levels.begin(), levels.end(), values[u], better) - levels.begin();
      // The rank counted from the bottom: 1 + the units (or different values) strictly worse,
      // so units tied for last are all in 后 1 名.
      int64_t from_bottom = 1;
      if (step.tie == TieKind::Competition)
        from_bottom += sorted.end() - std::upper_bound(sorted.begin(), sorted.end(), values[u], better);
      else
        from_bottom += levels.end() - std::upper_bound(levels.begin(), levels.end(), values[u], better);
      for (const auto& award : step.awards) {
        bool hit = false;
        switch (award.kind) {
          case AwardKind::Rank: hit = rank == award.n; break;
          case AwardKind::Top: hit = rank <= award.n; break;
          case AwardKind::Bottom: hit = from_bottom <= award.n; break;
          // The last n percent of the ranked units, counted from the bottom.
          case AwardKind::BottomPercent: hit = from_bottom * 100 <= award.n * n; break;
        }
        if (hit) {
          out[u] = award.amount;
          break;
        }
      }
      if (ranks) (*ranks)[u] = Rational(rank);
    }
  }
}

void Machine::run_mean(const Step& step) {
  const auto& values = nodes_[step.input];
  const auto& cond = nodes_[step.condition];
  Rational sum(0);
  int64_t count = 0;
  for (uint32_t u = 0; u < unit_count_; ++u) {
    if (cond[u].is_zero() || !assessed(u)) continue;
    sum = sum + values[u];
    ++count;
  }
  Rational mean = count > 0 ? sum / Rational(count) : Rational(0);
  auto& out = nodes_[step.output];
  for (uint32_t u = 0; u < unit_count_; ++u) out[u] = cond[u].is_zero() ? mean : values[u];
}

void Machine::run_aggregate(const Step& step) {
  const auto& values = nodes_[step.input];
  size_t buckets = bucket_count(program_, step);
  std::vector<Rational> acc(buckets, Rational(0));
  std::vector<int64_t> count(buckets, 0);
  for (uint32_t u = 0; u < unit_count_; ++u) {
    if (!in_scope(step, u)) continue;
    size_t b = bucket_of(program_, step, u);
    const Rational& v = values[u];
    switch (step.agg) {
      case AggKind::Mean:
      case AggKind::Sum: acc[b] = acc[b] + v; break;
      case AggKind::Max: acc[b] = count[b] == 0 ? v : std::max(acc[b], v); break;
      case AggKind::Min: acc[b] = count[b] == 0 ? v : std::min(acc[b], v); break;
      case AggKind::Count: if (!v.is_zero()) acc[b] = acc[b] + Rational(1); break;
    }
    ++count[b];
  }
  // Over no units every aggregate is 0.
  if (step.agg == AggKind::Mean)
    for (size_t b = 0; b < buckets; ++b)
      if (count[b] > 0) acc[b] = acc[b] / Rational(count[b]);
  auto& out = nodes_[step.output];
  for (uint32_t u = 0; u < unit_count_; ++u) out[u] = acc[bucket_of(program_, step, u)];
}

Result Machine::finish(const RunSummary& summary) {
  finish_accumulators();
  for (const auto& step : program_.steps) {
    switch (step.kind) {
      case StepKind::UnitCode:
        if (step.period == PeriodKind::None) {
          for (uint32_t u = 0; u < unit_count_; ++u) run(step.code, nullptr, u);
        } else {
          period_units_ = static_cast<uint32_t>(periods(step.period));
          for (uint32_t u = 0; u < unit_count_; ++u)
            for (period_ = 0; period_ < static_cast<int32_t>(period_units_); ++period_) run(step.code, nullptr, u);
          period_ = 0;
        }
        break;
      case StepKind::Rank:
      case StepKind::Mean:
      case StepKind::Aggregate:
        try {
          if (step.kind == StepKind::Rank) run_rank(step);
          else if (step.kind == StepKind::Mean) run_mean(step);
          else run_aggregate(step);
        } catch (const ArithmeticOverflow& e) {
          // A value across units: name it and its line (no one unit is to blame).
          const NodeDef& node = program_.nodes[step.output];
          throw RunError(tr(Msg::run_error_with_place, e.what(), tr(Msg::run_error_where_across, node.name)),
                         node.source_line);
        }
        break;
    }
  }

  Result result;
  result.title = program_.title;
  result.period_from = format_date(program_.period_from);
  result.period_to = format_date(program_.period_to);
  for (size_t i = 0; i < program_.params.size(); ++i)
    result.params.push_back({program_.params[i].name, params_[i], program_.params[i].is_date});
  for (uint32_t c : program_.categories) {
    const CategoryRole role = program_.nodes[c].role;
    if (role == CategoryRole::Veto) continue;
    result.category_names.push_back(program_.nodes[c].name);
    result.category_roles.push_back(role == CategoryRole::Bonus ? "bonus" : role == CategoryRole::Points ? "points" : "deduction");
  }
  {
    std::vector<bool> is_class(program_.unit_sets.size(), false);
    for (int32_t c : program_.unit_class)
      if (c >= 0) is_class[static_cast<size_t>(c)] = true;
    for (size_t s = 0; s < is_class.size(); ++s)
      if (is_class[s]) result.group_names.push_back(program_.unit_sets[s].name);
  }
  for (uint32_t o : program_.outputs) result.output_names.push_back(program_.nodes[o].name);
  for (uint32_t o : program_.indicators) result.indicator_names.push_back(program_.nodes[o].name);
  result.graded = !program_.grades.empty();
  result.decimals = static_cast<int>(program_.decimals);
  // The ranking read by each item's code, for the rank every output shows.
  std::vector<int32_t> item_rank(program_.nodes.size(), -1);
  for (const auto& step : program_.steps) {
    if (step.kind != StepKind::UnitCode) continue;
    int32_t pending = -1;
    Instruction ins;
    for (uint32_t pc = step.code.begin;
         decode_instruction(program_.code, pc, step.code.end, ins) == DecodeStatus::Ok; pc = ins.next()) {
      const auto a = static_cast<uint32_t>(ins.operands[0]);
      if (ins.op == Op::NODE && rank_step_of_[a] >= 0 && pending < 0) pending = static_cast<int32_t>(a);
      if (ins.op == Op::STORE) {
        if (pending >= 0 && item_rank[a] < 0) item_rank[a] = pending;
        pending = -1;
      }
    }
  }
  result.summary = summary;
  result.summary.outside_unit_dates = outside_unit_dates_;
  // The items and groups, named once for all units; per unit only the values.
  struct ItemNode {
    uint32_t node;
    bool veto;
    int32_t rank;  // the ranking it shows (item_rank), or -1
  };
  std::vector<ItemNode> item_nodes;
  for (size_t n = 0; n < program_.nodes.size(); ++n) {
    const auto& node = program_.nodes[n];
    if (node.kind != NodeKind::Item && node.kind != NodeKind::Group) continue;
    const bool veto = node.parent >= 0 && program_.nodes[static_cast<size_t>(node.parent)].role == CategoryRole::Veto;
    result.items.push_back({node.name, node.citation, veto ? "veto" : node.kind == NodeKind::Item ? "item" : "group",
                            node.parent >= 0 ? program_.nodes[static_cast<size_t>(node.parent)].name : ""});
    item_nodes.push_back({static_cast<uint32_t>(n), veto, item_rank[n]});
  }
  // The classes ranked in, as NodeValue::rank_class indexes them: "" first, then per unit set.
  std::vector<uint32_t> set_class(program_.unit_sets.size(), 0);
  for (size_t s = 0; s < program_.unit_sets.size(); ++s) {
    set_class[s] = static_cast<uint32_t>(result.rank_classes.size());
    result.rank_classes.push_back(program_.unit_sets[s].name);
  }
  size_t category_count = 0;
  for (uint32_t c : program_.categories)
    if (program_.nodes[c].role != CategoryRole::Veto) ++category_count;
  result.units.reserve(unit_count_);
  for (uint32_t u = 0; u < unit_count_; ++u) {
    UnitResult& row = result.units.emplace_back();
    row.unit = program_.units[u];
    row.score = nodes_[program_.score_node][u];
    row.vetoed = !nodes_[program_.vetoed_node][u].is_zero();
    row.assessed = assessed(u);
    if (u < program_.unit_class.size() && program_.unit_class[u] >= 0)
      row.group = program_.unit_sets[static_cast<size_t>(program_.unit_class[u])].name;
    if (!row.assessed) {
      row.not_assessed_reason = program_.not_assessed_reason;
      row.score = Rational(0);
    }
    for (const auto& band : program_.grades) {
      if (!row.assessed) break;
      if (!band.has_low || row.score >= band.low) {
        row.grade = band.name;
        break;
      }
    }
    row.categories.reserve(category_count);
    for (uint32_t c : program_.categories)
      if (program_.nodes[c].role != CategoryRole::Veto) row.categories.push_back(nodes_[c][u]);
    row.items.reserve(item_nodes.size());
    for (const ItemNode& in : item_nodes) {
      const auto& node = program_.nodes[in.node];
      NodeValue& v = row.items.emplace_back();
      v.value = nodes_[in.node][u];
      v.applies = node.only < 0 || in_unit_set(static_cast<uint32_t>(node.only), u);
      if (int32_t r = in.rank; r >= 0 && row.assessed) {
        const Step& rs = program_.steps[static_cast<size_t>(rank_step_of_[static_cast<size_t>(r)])];
        v.has_rank = true;
        v.rank = rank_of(static_cast<uint32_t>(r), u);
        v.ranked = static_cast<uint32_t>(ranked_count(static_cast<uint32_t>(r), u));
        if (rs.scope == ScopeKind::OwnClass && program_.unit_class[u] >= 0)
          v.rank_class = set_class[static_cast<size_t>(program_.unit_class[u])];
        else if (rs.scope == ScopeKind::UnitSet)
          v.rank_class = set_class[rs.scope_set];
      }
      if (in.veto && !v.value.is_zero()) row.veto_items.push_back(node.name);
    }
    row.indicators.reserve(program_.indicators.size());
    for (uint32_t o : program_.indicators) row.indicators.push_back(nodes_[o][u]);
    row.outputs.reserve(program_.outputs.size());
    for (uint32_t o : program_.outputs) row.outputs.push_back(nodes_[o][u]);
  }
  return result;
}

}  // namespace rb
