// Output formats of `rulebook run`. Each reads the Result only.
#pragma once

#include <string>

#include "runtime/result.hpp"

namespace rb {

// Spec section 4's JSON contract, plus items, vetoes, outputs and the parameters used, and
// each unit's trace when the run was traced (docs/trace.md).
std::string format_json(const Result& r);
// For people: units ranked by score, one column per category, CJK text aligned.
std::string format_table(const Result& r);
// For spreadsheets: UTF-8 with a byte order mark so Excel reads the Chinese correctly.
std::string format_csv(const Result& r);

// Width of UTF-8 text in a terminal: East Asian wide characters take two columns.
size_t display_width(const std::string& text);

}  // namespace rb
