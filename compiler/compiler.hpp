// The compiler's entry points: rulebook source -> checked Program, or diagnostics.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ast.hpp"
#include "diagnostics.hpp"
#include "runtime/bytecode.hpp"

namespace rb {

// Checks a parsed rulebook and lowers it to bytecode. Reports every problem it finds into
// `diags`; returns nullopt when there is any error. `base_dir` is where files the
// rulebook names (来自 "x.csv") are looked up.
// With `coverage`, the program also marks coverage points as it runs (for `rulebook test`).
// With `uses`, it is filled with the items that read each event type (by index into
// Program::events, in rulebook order), for forms that say what a record counts for.
using EventUses = std::vector<std::vector<std::string>>;
std::optional<Program> compile(const ast::Rulebook& rulebook, const std::string& base_dir, Diagnostics& diags,
                               bool coverage = false, EventUses* uses = nullptr);

// Reads, parses and compiles a `.rules` file.
std::optional<Program> compile_file(const std::string& path, Diagnostics& diags, std::string* source_out = nullptr,
                                    bool coverage = false, EventUses* uses = nullptr);

}  // namespace rb
