// The compiled form of a rulebook: everything the VM needs, and nothing that needs the
// source. The compiler produces a Program; `.rbc` files are a Program serialized
// (runtime/rbc_file.hpp); the VM runs one over a stream of records.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

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

// Limits that follow from the encoding: operands are 16-bit.
inline constexpr uint32_t kMaxIndex = 0xFFFF;
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
  std::string description; // for the disassembly and traces
};

enum class NodeKind : uint8_t { Item, Group, Category, Veto, Hidden, Score, Vetoed, Output };
enum class CategoryRole : uint8_t { None, Deduction, Bonus, Veto };

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
};

enum class StepKind : uint8_t { UnitCode, Rank, Mean };
enum class TieKind : uint8_t { Competition, Dense };

// Phase 2 is a list of steps run in order: code run once per unit, or a cross-unit step.
struct Step {
  StepKind kind = StepKind::UnitCode;
  CodeRange code;             // UnitCode
  uint32_t input = 0;         // Rank: the node ranked; Mean: the node averaged
  uint32_t output = 0;        // the node written
  uint32_t condition = 0;     // Mean: units whose condition node is non-zero form the mean
  bool descending = true;     // Rank
  TieKind tie = TieKind::Competition;
  bool has_skip = false;      // Rank: units whose value equals `skip` are not ranked
  Rational skip;
  std::vector<std::pair<int64_t, Rational>> awards;  // Rank: rank -> amount
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
  std::string item;  // the item it belongs to
  std::string what;  // e.g. "level = province", "before 自 2022-08-01"
};

// Source line for the instruction starting at `offset`, for disassembly and traces.
struct LineEntry {
  uint32_t offset = 0;
  uint32_t line = 0;
};

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
  std::vector<uint32_t> categories;  // category nodes in rulebook order
  std::vector<uint32_t> outputs;     // extra output nodes (输出)
  std::vector<CoveragePoint> coverage;  // empty unless compiled for coverage
};

}  // namespace rb
