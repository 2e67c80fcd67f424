// The virtual machine. Phase 1: `accept` runs the handler of each record's event type,
// which updates per-unit (or per-table-row) accumulators; nothing is kept per record.
// Phase 2: `finish` completes the accumulators, runs the program's steps (per-unit code,
// rankings, means) and builds the Result.
#pragma once

#include <string>
#include <vector>

#include "bytecode.hpp"
#include "flat_map.hpp"
#include "record.hpp"
#include "result.hpp"

namespace rb {

// A problem while running compiled code, e.g. a division by zero in a rule's expression.
struct RunError : std::runtime_error {
  RunError(const std::string& message, uint32_t line) : std::runtime_error(message), line(line) {}
  uint32_t line;  // rulebook line of the failing instruction, 0 when unknown
};

class Machine {
 public:
  explicit Machine(const Program& program);

  // Overrides a parameter's default; false when the rulebook has no such parameter.
  bool set_param(const std::string& name, Rational value);

  void accept(const Record& record);
  Result finish(const RunSummary& summary);

 private:
  struct Frame;
  Rational run(CodeRange range, const Record* record, uint32_t unit);
  void finish_accumulators();
  void run_rank(const Step& step);
  void run_mean(const Step& step);
  uint32_t line_of(uint32_t offset) const;

  const Program& program_;
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
};

}  // namespace rb
