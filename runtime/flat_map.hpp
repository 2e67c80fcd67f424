// Open-addressing hash tables. FlatMap: from 64-bit keys to values, for the VM's keyed
// accumulators; keys are (unit << 32 | symbol) pairs, so hashing is a multiply, never a
// string hash. TextSlots: an index of texts kept by its owner (the symbol table, the
// reader's vocabularies), looked up by string_view without copying. Both grow by doubling,
// so insertions allocate only O(log n) times over a whole run.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

namespace rb {

// A cheap 64-bit hash of a text, for TextSlots: 8 bytes at a time.
inline uint64_t text_hash(std::string_view s) {
  const char* p = s.data();
  size_t n = s.size();
  uint64_t h = 0x9E3779B97F4A7C15ULL ^ (n * 0xFF51AFD7ED558CCDULL);
  while (n >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    h = (h ^ w) * 0xBF58476D1CE4E5B9ULL;
    h ^= h >> 31;
    p += 8;
    n -= 8;
  }
  if (n > 0) {  // 1..7 bytes left: two overlapping loads instead of a variable-size copy
    uint64_t w;
    if (n >= 4) {
      uint32_t a, b;
      std::memcpy(&a, p, 4);
      std::memcpy(&b, p + n - 4, 4);
      w = (static_cast<uint64_t>(a) << 32) | b;
    } else {
      w = (static_cast<uint64_t>(static_cast<unsigned char>(p[0])) << 16) |
          (static_cast<uint64_t>(static_cast<unsigned char>(p[n / 2])) << 8) | static_cast<unsigned char>(p[n - 1]);
    }
    h = (h ^ w) * 0x94D049BB133111EBULL;
    h ^= h >> 29;
  }
  return h ^ (h >> 32);
}

// The slots of an open-addressing index over texts numbered 0..n-1 by their owner: each slot
// holds the low 32 bits of a text's hash and its number + 1 (8 bytes a slot), so a lookup
// hashes the text once, compares hashes and reads a stored text only when they agree (in
// practice only the match), and growing re-places the slots by their stored hashes without
// reading any text. (Positions come from the same 32 bits, so growing needs nothing else.)
class TextSlots {
 public:
  // The number whose text (text_of(number), a string_view) equals `key`, or -1. `h` is
  // text_hash(key).
  template <class TextOf>
  int64_t find(std::string_view key, uint64_t h, const TextOf& text_of) const {
    if (slots_.empty()) return -1;
    const size_t mask = slots_.size() - 1;
    for (size_t i = static_cast<uint32_t>(h) & mask;; i = (i + 1) & mask) {
      const Slot& slot = slots_[i];
      if (slot.entry == 0) return -1;
      if (slot.hash == static_cast<uint32_t>(h)) {
        const std::string_view t = text_of(slot.entry - 1);
        if (t.size() == key.size() && std::memcmp(t.data(), key.data(), key.size()) == 0) return slot.entry - 1;
      }
    }
  }

  // Adds text number `entry` (not already there) with hash `h`.
  void add(uint64_t h, uint32_t entry) {
    if ((count_ + 1) * 2 > slots_.size()) grow();
    place(h, entry + 1);
    ++count_;
  }

  void reserve(size_t texts) {
    while (slots_.size() < texts * 2) grow();
  }

 private:
  struct Slot {
    uint32_t hash = 0;   // the text hash's low 32 bits
    uint32_t entry = 0;  // number + 1, 0 = empty
  };
  void place(uint64_t full_hash, uint32_t entry1) {
    const auto h = static_cast<uint32_t>(full_hash);
    const size_t mask = slots_.size() - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
      if (slots_[i].entry == 0) {
        slots_[i] = Slot{h, entry1};
        return;
      }
    }
  }
  void grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(std::max<size_t>(16, old.size() * 2), Slot{});
    for (const Slot& slot : old)
      if (slot.entry != 0) place(slot.hash, slot.entry);
  }

  std::vector<Slot> slots_;
  size_t count_ = 0;
};

template <typename Value>
class FlatMap {
 public:
  FlatMap() { reset(16); }

  // The value under `key`, inserted as `fresh` when absent; `inserted` tells which.
  Value& find_or_insert(uint64_t key, const Value& fresh, bool& inserted) {
    if ((size_ + 1) * 4 > capacity() * 3) grow();
    size_t i = slot_for(key);
    inserted = !used_[i];
    if (inserted) {
      used_[i] = 1;
      keys_[i] = key;
      values_[i] = fresh;
      ++size_;
    }
    return values_[i];
  }

  const Value* find(uint64_t key) const {
    size_t i = slot_for(key);
    return used_[i] ? &values_[i] : nullptr;
  }

  size_t size() const { return size_; }

  // Calls f(key, value) for every entry, in no particular order.
  template <typename F>
  void for_each(F&& f) const {
    for (size_t i = 0; i < keys_.size(); ++i)
      if (used_[i]) f(keys_[i], values_[i]);
  }

 private:
  size_t capacity() const { return keys_.size(); }

  static uint64_t mix(uint64_t k) {
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    return k;
  }

  size_t slot_for(uint64_t key) const {
    size_t mask = capacity() - 1;
    size_t i = mix(key) & mask;
    while (used_[i] && keys_[i] != key) i = (i + 1) & mask;
    return i;
  }

  void reset(size_t cap) {
    keys_.assign(cap, 0);
    values_.assign(cap, Value{});
    used_.assign(cap, 0);
    size_ = 0;
  }

  void grow() {
    std::vector<uint64_t> keys = std::move(keys_);
    std::vector<Value> values = std::move(values_);
    std::vector<uint8_t> used = std::move(used_);
    reset(keys.size() * 2);
    for (size_t i = 0; i < keys.size(); ++i) {
      if (!used[i]) continue;
      size_t j = slot_for(keys[i]);
      used_[j] = 1;
      keys_[j] = keys[i];
      values_[j] = values[i];
      ++size_;
    }
  }

  std::vector<uint64_t> keys_;
  std::vector<Value> values_;
  std::vector<uint8_t> used_;
  size_t size_ = 0;
};

}  // namespace rb
