// Output formats of `rulebook run`. Each reads the Result only.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/result.hpp"

namespace rb {

// Spec section 4's JSON contract, plus items, vetoes, outputs and the parameters used, and
// each unit's trace when the run was traced (docs/trace.md).
std::string format_json(const Result& r);
// For people: units ranked by score, one column per category, CJK text aligned; by group,
// one ranking per unit group (本类) instead of one of all units.
std::string format_table(const Result& r, bool by_group = false);
// For spreadsheets: UTF-8 with a byte order mark so Excel reads the Chinese correctly; by
// group, a 单位组 column and each unit's rank within its group.
std::string format_csv(const Result& r, bool by_group = false);

// The same texts handed to `sink` piece by piece (about a megabyte at a time) as they are
// written, so that the whole text of thousands of units is never in memory at once. A sink
// returning false stops the writing, and the function returns false.
using TextSink = std::function<bool(std::string_view)>;
bool write_json(const Result& r, const TextSink& sink);
bool write_table(const Result& r, bool by_group, const TextSink& sink);
bool write_csv(const Result& r, bool by_group, const TextSink& sink);

// A unit's place in a ranking: units by score, high to low, ties sharing a rank (1, 2, 2, 4)
// in rulebook order; units not assessed last, with rank 0.
struct Standing {
  size_t unit;
  size_t rank;
};
std::vector<Standing> standings(const Result& r, const std::vector<size_t>& units);
// The standings of all units, and how many of them have a rank (the units assessed).
std::vector<Standing> overall_standings(const Result& r);
size_t ranked_units(const std::vector<Standing>& standings);

// The rankings a report shows: all units (title empty) when `all`, then, when `by_group`
// and the rulebook has unit groups that are classes (本类), one per group and one of the
// units in no group (其他单位).
struct RankingView {
  std::string title;
  std::vector<size_t> units;
};
std::vector<RankingView> ranking_views(const Result& r, bool all, bool by_group);

// An amount as the reports show it: −N for a deduction, +N for a bonus, N when scored up
// (计分); 0 without a sign, never −0. `role` is a category's: deduction, bonus, points.
std::string signed_amount(const Rational& v, const std::string& role, int decimals);
// The 否决 column of a ranking: the veto items that hit, or why the unit is not assessed.
std::string veto_cell(const UnitResult& u);
// The header word for a category's role: 扣分, 加分 or 计分.
std::string role_word(const std::string& role);

// A path as people should read it: relative to the working folder when it lies inside it
// (as typed otherwise), so reports and traces do not show where the office's disk is.
std::string display_path(const std::string& path);
// The result's input names and every record's file in its traces, as display_path has them.
void show_paths_relative(Result& r);
void show_paths_relative(UnitTrace& t);

// Width of UTF-8 text in a terminal: East Asian wide characters take two columns.
size_t display_width(const std::string& text);

}  // namespace rb
