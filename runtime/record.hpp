// One input record as the VM sees it: the event type, the date, the unit (and table row
// for records keyed by a table), and the declared fields in slots. Strings are interned to
// symbol numbers when read, so the VM never hashes or compares text.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "bytecode.hpp"
#include "flat_map.hpp"
#include "rational.hpp"

namespace rb {

struct Record {
  uint32_t type = 0;   // index into Program::events
  int32_t date = 0;    // days since 1970-01-01
  uint32_t unit = 0;   // index into Program::units
  uint32_t row = 0;    // table row, for records whose unit comes from a table key
  uint32_t file = 0;   // index of the input file, for traces
  uint32_t line = 0;   // 1-based line in that file
  uint32_t present = 0;  // bit i set when field slot i was given
  // Slot values: numbers and dates as they are, texts and enum members as symbols, units
  // as unit indices, table keys as row indices.
  std::array<Rational, kMaxFields> fields{};
};

// The run's symbol table: the program's compile-time symbols first (so their numbers match
// the constants in the bytecode), then every new text read from the input. Looked up by
// string_view in an open-addressing index (no copy of the text, no allocation unless new).
class Symbols {
 public:
  explicit Symbols(const std::vector<std::string>& compiled);
  uint32_t intern(std::string_view text);
  // -1 when the text was never seen.
  int64_t find(std::string_view text) const;
  // Valid until the next intern() (the texts live back to back in one growing buffer).
  std::string_view text(uint32_t id) const {
    return std::string_view(arena_.data() + starts_[id], starts_[id + 1] - starts_[id]);
  }
  size_t size() const { return starts_.size() - 1; }

 private:
  int64_t find(std::string_view text, uint64_t h) const;

  // Every text back to back (no allocation per new text, only the buffer's amortised
  // growth); text i is arena_[starts_[i], starts_[i + 1]).
  std::string arena_;
  std::vector<size_t> starts_{0};
  TextSlots ids_;
};

}  // namespace rb
