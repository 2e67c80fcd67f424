// `rulebook test`: runs the tests written beside a rulebook and reports coverage.
#pragma once

#include <string>

namespace rb {

struct TestArgs {
  std::string rules;
  std::string tests;  // default: the rulebook's path with .tests for .rules
  bool coverage = false;
  double threshold = -1;  // minimum item coverage in percent, or -1
  std::string format = "text";  // text, json, or junit (JUnit XML for CI)
  std::string output;           // the report's file, or standard output
};

int test_command(const TestArgs& args);

}  // namespace rb
