// The run's symbol table (record.hpp): compile-time symbols keep their numbers 0..n-1,
// texts read from the input get the next numbers as they are first seen.
#include <string>

#include "record.hpp"

namespace rb {

namespace {

// The map in record.hpp is keyed by std::string and has no transparent hash, so a lookup by
// string_view needs a std::string key. A per-thread scratch string keeps its capacity, so
// after warm-up a lookup copies bytes but never allocates, even for texts longer than the
// small-string buffer (most Chinese names are).
std::string& scratch_key(std::string_view text) {
  thread_local std::string key;
  key.assign(text.data(), text.size());
  return key;
}

}  // namespace

Symbols::Symbols(const std::vector<std::string>& compiled) {
  texts_.reserve(compiled.size());
  ids_.reserve(compiled.size() * 2 + 16);
  for (const std::string& text : compiled) {
    // A repeated compiled text keeps its first number; the later slot still exists so the
    // numbering matches the bytecode constants.
    ids_.emplace(text, static_cast<uint32_t>(texts_.size()));
    texts_.push_back(text);
  }
}

int64_t Symbols::find(std::string_view text) const {
  auto it = ids_.find(scratch_key(text));
  return it == ids_.end() ? -1 : static_cast<int64_t>(it->second);
}

uint32_t Symbols::intern(std::string_view text) {
  std::string& key = scratch_key(text);
  auto it = ids_.find(key);
  if (it != ids_.end()) return it->second;
  auto id = static_cast<uint32_t>(texts_.size());
  texts_.emplace_back(text);
  ids_.emplace(texts_.back(), id);
  return id;
}

}  // namespace rb
