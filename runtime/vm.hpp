// The virtual machine. Phase 1: `accept` runs the handler of each record's event type,
// which updates per-unit (or per-table-row) accumulators; nothing is kept per record.
// Phase 2: `finish` completes the accumulators, runs the program's steps (per-unit code,
// rankings, means) and builds the Result.
#pragma once

#include <array>
#include <functional>
#include <string>
#include <vector>

#include "bytecode.hpp"
#include "flat_map.hpp"
#include "record.hpp"
#include "result.hpp"
#include "trace.hpp"

namespace rb {

// Told each gap or streak that makes findings: first day, last day (relative to the period
// start; -1 and the period's length stand for the days just outside it), findings.
using DayFindings = std::function<void(int32_t, int32_t, int64_t)>;

// A problem while running compiled code, e.g. a division by zero in a rule's expression.
struct RunError : std::runtime_error {
  RunError(const std::string& message, uint32_t line, std::string unit = {})
      : std::runtime_error(message), line(line), unit(std::move(unit)) {}
  uint32_t line;     // rulebook line of the failing instruction, 0 when unknown
  std::string unit;  // the unit being scored, when the failure is in per-unit code
};

class Machine {
 public:
  explicit Machine(const Program& program);

  // Overrides a parameter's default; false when the rulebook has no such parameter.
  bool set_param(const std::string& name, Rational value);

  void accept(const Record& record);
  // The input files' names by Record::file, so that a run error names its record.
  void set_file_names(const std::vector<std::string>* names) { file_names_ = names; }
  // A valid record dated outside the period (counted for traces only).
  void ignored(const Record& record);
  Result finish(const RunSummary& summary);
  // Records so far dated before their unit was set up or after it closed (and ignored).
  uint64_t outside_unit_dates() const { return outside_unit_dates_; }

  // Provenance. With tracing on, every amount an accumulator receives is kept with its
  // record's file and line; with it off, the only cost is one predictable branch per update.
  void enable_trace();
  bool tracing() const { return trace_; }
  const std::vector<TraceEntry>& trace_entries() const { return entries_; }
  // With tracing on: each traced record's enum field values (symbols; kNoSymbol when the
  // field was not given), its type's enum fields in order, from TraceEntry::enums on.
  static constexpr uint32_t kNoSymbol = 0xFFFFFFFFu;
  const std::vector<uint32_t>& record_enums() const { return record_enums_; }
  // Records of event type t for unit u: scored in the period / ignored as outside it.
  uint32_t seen(uint32_t type, uint32_t unit) const { return seen_[type * unit_count_ + unit]; }
  uint32_t ignored_count(uint32_t type, uint32_t unit) const { return ignored_[type * unit_count_ + unit]; }
  // Of those ignored, the ones dated before the unit was set up / after it closed.
  uint32_t before_unit_count(uint32_t type, uint32_t unit) const { return before_unit_[type * unit_count_ + unit]; }
  uint32_t after_unit_count(uint32_t type, uint32_t unit) const { return after_unit_[type * unit_count_ + unit]; }
  // The earliest and latest dates of those scored records (meaningful when seen() > 0).
  int32_t first_date(uint32_t type, uint32_t unit) const { return first_date_[type * unit_count_ + unit]; }
  int32_t last_date(uint32_t type, uint32_t unit) const { return last_date_[type * unit_count_ + unit]; }
  // After finish(): every node's value and every accumulator's finished value, per unit.
  const std::vector<std::vector<Rational>>& node_values() const { return nodes_; }
  const std::vector<std::vector<Rational>>& accumulator_values() const { return finished_; }
  bool in_unit_set(uint32_t set, uint32_t unit) const { return unit_in_set_[set][unit] != 0; }
  // Rank steps: each unit's rank into `output` (0: not ranked), and how many units were
  // ranked with it (in its class, for a ranking per class).
  int64_t rank_of(uint32_t output, uint32_t unit) const;
  size_t ranked_count(uint32_t output, uint32_t unit) const;
  // Sub-periods: how many of a kind the period has, a unit's value of a periodic node in
  // each, and whether the unit existed in it (设立 / 撤销).
  int32_t periods(PeriodKind kind) const { return period_count_[static_cast<size_t>(kind)]; }
  bool existed(uint32_t unit, PeriodKind kind, int32_t p) const;
  // An accumulator's finished value for a unit (summed over sub-periods for a periodic one).
  Rational accumulator_total(uint32_t acc, uint32_t unit) const;
  // Whether a unit is assessed (参与考核); every unit is when the rulebook says nothing.
  bool assessed(uint32_t unit) const {
    return program_.assessed_node < 0 || !nodes_[static_cast<size_t>(program_.assessed_node)][unit].is_zero();
  }
  // The units a cross-unit step takes for `unit`, in unit order.
  std::vector<uint32_t> scope_of(const Step& step, uint32_t unit) const;
  // Re-runs a day accumulator's own finishing over one table row, telling `seen` each gap or
  // streak that made findings (days relative to the period start).
  void explain_days(uint32_t acc, uint32_t row, const DayFindings& seen) const;
  // Coverage points reached (programs compiled for coverage), one flag per point.
  const std::vector<uint8_t>& covered() const { return covered_; }

