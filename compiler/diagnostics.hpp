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

// Renders one diagnostic with its source line and caret. `source` is the text of the file
// the diagnostic points into (empty when unavailable, then only the first line is printed).
std::string render(const Diagnostic& d, std::string_view source);

// The nearest of `candidates` to `word` by edit distance over code points, or empty when
// nothing is close enough to suggest ("did you mean ...?").
std::string nearest(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace rb
