#include "cli/json_writer.hpp"

#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>
#include <unordered_set>

namespace rb {

namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// How many bytes a UTF-8 sequence led by `c` has (0: `c` cannot lead one), and the range
// its second byte must be in (RFC 3629: no overlong forms, surrogates or code points past
// U+10FFFF), as the decoder nlohmann's serializer uses accepts them.
int sequence_length(unsigned char c, unsigned char& lo, unsigned char& hi) {
  lo = 0x80;
  hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) return 2;
  if (c == 0xE0) lo = 0xA0;
  if (c == 0xED) hi = 0x9F;
  if (c >= 0xE0 && c <= 0xEF) return 3;
  if (c == 0xF0) lo = 0x90;
  if (c == 0xF4) hi = 0x8F;
  if (c >= 0xF0 && c <= 0xF4) return 4;
  return 0;
}

void append_escaped_control(std::string& out, unsigned char c) {
  switch (c) {
    case '\b': out += "\\b"; return;
    case '\t': out += "\\t"; return;
    case '\n': out += "\\n"; return;
    case '\f': out += "\\f"; return;
    case '\r': out += "\\r"; return;
    case '"': out += "\\\""; return;
    case '\\': out += "\\\\"; return;
    default: {
      static constexpr char kHex[] = "0123456789abcdef";
      const char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
      out.append(esc, 6);
    }
  }
}

}  // namespace

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  const size_t n = s.size();
  size_t i = 0, run = 0;  // s[run, i) is text to copy as it is
  while (i < n) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
      ++i;
      continue;
    }
    if (c < 0x80) {
      out.append(s.data() + run, i - run);
      append_escaped_control(out, c);
      run = ++i;
      continue;
    }
    unsigned char lo, hi;
    const int len = sequence_length(c, lo, hi);
    size_t k = len == 0 ? 0 : 1;
    for (; k > 0 && k < static_cast<size_t>(len) && i + k < n; ++k) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      if (b < (k == 1 ? lo : 0x80) || b > (k == 1 ? hi : 0xBF)) break;
    }
    if (len != 0 && k == static_cast<size_t>(len)) {
      i += k;
      continue;
    }
    // A byte that leads nothing is replaced; so is a sequence cut short, and the byte that
    // broke it is read again as the start of what follows (at the end there is none).
    out.append(s.data() + run, i - run);
    out += kReplacement;
    i += len == 0 ? 1 : k;
    run = i;
  }
  out.append(s.data() + run, n - run);
  out += '"';
}

void JsonWriter::before_value() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (filled_.empty()) return;
  out_ += filled_.back() ? ",\n" : "\n";
  filled_.back() = true;
  out_.append(filled_.size() * 2, ' ');
}

void JsonWriter::open(char bracket) {
  before_value();
  out_ += bracket;
  filled_.push_back(false);
}

void JsonWriter::close(char bracket) {
  if (filled_.back()) {
    out_ += '\n';
    out_.append((filled_.size() - 1) * 2, ' ');
  }
  filled_.pop_back();
  out_ += bracket;
}

JsonWriter& JsonWriter::key(std::string_view k) {
  before_value();
  append_json_string(out_, k);
  out_ += ": ";
  after_key_ = true;
  return *this;
}

void JsonWriter::value(std::string_view s) {
  before_value();
  append_json_string(out_, s);
}

void JsonWriter::value(double d) {
  before_value();
  if (!std::isfinite(d)) {
    out_ += "null";
    return;
  }
  // nlohmann's own routine (Grisu2, then its layout: 1.0, 0.25, 1e+20), so the digits are
  // the ones its dump would write.
  char buf[64];
  char* end = nlohmann::detail::to_chars(buf, buf + sizeof buf, d);
  out_.append(buf, static_cast<size_t>(end - buf));
}

void JsonWriter::value(bool b) {
  before_value();
  out_ += b ? "true" : "false";
}

void JsonWriter::null() {
  before_value();
  out_ += "null";
}

void JsonWriter::integer(int64_t n) {
  before_value();
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, n);
  out_.append(buf, static_cast<size_t>(r.ptr - buf));
}

void JsonWriter::unsigned_integer(uint64_t n) {
  before_value();
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, n);
  out_.append(buf, static_cast<size_t>(r.ptr - buf));
}

void JsonWriter::strings(const std::vector<std::string>& list) {
  begin_array();
  for (const auto& s : list) value(std::string_view(s));
  end_array();
}

bool distinct_keys(const std::vector<std::string_view>& keys) {
  const size_t n = keys.size();
  if (n <= 16) {
    for (size_t i = 1; i < n; ++i)
      for (size_t j = 0; j < i; ++j)
        if (keys[i] == keys[j]) return false;
    return true;
  }
  std::unordered_set<std::string_view> seen(keys.begin(), keys.end());
  return seen.size() == n;
}

std::vector<size_t> merged_members(const std::vector<std::string_view>& keys) {
  std::vector<size_t> order;  // per member, the index of its latest value
  std::unordered_map<std::string_view, size_t> place;
  for (size_t i = 0; i < keys.size(); ++i) {
    auto [it, fresh] = place.try_emplace(keys[i], order.size());
    if (fresh) order.push_back(i);
    else order[it->second] = i;
  }
  return order;
}

}  // namespace rb
