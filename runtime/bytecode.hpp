// The compiled form of a rulebook: everything the VM needs, and nothing that needs the
// source. The compiler produces a Program; `.rbc` files are a Program serialized
// (runtime/rbc_file.hpp); the VM runs one over a stream of records.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "messages.hpp"
#include "rational.hpp"

namespace rb {

enum class Op : uint8_t {
#define OP(name, operands, meaning) name,
#include "opcodes.def"
#undef OP
};

inline constexpr int kOpCount = 0
#define OP(name, operands, meaning) +1
#include "opcodes.def"
#undef OP
    ;

inline constexpr const char* kOpNames[] = {
#define OP(name, operands, meaning) #name,
#include "opcodes.def"
#undef OP
};

inline constexpr const char* kOpOperands[] = {
#define OP(name, operands, meaning) operands,
#include "opcodes.def"
#undef OP
};

inline constexpr const char* kOpMeanings[] = {
#define OP(name, operands, meaning) meaning,
#include "opcodes.def"
#undef OP
};

// Size in bytes of an instruction with opcode `op`, the opcode byte included.
constexpr int instruction_size(Op op) {
  int n = 1;
  for (const char* p = kOpOperands[static_cast<int>(op)]; *p; ++p) n += 2;
  return n;
}

// How ROUND rounds: half away from zero (四舍五入), up (向上取整) or down (向下取整).
enum class RoundMode : uint8_t { HalfAway, Up, Down };
// ROUND keeps at most this many decimals, so 10^places fits a 64-bit fraction.
inline constexpr uint32_t kMaxRoundPlaces = 6;

// Limits that follow from the encoding: operands are 16-bit.
inline constexpr uint32_t kMaxIndex = 0xFFFF;
// Awards by rank name at most this many places (前 N 名, 后 N 名, 第 N 名).
inline constexpr int64_t kMaxAwardPlaces = 100000;
// A record carries at most this many declared fields (besides type and date).
inline constexpr uint32_t kMaxFields = 32;

// Days since 1970-01-01 for a valid proleptic Gregorian date; used for every date.
int32_t days_from_civil(int32_t y, int32_t m, int32_t d);
void civil_from_days(int32_t z, int32_t& y, int32_t& m, int32_t& d);
std::string format_date(int32_t days);
bool valid_date(int32_t y, int32_t m, int32_t d);

// A span of code: [begin, end) in Program::code.
struct CodeRange {
  uint32_t begin = 0;
  uint32_t end = 0;
};

enum class FieldKind : uint8_t { Unit, Text, Number, Date, Enum, TableKey };

struct FieldDef {
  std::string name;             // name in the rulebook (the input field name, or the key's name)
  FieldKind kind = FieldKind::Text;
  uint32_t ref = 0;             // enum index for Enum, table index for TableKey
  bool optional = false;
  std::vector<std::string> key_fields;  // for TableKey: the input fields forming the key
  std::string display;          // the name forms and column headers show, "" for none
};

struct EventTypeDef {
  std::string name;
  std::vector<FieldDef> fields;          // slot i of a record holds fields[i]
  int32_t unit_field = -1;               // slot of the Unit field, or -1
  int32_t key_field = -1;                // slot of the TableKey field that gives the unit, or -1
  std::vector<std::vector<uint32_t>> unique;  // slots (kMaxFields means the date) no two records share
  CodeRange handler;                     // phase 1 code run for each record of this type
  std::string display;                   // the name forms and records may use, "" for none
};

struct EnumDef {
  std::string name;
  std::vector<uint32_t> members;  // symbols
  std::vector<std::string> displays;  // per member, the name records may use, "" for none;
                                      // empty when no member has one
};

struct TableDef {
  std::string name;
  std::vector<std::string> columns;
  struct Row {
    std::vector<uint32_t> keys;   // symbols, one per column
    std::vector<uint32_t> units;  // unit indices
  };
  std::vector<Row> rows;
};

// A set of units (a table's units, a group), as a sorted list of unit indices.
struct UnitSet {
  std::string name;
  std::vector<uint32_t> units;
};

// Sub-periods of the assessment period (按周, 按月, 按季, 按半年). Weeks are counted from the
// period's first day; months, quarters and halves are calendar ones, cut at the period's
// ends. A periodic accumulator or node holds one value per unit and sub-period, at
// unit * P + p for P sub-periods.
enum class PeriodKind : uint8_t { None, Week, Month, Quarter, Half };
// How a value scored per sub-period makes the year's: the sum, or the mean over all
// sub-periods, over those in which the unit had records, or those in which it existed.
enum class PeriodCombine : uint8_t { Sum, MeanAll, MeanWithRecords, MeanExisting };

enum class AccKind : uint8_t {
  Sum,        // per unit: the sum of amounts
  KeySum,     // per unit and key: the sum of amounts; finished as the sum over kept keys
  KeyMax,     // per unit and key: the largest amount; finished as the sum over kept keys
  KeySet,     // per unit: the set of keys seen (used to exclude keys from another accumulator)
  DayGaps,    // per table row: the days with a record; finished as the count of gap findings
  DayStreak,  // per table row: the days with a record and a flag; finished as streak findings
};

struct AccumulatorDef {
  AccKind kind = AccKind::Sum;
  int32_t exclude = -1;    // KeySum/KeyMax: a KeySet accumulator whose keys are left out
  uint32_t table = 0;      // DayGaps/DayStreak: the table whose rows are tracked
  int64_t days = 0;        // DayGaps: a gap g adds floor((g - 1) / days); DayStreak: the step
  int64_t times = 0;       // DayStreak: flags in a row that make one finding
  BothLanguages description;  // for the disassembly and traces, in both languages
  PeriodKind period = PeriodKind::None;  // Sum, KeySum, KeyMax: kept per sub-period
};

// Indicator: a named per-unit value (指标) that adds nothing to the score by itself.
enum class NodeKind : uint8_t { Item, Group, Category, Veto, Hidden, Score, Vetoed, Output, Indicator };
// Points: a category scored up (计分), whose items add to the score like the base does.
enum class CategoryRole : uint8_t { None, Deduction, Bonus, Veto, Points };

// A named value computed for every unit in phase 2: items, groups, categories, the score,
// and the hidden intermediate values that rankings and substitutions need.
struct NodeDef {
  std::string name;
  NodeKind kind = NodeKind::Hidden;
  CategoryRole role = CategoryRole::None;
  std::string citation;
  int32_t parent = -1;      // the group or category this node adds into, or -1
  bool has_cap = false;
  Rational cap;
  uint32_t source_line = 0; // the rulebook line that declares it
  // An item's time bounds (自/至), as days, for traces that say why nothing counted.
  bool has_from = false, has_until = false;
  int32_t from = 0, until = 0;
  // Items: 满分 N scores down from N and never below 0; the value is max(0, N - terms).
  bool has_full = false;
  Rational full;
  // Items with a cap: the node holding the value before the cap, or -1.
  int32_t before_cap = -1;
  // A node with values per sub-period (period != None), and, for an item, group or
  // indicator scored per sub-period, the node holding those values.
  PeriodKind period = PeriodKind::None;
  int32_t per_period = -1;
  PeriodCombine combine = PeriodCombine::Sum;
  bool has_period_cap = false;
  Rational period_cap;
  // Items for one unit set only (仅): -1, or the set; for other units the item is absent.
  int32_t only = -1;
};

// Phase 2 is a list of steps, ordered by the compiler so that every step runs after the
// steps whose nodes it reads: code run once per unit, or a cross-unit step. A cross-unit
// step leaves out the units that are not assessed (Program::assessed_node).
enum class StepKind : uint8_t { UnitCode, Rank, Mean, Aggregate };
enum class TieKind : uint8_t { Competition, Dense };
// What an Aggregate step computes over the units in scope: 平均, 最高, 最低, 合计, 单位数.
enum class AggKind : uint8_t { Mean, Max, Min, Sum, Count };
// Which units a cross-unit step takes for a unit: all, one unit set, or the unit's own
// class (本类: the unit group it belongs to, or the units in no group).
enum class ScopeKind : uint8_t { All, UnitSet, OwnClass };
// An award by rank: exactly rank n, ranks 1..n (前 n 名), the last n ranks (后 n 名), or
// the last n percent of the ranked units (后 n%).
enum class AwardKind : uint8_t { Rank, Top, Bottom, BottomPercent };

struct Award {
  AwardKind kind = AwardKind::Rank;
  int64_t n = 0;
  Rational amount;
};

struct Step {
  StepKind kind = StepKind::UnitCode;
  CodeRange code;             // UnitCode
  PeriodKind period = PeriodKind::None;  // UnitCode: run once per unit and sub-period
  uint32_t input = 0;         // Rank: the node ranked; Mean: the node averaged; Aggregate: the value
  uint32_t output = 0;        // the node written
  uint32_t condition = 0;     // Mean: units whose condition node is non-zero form the mean
  bool descending = true;     // Rank
  TieKind tie = TieKind::Competition;
  bool has_skip = false;      // Rank: units whose value equals `skip` are not ranked
  Rational skip;
  std::vector<Award> awards;  // Rank
  AggKind agg = AggKind::Mean;        // Aggregate
  ScopeKind scope = ScopeKind::All;   // Rank and Aggregate
  uint32_t scope_set = 0;             // ScopeKind::UnitSet: the unit set
  int32_t filter = -1;        // Rank, Aggregate: a node; units where it is 0 are left out
  int32_t rank_node = -1;     // Rank: the node receiving each unit's rank (0: not ranked)
};

// A grade band (等级): units whose score is at least `low` (or any score, for the last
// band without a bound) get `name`; bands are tried in order, highest first.
struct GradeBand {
  bool has_low = false;
  Rational low;
  std::string name;
  uint32_t line = 0;  // the rulebook line of the 等级 declaration
};

struct ParamDef {
  std::string name;
  Rational value;        // a number, or a day number when is_date
  bool is_date = false;  // declared with a date, e.g. 参数 年报期限 = 2022-01-31
};

// A place in the rulebook that `rulebook test --coverage` reports as exercised or not: an
// amount chosen by a field's value, a time bound's two sides, an item receiving a record.
struct CoveragePoint {
  uint32_t line = 0;
  std::string item;    // the item it belongs to
  BothLanguages what;  // e.g. "按 level = province", "a record before 自 2022-08-01"
};

// Source line for the instruction starting at `offset`, for disassembly and traces.
struct LineEntry {
  uint32_t offset = 0;
  uint32_t line = 0;
};

// The number of sub-periods of `kind` in [from, to], and the sub-period of a day in it.
int32_t period_count(PeriodKind kind, int32_t from, int32_t to);
int32_t period_of(PeriodKind kind, int32_t from, int32_t day);
// A sub-period's label: 2022-03 (month), 2022Q1, 2022H1, or the week's first day.
std::string period_label(PeriodKind kind, int32_t from, int32_t index);

struct Program {
  std::string title;
  std::string source_name;  // the rulebook file it was compiled from
  int32_t period_from = 0, period_to = 0;  // days, both included
  Rational base_score = 100, score_low = 0, score_high = 100;
  std::vector<ParamDef> params;
  std::vector<std::string> units;
  std::vector<std::pair<std::string, uint32_t>> aliases;
  std::vector<std::string> symbols;  // strings known at compile time; records intern into this
  std::vector<EnumDef> enums;
  std::vector<TableDef> tables;
  std::vector<UnitSet> unit_sets;
  std::vector<std::vector<Rational>> value_sets;  // sorted, for IN_SET
  std::vector<EventTypeDef> events;
  std::vector<AccumulatorDef> accumulators;
  std::vector<NodeDef> nodes;
  std::vector<Step> steps;
  std::vector<Rational> constants;
  std::vector<uint8_t> code;
  std::vector<LineEntry> lines;
  uint32_t score_node = 0;
  uint32_t vetoed_node = 0;
  int32_t assessed_node = -1;        // 参与考核: units where it is 0 get no score or rank; -1: all assessed
  std::string not_assessed_reason;   // shown for those units
  std::vector<uint32_t> categories;  // category nodes in rulebook order
  std::vector<uint32_t> outputs;     // extra output nodes (输出)
  std::vector<uint32_t> indicators;  // indicator nodes (指标)
  std::vector<int32_t> unit_class;   // per unit: its unit group for 本类 (-1: in no group)
  std::vector<GradeBand> grades;     // 等级, empty when the rulebook grades nothing
  // Per unit: the first and last day it existed (设立 / 撤销, as 自 / 至 in the unit list);
  // empty when no unit has dates. Records outside them are ignored.
  std::vector<int32_t> unit_from, unit_until;
  uint32_t decimals = 2;  // 小数位数: decimals the outputs show (at most kMaxRoundPlaces)
  std::vector<CoveragePoint> coverage;  // empty unless compiled for coverage
};

}  // namespace rb
