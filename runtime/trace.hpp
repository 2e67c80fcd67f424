// Provenance: where every number of a result comes from. The VM records, while it runs, each
// amount an accumulator receives (with the record's file and line) when tracing is on; the
// TraceBuilder then walks the compiled program's own structure (which accumulators and nodes
// each node's code reads, the rank and mean steps, caps) to lay out, for each unit, the
// derivation of its score down to the records.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "bytecode.hpp"
#include "messages.hpp"
#include "rational.hpp"

namespace rb {

// One amount given to an accumulator by one record (phase 1), as the VM saw it.
struct TraceEntry {
  uint32_t acc = 0;
  uint32_t unit = 0;
  uint32_t row = 0;
  uint32_t key = 0;   // the keyed field's symbol, for keyed accumulators
  uint32_t type = 0;  // event type
  uint32_t file = 0;
  uint32_t line = 0;
  int32_t date = 0;
  Rational amount;
  bool flag = false;  // streaks: the condition held
  uint32_t enums = 0;  // where the record's enum fields are kept (Machine::record_enums)
};

// A record as it appears in a trace.
struct TraceRecord {
  std::string file;
  uint32_t line = 0;
  std::string date;
  std::string type;
  std::string key;   // the id, element, method ... the accumulator is keyed by, if any
  Rational amount;
  bool counted = true;
  std::string note;  // why it did not count, or what it stands for (a gap, a streak)
  // The record's enum fields as people read them (通报级别: 县政府办公室), in field order.
  std::vector<std::pair<std::string, std::string>> details;
  // Gaps and streaks found by a date-sequence rule in one table row (record fields empty):
  std::string span_from, span_to;  // first and last day of the gap or streak
  int64_t span_days = 0;
  bool streak = false;  // a streak (连续 …) rather than a gap
};

// The amounts one accumulator gathered for one unit, and their total.
struct TraceAccumulator {
  uint32_t index = 0;  // in Program::accumulators
  std::string description;
  Rational total;
  std::vector<TraceRecord> records;
};

// A value taken across units (平均, 最高, ... of a value over the units in scope), with the
// units it was taken over and each one's value.
struct TraceCrossUnit {
  std::string what;  // as written in the rulebook, e.g. 平均(满意率, 本类)
  Rational value;
  std::vector<std::pair<std::string, Rational>> over;
};

struct TraceNode {
  std::string name;
  std::string kind;      // score, category, group, item, veto
  std::string role;      // categories: deduction, bonus or veto
  std::string citation;
  uint32_t line = 0;     // rulebook line
  Rational value;
  std::optional<Rational> before_cap;  // set when the cap cut the value
  std::optional<Rational> cap;
  // Substitution: the unit did not satisfy the condition and got the mean instead.
  bool substituted = false;
  Rational mean;
  std::vector<std::string> mean_over;  // the units the mean was taken over
  std::optional<Rational> own_value;   // the value it would have had
  // Ranking: the value ranked, the rank, and how many units were ranked.
  bool ranked = false;
  Rational rank_value;
  int64_t rank = 0;
  size_t ranked_units = 0;
  std::vector<TraceAccumulator> accumulators;
  std::vector<TraceCrossUnit> cross_unit;        // values across units this one reads
  // Scored per sub-period: each sub-period's label (2022-03, 2022Q1, ...) and value, and how
  // they made the year's value (meaningful when `periods` is not empty).
  std::vector<std::pair<std::string, Rational>> periods;
  PeriodCombine combined = PeriodCombine::Sum;
  std::vector<std::pair<std::string, Rational>> uses;  // named values (items, indicators, ...) it reads
  std::vector<std::string> notes;  // adjustments and "why not"
  std::vector<TraceNode> children;
};

// How sub-periods make the year's value: the JSON trace's code for it ("sum of the
// sub-periods", ...; fixed, whatever the language), and the message that says it in words.
const char* combine_code(PeriodCombine c);
Msg combine_message(PeriodCombine c);

struct UnitTrace {
  std::string unit;
  TraceNode score;
  std::vector<TraceNode> indicators;  // 指标, in rulebook order
};

}  // namespace rb
