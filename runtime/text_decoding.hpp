// Text files as offices save them, turned into UTF-8 with LF or CRLF line ends for the CSV
// reader.
//
// Encodings: UTF-8 (with or without a byte order mark), GB18030 (a superset of GBK and
// GB2312, what Excel and WPS write as "CSV" on Chinese Windows) and UTF-16 LE or BE. With
// Encoding::Detect the first bytes decide: a byte order mark (UTF-8, UTF-16 LE, UTF-16 BE),
// else UTF-8 when they are valid UTF-8, else GB18030 when they are valid GB18030, else UTF-8
// when they are mostly UTF-8 (the bad rows are then reported one by one), else the file is
// refused with detect_failure()'s message. Conversion is glibc's iconv on Linux and the
// system's code pages on Windows (UTF-16 decoded here), fed in chunks (a character split
// between two chunks is carried over).
//
// Line ends: a file whose first line break is a lone CR (old Mac style, as some exports
// still write) has every lone CR turned into LF; files with LF or CRLF are left alone.
#pragma once

#ifndef _WIN32
#include <iconv.h>
#endif

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace rb {

enum class Encoding { Detect, Utf8, Gb18030, Utf16Le, Utf16Be };

// "utf-8", "gb18030" (also "gbk", "gb2312", "cp936"), "utf-16le" and "utf-16be", in any
// case; nullopt for anything else.
std::optional<Encoding> parse_encoding(std::string_view name);
// The names parse_encoding accepts, for help and messages.
extern const char* const kEncodingNames;
const char* encoding_name(Encoding e);

// Decides the encoding of a file from its first bytes (see above).
Encoding detect_encoding(std::string_view head, bool at_end);
// For a file that fits no encoding: which one it looks like, and how to save it as UTF-8.
std::string detect_failure(std::string_view head);
// Which encoding a text that is not valid UTF-8 looks like ("GB18030/GBK", ...).
std::string looks_like(std::string_view text);

class TextDecoder {
 public:
  // e is not Detect nor Utf8.
  explicit TextDecoder(Encoding e);
  ~TextDecoder();
  TextDecoder(const TextDecoder&) = delete;
  TextDecoder& operator=(const TextDecoder&) = delete;

  // Appends the UTF-8 text of `in` to `out`; the bytes of a character cut by the end of
  // `in` are kept for the next call (at_end: there is no next call, so they are an error).
  // False at the first byte that is not valid in the encoding; bad_offset() is then its
  // offset in the whole input.
  bool decode(std::string_view in, bool at_end, std::string& out);
  size_t bad_offset() const { return bad_offset_; }
  Encoding encoding() const { return encoding_; }

 private:
  Encoding encoding_;
#ifndef _WIN32
  iconv_t cd_;
#endif
  std::string pending_;
  size_t consumed_ = 0;
  size_t bad_offset_ = 0;
};

// Line ends of a text: decided by its first line break, then applied to each piece.
class LineEnds {
 public:
  // Turns lone CRs into LF in place when the text uses CR line ends.
  void normalize(char* text, size_t size);

 private:
  enum class Style { Unknown, Lf, Cr } style_ = Style::Unknown;
};

}  // namespace rb
