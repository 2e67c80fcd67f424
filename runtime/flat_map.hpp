// An open-addressing hash map from 64-bit keys to values, for the VM's keyed accumulators.
// Keys are (unit << 32 | symbol) pairs, so hashing is a multiply, never a string hash; the
// table grows by doubling, so insertions allocate only O(log n) times over a whole run.
#pragma once

#include <cstdint>
#include <vector>

namespace rb {

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
