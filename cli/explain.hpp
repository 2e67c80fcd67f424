// Renderings of a traced result: the JSON trace (docs/trace.md), the tree that
// `rulebook explain` prints, and the prose an office would put in its notice.
#pragma once

#include <string>

#include "cli/json_writer.hpp"

#include "runtime/result.hpp"

namespace rb {

// The trace of a node as JSON (docs/trace.md), written as the value `w` expects next.
void trace_json(JsonWriter& w, const TraceNode& node);

// The derivation of one unit's score as an indented tree; `item` narrows it to the node of
// that name (empty: the whole score).
std::string explain_tree(const UnitTrace& trace, const TraceNode& root);

// What a notice says of the unit before its items: its final score and rank, or that it is
// not assessed, or vetoed (then the veto and its reason are all the notice says).
struct NoticeHead {
  bool assessed = true;
  std::string not_assessed_reason;
  bool vetoed = false;
  Rational score;
  size_t rank = 0, ranked = 0;  // among the units assessed
  std::string grade;
  int decimals = 2;
};

// The notice an office sends: the head (when given and `root` is the whole score), then
// each item that moved the score as a numbered sentence with its clause, its records (when,
// what, who issued it) and its sub-periods, by deductions, points and bonuses; caps and
// substitutions of groups and categories in their place.
std::string explain_prose(const UnitTrace& trace, const TraceNode& root, const NoticeHead* head = nullptr);
// The head of unit `unit`'s notice (Result order), ranked among all units by score.
NoticeHead notice_head(const Result& r, size_t unit);
NoticeHead notice_head(const Result& r, size_t unit, size_t rank, size_t ranked);  // rank already known


// The node called `name` in the tree, or nullptr.
const TraceNode* find_node(const TraceNode& root, const std::string& name);
void collect_names(const TraceNode& root, std::vector<std::string>& out);

}  // namespace rb
