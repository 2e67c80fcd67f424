#include "text_decoding.hpp"

#include <cerrno>
#include <cstring>

#include <fmt/format.h>
#include <simdjson.h>

#include "messages.hpp"

namespace rb {

namespace {

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// Valid UTF-8, except that a character cut by the end of a chunk may end it.
bool valid_utf8_prefix(std::string_view s, bool at_end) {
  if (simdjson::validate_utf8(s.data(), s.size())) return true;
  if (at_end) return false;
  for (size_t cut = 1; cut <= 3 && cut < s.size(); ++cut)
    if (simdjson::validate_utf8(s.data(), s.size() - cut)) return true;
  return false;
}

// Mostly UTF-8: more valid multi-byte characters than bytes that fit none (a stray bad byte
// in a UTF-8 file is then that row's problem, not a reason to refuse the file).
bool mostly_utf8(std::string_view s) {
  size_t good = 0, bad = 0;
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    bool ok = len > 0 && i + len <= s.size();
    for (size_t k = 1; ok && k < len; ++k) ok = (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
    if (!ok) {
      ++bad;
      ++i;
      continue;
    }
    if (len > 1) ++good;
    i += len;
  }
  return good > bad;
}

// Whether all of `s` converts from `from` (a character cut by the end is fine unless at_end).
bool converts_from(const char* from, std::string_view s, bool at_end = false) {
  iconv_t cd = iconv_open("UTF-8", from);
  if (cd == reinterpret_cast<iconv_t>(-1)) return false;
  char out[4096];
  char* in = const_cast<char*>(s.data());
  size_t left = s.size();
  bool ok = true;
  while (left > 0) {
    char* o = out;
    size_t room = sizeof out;
    if (iconv(cd, &in, &left, &o, &room) == static_cast<size_t>(-1)) {
      if (errno == E2BIG) continue;
      ok = errno == EINVAL && !at_end;  // cut at the end
      break;
    }
  }
  iconv_close(cd);
  return ok;
}

const char* iconv_name(Encoding e) {
  switch (e) {
    case Encoding::Gb18030:
      return "GB18030";
    case Encoding::Utf16Le:
      return "UTF-16LE";
    case Encoding::Utf16Be:
      return "UTF-16BE";
    case Encoding::Utf8:
    case Encoding::Detect:
      break;
  }
  return nullptr;
}

}  // namespace

const char* const kEncodingNames = "utf-8, gb18030, gbk, utf-16le, utf-16be";

std::optional<Encoding> parse_encoding(std::string_view name) {
  const std::string n = lower(name);
  if (n == "utf-8" || n == "utf8") return Encoding::Utf8;
  if (n == "gb18030" || n == "gbk" || n == "gb2312" || n == "cp936") return Encoding::Gb18030;
  if (n == "utf-16le") return Encoding::Utf16Le;
  if (n == "utf-16be") return Encoding::Utf16Be;
  return std::nullopt;
}

const char* encoding_name(Encoding e) {
  switch (e) {
    case Encoding::Utf8:
      return "UTF-8";
    case Encoding::Gb18030:
      return "GB18030/GBK";
    case Encoding::Utf16Le:
      return "UTF-16LE";
    case Encoding::Utf16Be:
      return "UTF-16BE";
    case Encoding::Detect:
      break;
  }
  return "unknown";
}

Encoding detect_encoding(std::string_view head, bool at_end) {
  if (starts_with(head, "\xEF\xBB\xBF")) return Encoding::Utf8;
  if (starts_with(head, "\xFF\xFE")) return Encoding::Utf16Le;
  if (starts_with(head, "\xFE\xFF")) return Encoding::Utf16Be;
  if (valid_utf8_prefix(head, at_end)) return Encoding::Utf8;
  if (converts_from("GB18030", head, at_end)) return Encoding::Gb18030;
  if (mostly_utf8(head)) return Encoding::Utf8;
  return Encoding::Detect;
}

std::string looks_like(std::string_view text) {
  size_t zeros = 0;
  const std::string_view head = text.substr(0, 4096);
  for (char c : head)
    if (c == '\0') ++zeros;
  if (zeros * 4 > head.size()) return rb::text(Msg::looks_utf16);
  if (converts_from("GB18030", text)) return "GB18030/GBK";
  if (converts_from("BIG5", text)) return rb::text(Msg::looks_big5);
  return rb::text(Msg::looks_western);
}

std::string detect_failure(std::string_view head) {
  return tr(Msg::encoding_undetected, looks_like(head), rb::text(Msg::save_as_utf8));
}

// glibc's iconv has every encoding named here, so iconv_open does not fail.
TextDecoder::TextDecoder(Encoding e) : encoding_(e), cd_(iconv_open("UTF-8", iconv_name(e))) {}

TextDecoder::~TextDecoder() { iconv_close(cd_); }

bool TextDecoder::decode(std::string_view in, bool at_end, std::string& out) {
  pending_.append(in);
  char* src = pending_.data();
  size_t left = pending_.size();
  while (left > 0) {
    const size_t at = out.size();
    out.resize(at + left * 2 + 16);
    char* dst = out.data() + at;
    size_t room = out.size() - at;
    const size_t r = iconv(cd_, &src, &left, &dst, &room);
    const int err = errno;
    out.resize(out.size() - room);
    if (r != static_cast<size_t>(-1)) break;
    if (err == E2BIG) continue;
    if (err == EINVAL && !at_end) break;  // a character cut by the chunk's end
    bad_offset_ = consumed_ + static_cast<size_t>(src - pending_.data());
    return false;
  }
  const size_t used = pending_.size() - left;
  consumed_ += used;
  pending_.erase(0, used);
  return true;
}

void LineEnds::normalize(char* text, size_t size) {
  if (style_ == Style::Unknown) {
    const void* cr = std::memchr(text, '\r', size);
    const void* lf = std::memchr(text, '\n', size);
    if (cr == nullptr && lf == nullptr) return;
    const char* c = static_cast<const char*>(cr);
    const bool lone_cr = c != nullptr && (lf == nullptr || c < static_cast<const char*>(lf)) &&
                         (c + 1 == text + size || c[1] != '\n');
    style_ = lone_cr ? Style::Cr : Style::Lf;
  }
  if (style_ != Style::Cr) return;
  for (size_t i = 0; i < size; ++i)
    if (text[i] == '\r' && (i + 1 == size || text[i + 1] != '\n')) text[i] = '\n';
}

}  // namespace rb
