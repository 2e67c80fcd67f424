#include "vm.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

namespace rb {

namespace {

// The verifier bounds every code range's stack depth; this is the VM's hard limit.
constexpr size_t kStackLimit = 1024;

uint64_t key_of(uint32_t unit, const Rational& symbol) {
  return (static_cast<uint64_t>(unit) << 32) | static_cast<uint32_t>(symbol.num);
}

Rational truth(bool b) { return Rational(b ? 1 : 0); }

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
      case AccKind::Sum: sums_[a].assign(unit_count_, Rational(0)); break;
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
  nodes_.assign(program.nodes.size(), std::vector<Rational>(unit_count_, Rational(0)));
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
  ranks_.assign(program_.nodes.size(), {});
  ranked_count_.assign(program_.nodes.size(), 0);
  seen_.assign(program_.events.size() * unit_count_, 0);
  ignored_.assign(program_.events.size() * unit_count_, 0);
  first_date_.assign(program_.events.size() * unit_count_, std::numeric_limits<int32_t>::max());
  last_date_.assign(program_.events.size() * unit_count_, std::numeric_limits<int32_t>::min());
}

void Machine::accept(const Record& record) {
  const auto& type = program_.events[record.type];
  if (trace_) {
    size_t at = record.type * unit_count_ + record.unit;
    ++seen_[at];
    first_date_[at] = std::min(first_date_[at], record.date);
    last_date_[at] = std::max(last_date_[at], record.date);
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
                        amount, flag});
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
    throw RunError(e.what(), line_of(op_start));
  }
#undef DISPATCH
}

void Machine::finish_accumulators() {
  size_t n = program_.accumulators.size();
  finished_.assign(n, std::vector<Rational>(unit_count_, Rational(0)));
  for (size_t a = 0; a < n; ++a) {
    const auto& acc = program_.accumulators[a];
    auto& out = finished_[a];
    switch (acc.kind) {
      case AccKind::Sum: out = sums_[a]; break;
      case AccKind::KeySum:
      case AccKind::KeyMax: {
        const FlatMap<Rational>* excluded = acc.exclude >= 0 ? &keyed_[static_cast<size_t>(acc.exclude)] : nullptr;
        keyed_[a].for_each([&](uint64_t key, const Rational& v) {
          if (excluded && excluded->find(key)) return;
          auto& slot = out[key >> 32];
          slot = slot + v;
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

void Machine::run_rank(const Step& step) {
  const auto& values = nodes_[step.input];
  std::vector<uint32_t> ranked;
  for (uint32_t u = 0; u < unit_count_; ++u)
    if (!(step.has_skip && values[u] == step.skip)) ranked.push_back(u);
  auto better = [&](const Rational& a, const Rational& b) { return step.descending ? a > b : a < b; };
  std::vector<Rational> distinct;  // every ranked value (not only different ones)
  for (uint32_t u : ranked) distinct.push_back(values[u]);
  std::sort(distinct.begin(), distinct.end(), [&](const Rational& a, const Rational& b) { return better(a, b); });
  auto& out = nodes_[step.output];
  std::fill(out.begin(), out.end(), Rational(0));
  if (trace_) ranks_[step.output].assign(unit_count_, 0);
  // Sorted best first; `levels` keeps the different values only.
  std::vector<Rational> levels = distinct;
  levels.erase(std::unique(levels.begin(), levels.end()), levels.end());
  auto cmp = [&](const Rational& a, const Rational& b) { return better(a, b); };
  for (uint32_t u : ranked) {
    // Competition: 1 + the units strictly better; dense: 1 + the different better values.
    int64_t rank = 1;
    if (step.tie == TieKind::Competition)
      rank += std::lower_bound(distinct.begin(), distinct.end(), values[u], cmp) - distinct.begin();
    else
      rank += std::lower_bound(levels.begin(), levels.end(), values[u], cmp) - levels.begin();
    for (const auto& [r, amount] : step.awards)
      if (r == rank) out[u] = amount;
    if (trace_) ranks_[step.output][u] = rank;
  }
  if (trace_) ranked_count_[step.output] = ranked.size();
}

void Machine::run_mean(const Step& step) {
  const auto& values = nodes_[step.input];
  const auto& cond = nodes_[step.condition];
  Rational sum(0);
  int64_t count = 0;
  for (uint32_t u = 0; u < unit_count_; ++u) {
    if (cond[u].is_zero()) continue;
    sum = sum + values[u];
    ++count;
  }
  Rational mean = count > 0 ? sum / Rational(count) : Rational(0);
  auto& out = nodes_[step.output];
  for (uint32_t u = 0; u < unit_count_; ++u) out[u] = cond[u].is_zero() ? mean : values[u];
}

Result Machine::finish(const RunSummary& summary) {
  finish_accumulators();
  for (const auto& step : program_.steps) {
    switch (step.kind) {
      case StepKind::UnitCode:
        for (uint32_t u = 0; u < unit_count_; ++u) run(step.code, nullptr, u);
        break;
      case StepKind::Rank: run_rank(step); break;
      case StepKind::Mean: run_mean(step); break;
    }
  }

  Result result;
  result.title = program_.title;
  result.period_from = format_date(program_.period_from);
  result.period_to = format_date(program_.period_to);
  for (size_t i = 0; i < program_.params.size(); ++i)
    result.params.push_back({program_.params[i].name, params_[i], program_.params[i].is_date});
  for (uint32_t c : program_.categories)
    if (program_.nodes[c].role != CategoryRole::Veto) result.category_names.push_back(program_.nodes[c].name);
  for (uint32_t o : program_.outputs) result.output_names.push_back(program_.nodes[o].name);
  result.summary = summary;
  for (uint32_t u = 0; u < unit_count_; ++u) {
    UnitResult row;
    row.unit = program_.units[u];
    row.score = nodes_[program_.score_node][u];
    row.vetoed = !nodes_[program_.vetoed_node][u].is_zero();
    for (uint32_t c : program_.categories)
      if (program_.nodes[c].role != CategoryRole::Veto) row.categories.emplace_back(program_.nodes[c].name, nodes_[c][u]);
    for (size_t n = 0; n < program_.nodes.size(); ++n) {
      const auto& node = program_.nodes[n];
      if (node.kind != NodeKind::Item && node.kind != NodeKind::Group) continue;
      NodeValue v;
      v.name = node.name;
      v.citation = node.citation;
      v.kind = node.kind == NodeKind::Item ? "item" : "group";
      v.parent = node.parent >= 0 ? program_.nodes[static_cast<size_t>(node.parent)].name : "";
      v.value = nodes_[n][u];
      bool veto = node.parent >= 0 && program_.nodes[static_cast<size_t>(node.parent)].role == CategoryRole::Veto;
      if (veto) {
        v.kind = "veto";
        if (!v.value.is_zero()) row.veto_items.push_back(node.name);
      }
      row.items.push_back(std::move(v));
    }
    for (uint32_t o : program_.outputs) row.outputs.emplace_back(program_.nodes[o].name, nodes_[o][u]);
    result.units.push_back(std::move(row));
  }
  return result;
}

}  // namespace rb
