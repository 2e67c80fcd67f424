// `rulebook fmt`: lays a rulebook out in the one canonical way, changing only the blanks
// between tokens. The author's line breaks, comments and quoted strings stay as written.
#pragma once

#include <optional>
#include <string>

#include "diagnostics.hpp"

namespace rb {

// Formats a whole rulebook. Returns nullopt, with diagnostics (file:line:col), when the
// source does not parse: a broken file is never formatted. The result parses to the same
// AST (spans aside), and formatting it again gives the same bytes.
//
// The layout:
// - Indentation is two spaces per open '{' or '('. When a bracket is followed by more text on
//   its line, the lines inside it line up with that text instead (a hanging list). A line
//   that continues a rule or a declaration gets no extra indentation (`否则 若 ...`).
// - One space between tokens, none after '(' or a unary minus, none before ')', ',' or ':',
//   none before the '(' of 最大(...)/最小(...) or of a table key type `账号: 表(a, b)`.
// - Two spaces between the entries of a { } list that share a line: names in 单位, 单位组,
//   枚举 and 属于 sets, `k: v` cases, awards, 取最高 arms, event fields, table rows, and the
//   rules, items and groups of a body.
// - Aligned, counting a CJK character as two columns: the key columns and the '->' of the
//   rows of a 表 body that start a line (two spaces between columns); the '{' of a run of
//   `事件 NAME {` heads; the types of a run of `name: type` field lines in an event body. A
//   run ends at a blank line, at another declaration, or (for fields) at a line that does
//   not start with a field; comment lines do not end it.
// - A trailing comment sits two spaces after its code, aligned with the trailing comments of
//   the lines just above and below it. A comment on its own line is indented like code there.
// - Runs of blank lines become one; blank lines at the start and end go; no trailing spaces;
//   LF line ends; the text ends with one newline. The full-width '：' and '，' become ':' and ','.
std::optional<std::string> format_rulebook(const std::string& path, const std::string& source, Diagnostics& diags);

}  // namespace rb
