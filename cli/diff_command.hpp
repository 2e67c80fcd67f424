// `rulebook diff OLD NEW [--events FILE]... [--format text|json] [-o FILE]`: the changes
// between two rulebooks as a change list, and with events, every unit's score under both.
#pragma once

#include <string>
#include <vector>

namespace rb {

struct DiffArgs {
  std::string old_rules, new_rules;
  std::vector<std::string> events;
  std::string format = "text";
  std::string output;
};

// Prints the comparison; returns the exit status: 0, or 1 when a rulebook has errors, a
// record is bad or a file cannot be read or written.
int diff_command(const DiffArgs& args);

}  // namespace rb