 private:
  struct Frame;
  Rational run(CodeRange range, const Record* record, uint32_t unit);
  size_t slot(PeriodKind kind, uint32_t unit, int32_t date) const {
    return unit * static_cast<size_t>(period_count_[static_cast<size_t>(kind)]) +
           day_period_[static_cast<size_t>(kind)][static_cast<size_t>(date - program_.period_from)];
  }
  Rational period_mean(uint32_t node, uint32_t mode, uint32_t acc, uint32_t unit) const;
  void finish_accumulators();
  void run_rank(const Step& step);
  void run_mean(const Step& step);
  void run_aggregate(const Step& step);
  bool in_scope(const Step& step, uint32_t unit) const;
  uint32_t line_of(uint32_t offset) const;

  const Program& program_;
  const std::vector<std::string>* file_names_ = nullptr;
  std::vector<Rational> params_;
  size_t unit_count_;
  int32_t period_days_;
  size_t day_words_;
  std::vector<std::vector<uint8_t>> unit_in_set_;  // [set][unit]
  // Accumulator state, indexed by accumulator number; only the kind's own member is used.
  std::vector<std::vector<Rational>> sums_;
  std::vector<FlatMap<Rational>> keyed_;
  std::vector<std::vector<uint64_t>> days_;   // [acc][row * day_words + w]
  std::vector<std::vector<uint64_t>> flags_;  // DayStreak: condition held on that day
  std::vector<std::vector<Rational>> finished_;  // [acc][unit]
  std::vector<std::vector<Rational>> nodes_;     // [node][unit]
  std::vector<Rational> stack_;
  bool trace_ = false;
  std::vector<TraceEntry> entries_;
  std::vector<uint32_t> record_enums_;
  uint32_t current_enums_ = 0;
  std::vector<uint32_t> seen_, ignored_, before_unit_, after_unit_;
  std::vector<int32_t> first_date_, last_date_;
  std::vector<int32_t> rank_step_of_;              // [node]: the Rank step whose output it is, or -1
  std::vector<std::vector<size_t>> ranked_count_;  // [step][class + 1]: units ranked
  std::vector<uint8_t> covered_;
  // Per period kind: the number of sub-periods, each day's sub-period, each one's first day.
  std::array<int32_t, 5> period_count_{};
  std::array<std::vector<uint16_t>, 5> day_period_;
  std::array<std::vector<int32_t>, 5> period_start_;
  int32_t period_ = 0;       // the sub-period periodic unit code runs for
  uint32_t period_units_ = 0;  // its number of sub-periods
  uint64_t outside_unit_dates_ = 0;
};

}  // namespace rb
