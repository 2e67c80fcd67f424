// Diagnostics are values: every stage appends to a Diagnostics list and keeps going, then
// one printer renders them all as `file:line:col: error: message`, the source line, a
// caret under the offending text, and a hint where one helps.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ast.hpp"

namespace rb {

enum class Severity { Error, Warning, Note };

struct Diagnostic {
  Severity severity = Severity::Error;
  std::string file;
  ast::Span span;
  std::string message;
  std::string hint;  // empty when there is none
};

class Diagnostics {
 public:
  void error(std::string file, ast::Span span, std::string message, std::string hint = {});
  void warning(std::string file, ast::Span span, std::string message, std::string hint = {});
  const std::vector<Diagnostic>& all() const { return items_; }
  size_t error_count() const;
  bool has_errors() const { return error_count() > 0; }

 private:
  std::vector<Diagnostic> items_;
};

// The 1-based column, counted in characters (code points) as an editor counts them, of the
// place that `before` (the text of its line up to there) leads to; `line` is its 1-based
// line. The byte order mark that may open the first line is not shown, so not counted.
uint32_t char_column(std::string_view before, size_t line);

// Renders one diagnostic with its source line and caret. `source` is the text of the file
// the diagnostic points into (empty when unavailable, then only the first line is printed).
std::string render(const Diagnostic& d, std::string_view source);

// The column just after the text a diagnostic points at, in characters (for editors).
uint32_t end_column(const Diagnostic& d, std::string_view source);

// The nearest of `candidates` to `word` by edit distance over code points, or empty when
// nothing is close enough to suggest ("did you mean ...?").
std::string nearest(std::string_view word, const std::vector<std::string>& candidates);

// Appends code point `c` encoded as UTF-8.
void append_utf8(std::string& out, char32_t c);

// The text with its full-width forms, which Chinese input methods produce (（）｛｝５＋),
// written half-width (() {} 5 +), or empty when it has none.
std::string halfwidth(std::string_view text);

}  // namespace rb
