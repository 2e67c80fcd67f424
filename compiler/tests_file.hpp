// Tests written beside a rulebook (X.tests next to X.rules), parsed into values.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "diagnostics.hpp"

namespace rb {

struct RulebookTest {
  std::string name;
  uint32_t line = 0;
  struct Record {
    std::string json;
    uint32_t line = 0;
  };
  std::vector<Record> records;
  struct Expectation {
    std::string unit, node;  // node empty for a veto expectation
    std::string value;       // "5", "2.5", "10/3"; for vetoes "否决" or "不否决"
    uint32_t line = 0;
  };
  std::vector<Expectation> expectations;
  struct ExpectedError {
    uint32_t record = 0;  // 1-based, within the test
    std::string text;
    uint32_t line = 0;
  };
  std::vector<ExpectedError> errors;
};

std::optional<std::vector<RulebookTest>> parse_tests(const std::string& path, const std::string& source,
                                                     Diagnostics& diags);

}  // namespace rb
