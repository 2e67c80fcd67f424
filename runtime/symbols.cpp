// The run's symbol table (record.hpp): compile-time symbols keep their numbers 0..n-1,
// texts read from the input get the next numbers as they are first seen.
#include <string>

#include "record.hpp"

namespace rb {

Symbols::Symbols(const std::vector<std::string>& compiled) {
  size_t bytes = 0;
  for (const std::string& text : compiled) bytes += text.size();
  arena_.reserve(bytes);
  starts_.reserve(compiled.size() + 1);
  ids_.reserve(compiled.size() + 16);
  for (const std::string& text : compiled) {
    // A repeated compiled text keeps its first number; the later slot still exists so the
    // numbering matches the bytecode constants.
    const uint64_t h = text_hash(text);
    const bool repeated = find(text, h) >= 0;
    const auto id = static_cast<uint32_t>(size());
    arena_.append(text);
    starts_.push_back(arena_.size());
    if (!repeated) ids_.add(h, id);
  }
}

int64_t Symbols::find(std::string_view text, uint64_t h) const {
  return ids_.find(text, h, [this](uint32_t id) { return this->text(id); });
}

int64_t Symbols::find(std::string_view text) const { return find(text, text_hash(text)); }

uint32_t Symbols::intern(std::string_view text) {
  const uint64_t h = text_hash(text);
  if (const int64_t found = find(text, h); found >= 0) return static_cast<uint32_t>(found);
  const auto id = static_cast<uint32_t>(size());
  arena_.append(text);
  starts_.push_back(arena_.size());
  ids_.add(h, id);
  return id;
}

}  // namespace rb
