// Renderings of a traced result: the JSON trace (docs/trace.md), the tree that
// `rulebook explain` prints, and the prose an office would put in its notice.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "runtime/result.hpp"

namespace rb {

nlohmann::ordered_json trace_json(const TraceNode& node);

// The derivation of one unit's score as an indented tree; `item` narrows it to the node of
// that name (empty: the whole score).
std::string explain_tree(const UnitTrace& trace, const TraceNode& root);

// Each item that moved the score as a sentence in Chinese.
std::string explain_prose(const UnitTrace& trace, const TraceNode& root);

// The node called `name` in the tree, or nullptr.
const TraceNode* find_node(const TraceNode& root, const std::string& name);
void collect_names(const TraceNode& root, std::vector<std::string>& out);

}  // namespace rb
