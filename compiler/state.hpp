// Shared state of one compilation: the Program being built, the name tables that resolve
// the rulebook's names, and the code fragments waiting to be laid out.
#pragma once

#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "ast.hpp"
#include "diagnostics.hpp"
#include "fragment.hpp"
#include "runtime/bytecode.hpp"
#include "runtime/messages.hpp"

namespace rb {

// A resolved stream: one event type, its filters (record-level conditions), an optional
// exclusion, and the date bounds of the item it is used in.
struct ResolvedStream {
  uint32_t type = 0;
  std::vector<const ast::Expr*> filters;
  const ast::Exclusion* exclusion = nullptr;
  int32_t exclusion_slot = -1;       // the excluded field's slot on `type`
  const ast::StreamRef* excluder = nullptr;  // the stream whose keys exclude
  std::string description;
};

// One unit of phase 2 work: code run for every unit, or a cross-unit step. The tasks are
// put in dependency order when laid out (a task runs after the tasks that store the nodes
// it reads); `label` names it in a message about a cycle.
struct Task {
  bool is_code = true;
  Fragment code;
  Step step;
  std::string label;
  ast::Span span;
  PeriodKind period = PeriodKind::None;  // code run once per unit and sub-period
};

struct DateBounds {
  bool has_from = false, has_until = false;
  int32_t from = 0, until = 0;
};

// How an item reads an event type, for the reviewer's checks (compiler/checks.cpp).
struct ItemUse {
  std::string item;
  ast::Span item_span;
  CategoryRole role = CategoryRole::None;
  uint32_t type = 0;
  bool per_record_amount = false;  // 每条/每个不同/取最高 with an amount, outside rankings and conditions
  int32_t excluder_type = -1;      // the event type whose keys exclude this stream's records
  DateBounds bounds;               // the item's 自 / 至
  ast::Span span;
};

struct CompilerState {
  CompilerState(const ast::Rulebook& rb, Diagnostics& d) : rulebook(rb), diags(d) {}

  const ast::Rulebook& rulebook;
  Diagnostics& diags;
  Program program;

  std::unordered_map<std::string, uint32_t> unit_index;
  std::unordered_map<std::string, std::vector<uint32_t>> groups;   // group name -> units
  std::unordered_map<std::string, uint32_t> unit_set_index;        // table/group -> unit set
  std::unordered_map<std::string, uint32_t> enum_index;
  std::unordered_map<std::string, uint32_t> table_index;
  std::unordered_map<std::string, uint32_t> event_index;
  std::unordered_map<std::string, const ast::NamedStream*> streams;
  std::unordered_map<std::string, uint32_t> param_index;
  std::unordered_map<std::string, uint32_t> node_index;  // items, groups, categories, outputs
  std::unordered_map<std::string, uint32_t> symbol_index;
  std::map<std::pair<int64_t, int64_t>, uint32_t> constant_index;
  std::unordered_map<std::string, uint32_t> keyset_index;  // shared exclusion key sets
  std::string class_problem;  // why 本类 is not defined (a unit in two groups), or empty

  std::vector<std::vector<Fragment>> handlers;  // per event type
  std::vector<ItemUse> uses;
  bool coverage = false;  // emit COVER instructions for `rulebook test --coverage`
  std::vector<bool> type_used;  // per event type: read by some rule or exclusion

  void warning(ast::Span span, std::string message, std::string hint = {}) {
    diags.warning(rulebook.path, span, std::move(message), std::move(hint));
  }
  std::vector<Task> tasks;

  void error(ast::Span span, std::string message, std::string hint = {}) {
    diags.error(rulebook.path, span, std::move(message), std::move(hint));
  }
  uint32_t symbol(const std::string& text);
  uint32_t constant(Rational value);
  uint32_t add_node(NodeDef node);
  uint32_t add_accumulator(AccumulatorDef acc);
  // Names of a map's keys, for "did you mean" hints.
  template <typename Map>
  static std::vector<std::string> keys(const Map& m) {
    std::vector<std::string> out;
    for (const auto& [k, v] : m) out.push_back(k);
    return out;
  }
  std::string suggest(const std::string& word, const std::vector<std::string>& candidates) const {
    std::string n = nearest(word, candidates);
    return n.empty() ? std::string{} : tr(Msg::compiler_did_you_mean, n);
  }
};

// Registries and the event schema (compiler/registry.cpp).
void declare_registries(CompilerState& s, const std::string& base_dir);
// Items, groups, categories, outputs and the score (compiler/lowering.cpp).
void lower_rules(CompilerState& s);
// Lays out handler and task code into the Program, the tasks in dependency order; a cycle
// is reported as an error (compiler/lowering.cpp).
void lay_out(CompilerState& s);
// What a careful reviewer would flag in a rulebook that compiles (compiler/checks.cpp).
void review(CompilerState& s);
// Exact value of a date literal, reporting an invalid one.
std::optional<int32_t> date_value(CompilerState& s, const ast::DateLit& d, ast::Span span);

}  // namespace rb
