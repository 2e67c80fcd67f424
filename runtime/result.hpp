// The outcome of a run, independent of how it is printed: formatters (json, table, csv)
// read this and never the VM.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "rational.hpp"
#include "trace.hpp"

namespace rb {

// An item or group of the rulebook as the results show it. Result::items has one per item
// and group, in rulebook order, shared by every unit: a unit's UnitResult::items[i] is its
// value of Result::items[i].
struct ItemInfo {
  std::string name;
  std::string citation;
  std::string kind;    // "item", "group", "veto"
  std::string parent;  // the enclosing group or category, empty at the top
};

// One unit's value of an item or group (see ItemInfo for which one).
struct NodeValue {
  Rational value;
  // Items with a ranking: the unit's rank (0: not ranked) among `ranked` units, and the
  // class ranked in (an index into Result::rank_classes, whose first is "" for all units
  // ranked together).
  int64_t rank = 0;
  uint32_t ranked = 0;
  uint32_t rank_class = 0;
  bool applies = true;  // false: the item is for other units only (仅), and absent here
  bool has_rank = false;
};

struct UnitResult {
  std::string unit;
  Rational score;
  bool vetoed = false;
  bool assessed = true;                // false: 不参与考核, no score and no rank
  std::string not_assessed_reason;
  std::string grade;                   // 等级, empty when the rulebook grades nothing
  std::string group;                   // the unit group it is ranked in with 本类 (empty: none)
  std::vector<std::string> veto_items;  // the veto items that hit
  // The values, in the order of the names in Result (category_names, items,
  // indicator_names, output_names): the names are kept once, not per unit.
  std::vector<Rational> categories;  // deduction and bonus categories
  std::vector<NodeValue> items;      // every item and group, rulebook order
  std::vector<Rational> indicators;  // 指标 values
  std::vector<Rational> outputs;     // 输出 values
};

struct RunSummary {
  uint64_t records = 0;        // records read
  uint64_t in_period = 0;      // records scored
  uint64_t out_of_period = 0;  // records ignored as outside the period
  uint64_t rejected = 0;       // bad records skipped into the reject file
  uint64_t outside_unit_dates = 0;  // of in_period: dated before a unit was set up or after it closed
};

struct Result {
  std::string title;
  std::string period_from, period_to;
  struct Param {
    std::string name;
    Rational value;  // a day number when is_date
    bool is_date = false;
  };
  std::vector<Param> params;  // the values used in this run
  std::vector<std::string> category_names;               // column order for tables
  std::vector<std::string> category_roles;               // per category: deduction, bonus or points
  std::vector<std::string> group_names;  // the unit groups that are classes (本类), rulebook order
  std::vector<std::string> indicator_names;
  std::vector<std::string> output_names;
  std::vector<ItemInfo> items;              // every item and group, rulebook order
  std::vector<std::string> rank_classes = {""};  // the classes items are ranked in (NodeValue::rank_class)
  bool graded = false;  // the rulebook has 等级
  int decimals = 2;     // 小数位数: decimals the outputs show
  std::vector<UnitResult> units;  // in rulebook order
  RunSummary summary;
  std::vector<UnitTrace> traces;  // one per unit, in the same order, when the run was traced
  std::vector<std::string> inputs;  // the input files, as given
  std::vector<RunSummary> input_counts;  // per input file, in the same order
};

// The value a unit got for a name: 得分, a category, an item or group, or an output.
inline std::optional<Rational> value_of(const Result& r, const UnitResult& u, const std::string& name) {
  if (name == "得分") return u.score;
  for (size_t i = 0; i < u.categories.size(); ++i)
    if (r.category_names[i] == name) return u.categories[i];
  for (size_t i = 0; i < u.items.size(); ++i)
    if (r.items[i].name == name) return u.items[i].value;
  for (size_t i = 0; i < u.indicators.size(); ++i)
    if (r.indicator_names[i] == name) return u.indicators[i];
  for (size_t i = 0; i < u.outputs.size(); ++i)
    if (r.output_names[i] == name) return u.outputs[i];
  return std::nullopt;
}

}  // namespace rb
