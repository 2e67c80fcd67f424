// Comparing two rulebooks: what changed between them, in the rulebook's own terms, and
// (given records) how every unit's score moves when the same records are scored by both.
//
// The structural diff works on the two parsed ASTs (both should also have compiled, so
// that only valid rulebooks are compared). Items are matched by name, then by citation
// (an item renamed but still citing the same clause); units are matched by name, and a
// unit that disappeared while the new rulebook keeps its name as an alias of a new unit is
// a rename. Every change is one Change, with a short Chinese sentence for policy staff.
//
// The impact scores the same record files with both programs (runtime Session) and
// compares unit by unit, matching renamed units through the new rulebook's aliases. It
// tells which items, groups and categories moved each unit's score; the effects add up
// exactly to the change of the score.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "ast.hpp"
#include "runtime/bytecode.hpp"
#include "runtime/result.hpp"

namespace rb {

// ---------------------------------------------------------------- printing the source

// An expression or a stream written back in the rulebook's syntax, on one line:
// `每条 interp_substandard 扣 按 level { province: 6  city: 4  county: 0 }`. Comments,
// line breaks and redundant parentheses are not kept. With `source` (the text the AST was
// parsed from), the synonyms the author chose (每件/每条, 扣/加/计) are kept; without it,
// 每条 and 扣 are written.
std::string print_expr(const ast::Expr& e, const std::string* source = nullptr);
std::string print_stream(const ast::StreamRef& s, const std::string* source = nullptr);

// A name as it must be written in a rulebook: bare when it is a plain name, else quoted.
std::string source_name(const std::string& name);

// ---------------------------------------------------------------- structural diff

enum class DiffSection { Header, Params, Units, Registries, Events, Rules, Outputs };

// The Chinese heading of a section ("基本信息", "参数", ...) and its JSON key ("header", ...).
const char* section_title(DiffSection s);
const char* section_key(DiffSection s);

struct Change {
  DiffSection section = DiffSection::Header;
  std::string kind;      // added, removed, renamed, moved, changed
  std::string what;      // title, period, base_score, score_range, param, unit, unit_group, alias,
                         // enum, table, table_row, event_type, field, unique, named_stream,
                         // category, group, item, output
  std::string name;      // what changed (the new name after a rename); for a field or table
                         // row: "OWNER.FIELD" / "TABLE: KEYS"
  std::string old_name;  // renamed: the old name
  std::string aspect;    // changed: title, period, base, range, default, cap, citation, from,
                         // until, rule, substitution, kind, members, units, type, optional,
                         // key_columns, source, formula, stream, alias_target
  std::string old_value, new_value;  // short values in rulebook syntax (empty when none)
  std::string text;                  // the change as one sentence, in the current language
  std::vector<std::string> details;  // further lines: the old and new rule text
  uint32_t old_line = 0, new_line = 0;  // where it is in each file, 0 when not there
};

struct RulebookDiff {
  std::string old_path, new_path;
  std::string old_title, new_title;
  std::string old_period, new_period;  // "2022-01-01 至 2022-12-31"
  std::vector<Change> changes;         // by section, each in the new rulebook's order
  std::map<std::string, std::string> renamed_units;  // old name -> new name
  std::map<std::string, std::string> renamed_nodes;  // items and groups: old name -> new name
};

// The programs are optional; when given, tables read from CSV files (来自) are compared by
// their rows.
RulebookDiff diff_rulebooks(const ast::Rulebook& old_book, const ast::Rulebook& new_book,
                            const Program* old_program = nullptr, const Program* new_program = nullptr);

// ---------------------------------------------------------------- impact on scores

// One contribution to a unit's change of score. Values are signed as they act on the
// score: deductions negative, bonuses positive. `effect` is this entry's share of the
// change, so the effects of a unit add up to its change of score:
//   item      old/new: the item's value; effect: new - old.
//   group,    old/new: the total after cap and substitution; effect: what the cap or the
//   category  substitution added on top of the members' own changes (0 when the total
//             moved exactly as its members did; such entries are not listed).
//   base      基础分 changed.
//   range     the score was raised or cut by 得分范围: old/new are what the range added.
//   veto      old/new: what the veto took away (minus the score before the veto).
struct ImpactMove {
  std::string kind;
  std::string name;      // new name (old name when only in the old rulebook)
  std::string old_name;  // when renamed
  std::string detail;    // veto: the veto items hit, "旧 → 新"
  Rational old_value, new_value, effect;
  bool in_old = true, in_new = true;
};

struct UnitImpact {
  std::string unit;      // the new rulebook's name
  std::string old_unit;  // the old rulebook's name when different
  Rational old_score, new_score;
  bool old_vetoed = false, new_vetoed = false;
  std::vector<ImpactMove> moves;  // largest |effect| first; entries with no effect left out
  Rational change() const { return new_score - old_score; }
};

struct ImpactSide {
  std::string path, title, period_from, period_to;
  RunSummary summary;
  // Records this rulebook could not read but the other one could: an event type or unit it
  // does not know. They are left out of this rulebook's scores (name -> records).
  std::map<std::string, uint64_t> unknown_types, unknown_units;
};

struct Impact {
  std::vector<std::string> inputs;
  uint64_t records = 0;
  ImpactSide old_side, new_side;
  std::vector<std::string> notes;        // warnings in the current language, e.g. records outside a period
  std::vector<UnitImpact> units;         // units in both, largest |change| first
  std::vector<std::pair<std::string, Rational>> only_old, only_new;  // unit, score
};

// Compares two results of the same records. `diff` (optional) supplies renamed items.
Impact compare_results(const Program& old_program, const Result& old_result, const Program& new_program,
                       const Result& new_result, const RulebookDiff* diff = nullptr);

struct ImpactRun {
  bool ok = false;
  Impact impact;
  // When not ok: every problem as "FILE:LINE: message" (problems that only one rulebook
  // has are marked with it), and how many there were.
  std::vector<std::string> problems;
  uint64_t problem_count = 0;
};

// Scores `files` with both programs and compares them. A record that one rulebook cannot
// read because its event type or unit exists only in the other rulebook is scored by the
// other one only (and counted in ImpactSide); any other bad record is a problem.
ImpactRun run_impact(const Program& old_program, const Program& new_program, const std::vector<std::string>& files,
                     const RulebookDiff* diff = nullptr);

// ---------------------------------------------------------------- output

// A change list for people, grouped by section under Chinese headings, then the impact
// table when `impact` is given.
std::string format_diff_text(const RulebookDiff& diff, const Impact* impact = nullptr);
// The same as JSON: {old, new, changes: [...], impact: {...}}; numbers rounded to 2 decimals.
std::string format_diff_json(const RulebookDiff& diff, const Impact* impact = nullptr);

}  // namespace rb
