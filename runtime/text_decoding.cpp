#include "text_decoding.hpp"

#include <cerrno>
#include <cstring>

#include <fmt/format.h>
#include <simdjson.h>

#include "messages.hpp"
#ifdef _WIN32
#include <windows.h>
#endif

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

#ifdef _WIN32
// Windows has no iconv: GB18030 and Big5 go through the system's code pages, UTF-16 is
// decoded here. Each decoder converts the whole characters at the start of its input and
// stops, as iconv does, at a character cut by the end (kept for the next chunk) or at the
// first byte that fits no character.

// The length of the character that starts `s` in a multi-byte code page: 0 when its bytes
// fit no character, -1 when it is cut by the end of `s`.
using CharLength = int (*)(std::string_view s);

int gb18030_length(std::string_view s) {
  const auto b = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  if (b(0) < 0x80) return 1;
  if (b(0) == 0x80 || b(0) == 0xFF) return 0;
  if (s.size() < 2) return -1;
  if ((b(1) >= 0x40 && b(1) <= 0x7E) || (b(1) >= 0x80 && b(1) <= 0xFE)) return 2;
  if (b(1) < 0x30 || b(1) > 0x39) return 0;  // else four bytes: 81-FE 30-39 81-FE 30-39
  if (s.size() < 3) return -1;
  if (b(2) < 0x81 || b(2) > 0xFE) return 0;
  if (s.size() < 4) return -1;
  return b(3) >= 0x30 && b(3) <= 0x39 ? 4 : 0;
}

int big5_length(std::string_view s) {
  const auto b = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  if (b(0) < 0x80) return 1;
  if (b(0) == 0x80 || b(0) == 0xFF) return 0;
  if (s.size() < 2) return -1;
  return (b(1) >= 0x40 && b(1) <= 0x7E) || (b(1) >= 0xA1 && b(1) <= 0xFE) ? 2 : 0;
}

void append_utf8(std::string& out, const wchar_t* text, int size) {
  if (size == 0) return;
  const int n = WideCharToMultiByte(CP_UTF8, 0, text, size, nullptr, 0, nullptr, nullptr);
  const size_t at = out.size();
  out.resize(at + static_cast<size_t>(n));
  WideCharToMultiByte(CP_UTF8, 0, text, size, out.data() + at, n, nullptr, nullptr);
}

bool code_page_converts(UINT code_page, std::string_view s, std::wstring* wide) {
  if (s.empty()) return true;
  const int n = MultiByteToWideChar(code_page, MB_ERR_INVALID_CHARS, s.data(), static_cast<int>(s.size()), nullptr, 0);
  if (n <= 0) return false;
  if (wide) {
    wide->resize(static_cast<size_t>(n));
    MultiByteToWideChar(code_page, MB_ERR_INVALID_CHARS, s.data(), static_cast<int>(s.size()), wide->data(), n);
  }
  return true;
}

// Appends the UTF-8 of the whole characters at the start of `in` to `out` and returns how
// many bytes they were; `bad` is set when it stopped at a byte that fits no character.
size_t decode_code_page(UINT code_page, CharLength length, std::string_view in, bool at_end, std::string& out,
                        bool& bad) {
  size_t end = 0;
  while (end < in.size()) {
    const int n = length(in.substr(end));
    if (n == 0 || (n < 0 && at_end)) bad = true;
    if (n <= 0) break;
    end += static_cast<size_t>(n);
  }
  std::wstring wide;
  if (!code_page_converts(code_page, in.substr(0, end), &wide)) {
    // A well-formed character the code page does not map: find the first one.
    bad = true;
    size_t good = 0;
    while (good < end) {
      const auto n = static_cast<size_t>(length(in.substr(good)));
      if (!code_page_converts(code_page, in.substr(good, n), nullptr)) break;
      good += n;
    }
    end = good;
    code_page_converts(code_page, in.substr(0, end), &wide);
  }
  append_utf8(out, wide.data(), static_cast<int>(wide.size()));
  return end;
}

size_t decode_utf16(bool big_endian, std::string_view in, bool at_end, std::string& out, bool& bad) {
  const auto unit = [&](size_t i) {
    const auto a = static_cast<unsigned char>(in[i]), b = static_cast<unsigned char>(in[i + 1]);
    return static_cast<wchar_t>(big_endian ? (a << 8) | b : (b << 8) | a);
  };
  std::wstring wide;
  size_t i = 0;
  while (i + 1 < in.size()) {
    const wchar_t u = unit(i);
    if (u >= 0xDC00 && u <= 0xDFFF) {  // a second half with no first
      bad = true;
      break;
    }
    if (u >= 0xD800 && u <= 0xDBFF) {
      if (i + 3 >= in.size()) break;  // cut: the second half is in the next chunk
      const wchar_t low = unit(i + 2);
      if (low < 0xDC00 || low > 0xDFFF) {
        bad = true;
        break;
      }
      wide += u;
      wide += low;
      i += 4;
      continue;
    }
    wide += u;
    i += 2;
  }
  if (!bad && at_end && i < in.size()) bad = true;
  append_utf8(out, wide.data(), static_cast<int>(wide.size()));
  return i;
}

// GB18030 is code page 54936 on every Windows; a system without it (Wine) reads GBK, 936.
UINT gb18030_code_page() {
  static const UINT code_page = IsValidCodePage(54936) ? 54936 : 936;
  return code_page;
}

size_t decode_windows(Encoding e, std::string_view in, bool at_end, std::string& out, bool& bad) {
  if (e == Encoding::Utf16Le || e == Encoding::Utf16Be) return decode_utf16(e == Encoding::Utf16Be, in, at_end, out, bad);
  return decode_code_page(gb18030_code_page(), gb18030_length, in, at_end, out, bad);
}

// Whether all of `s` converts from `from` (a character cut by the end is fine unless at_end).
bool converts_from(const char* from, std::string_view s, bool at_end = false) {
  const bool big5 = std::strcmp(from, "BIG5") == 0;
  std::string out;
  bool bad = false;
  decode_code_page(big5 ? 950 : gb18030_code_page(), big5 ? big5_length : gb18030_length, s, at_end, out, bad);
  return !bad;
}
#else
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

#endif

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

#ifdef _WIN32
TextDecoder::TextDecoder(Encoding e) : encoding_(e) {}

TextDecoder::~TextDecoder() = default;

bool TextDecoder::decode(std::string_view in, bool at_end, std::string& out) {
  pending_.append(in);
  bool bad = false;
  const size_t used = decode_windows(encoding_, pending_, at_end, out, bad);
  if (bad) {
    bad_offset_ = consumed_ + used;
    return false;
  }
  consumed_ += used;
  pending_.erase(0, used);
  return true;
}
#else
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
#endif

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
