// `rulebook template RULES -o FILE.xlsx`: a workbook to fill in, made from the rulebook's
// event schema, that `rulebook run --events FILE.xlsx` reads with no other step.
#pragma once

#include <string>

namespace rb {

// Writes the workbook; returns the exit status: 0, or 1 when the rulebook has errors or the
// file cannot be written.
int template_command(const std::string& rules, const std::string& output);

}  // namespace rb
