// JSON written as it is produced, straight into a string: no tree of the whole document.
// The text is byte for byte what nlohmann's dump(2, ' ', false, error_handler_t::replace)
// gives for the same document: 2-space indentation, "key": value, empty containers as {}
// and [], numbers as nlohmann prints them (its own shortest-digits routine), strings with
// ", \, \b \f \n \r \t and \u00xx escaped, other text as it is and invalid UTF-8 as U+FFFD.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace rb {

class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}

  void begin_object() { open('{'); }
  void end_object() { close('}'); }
  void begin_array() { open('['); }
  void end_array() { close(']'); }

  // The key of the next member of the object being written.
  JsonWriter& key(std::string_view k);

  void value(std::string_view s);
  void value(const char* s) { value(std::string_view(s)); }
  void value(const std::string& s) { value(std::string_view(s)); }
  void value(double d);
  void value(bool b);
  void null();
  template <class T>
    requires(std::is_integral_v<T> && !std::is_same_v<T, bool>)
  void value(T n) {
    if constexpr (std::is_signed_v<T>) integer(static_cast<int64_t>(n));
    else unsigned_integer(static_cast<uint64_t>(n));
  }

  // An array of strings (nlohmann's conversion of a std::vector<std::string>).
  void strings(const std::vector<std::string>& list);

 private:
  void open(char bracket);
  void close(char bracket);
  void before_value();
  void integer(int64_t n);
  void unsigned_integer(uint64_t n);

  std::string& out_;
  std::vector<bool> filled_;  // per open container: it has a member already
  bool after_key_ = false;
};

// Text as a JSON string (with its quotes) the way nlohmann writes it, appended to `out`.
void append_json_string(std::string& out, std::string_view s);

// The members of an object filled as ordered_json's `object[key] = value`: a key given again
// keeps its first place and takes its last value. Calls write(i) for each member in order,
// with i the index (among the n keys) of the value it takes.
bool distinct_keys(const std::vector<std::string_view>& keys);
std::vector<size_t> merged_members(const std::vector<std::string_view>& keys);

template <class KeyOf, class Write>
void write_members(JsonWriter& w, size_t n, KeyOf key_of, Write write) {
  std::vector<std::string_view> keys;
  keys.reserve(n);
  for (size_t i = 0; i < n; ++i) keys.push_back(key_of(i));
  if (distinct_keys(keys)) {
    for (size_t i = 0; i < n; ++i) {
      w.key(keys[i]);
      write(i);
    }
    return;
  }
  for (size_t i : merged_members(keys)) {
    w.key(keys[i]);
    write(i);
  }
}

}  // namespace rb
