// The front end's first stage: rulebook source text in, typed AST out.
#pragma once

#include <optional>
#include <string>

#include "ast.hpp"
#include "diagnostics.hpp"

namespace rb {

// Parses a whole rulebook. Declarations are parsed one at a time; after a syntax error the
// parser skips to the next line that starts (in column 1) with a declaration keyword and
// carries on, so one run reports every syntax error in the file. Returns nullopt when any
// error was reported. `path` is only used to label diagnostics and is kept in the result.
std::optional<ast::Rulebook> parse_rulebook(std::string path, std::string source, Diagnostics& diags);

}  // namespace rb
