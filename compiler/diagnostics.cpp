#include "diagnostics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include "runtime/messages.hpp"

namespace rb {

void Diagnostics::error(std::string file, ast::Span span, std::string message, std::string hint) {
  items_.push_back({Severity::Error, std::move(file), span, std::move(message), std::move(hint)});
}

void Diagnostics::warning(std::string file, ast::Span span, std::string message, std::string hint) {
  items_.push_back({Severity::Warning, std::move(file), span, std::move(message), std::move(hint)});
}

size_t Diagnostics::error_count() const {
  return static_cast<size_t>(std::count_if(items_.begin(), items_.end(), [](const Diagnostic& d) {
    return d.severity == Severity::Error;
  }));
}

namespace {

const char* severity_word(Severity s) {
  switch (s) {
    case Severity::Error: return text(Msg::severity_error);
    case Severity::Warning: return text(Msg::severity_warning);
    case Severity::Note: return text(Msg::severity_note);
  }
  return text(Msg::severity_error);
}

// Display width of a UTF-8 string: CJK and other wide code points take two columns, so
// the caret lines up under Chinese text in a terminal.
size_t display_width(std::string_view s) {
  size_t width = 0;
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      width += 1;
      i += 1;
    } else {
      int len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
      width += len >= 3 ? 2 : 1;
      i += static_cast<size_t>(len);
    }
  }
  return width;
}

std::vector<char32_t> code_points(std::string_view s) {
  std::vector<char32_t> out;
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    int len = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
    char32_t cp = len == 1 ? c : c & (0x3F >> (len - 1));
    for (int k = 1; k < len && i + static_cast<size_t>(k) < s.size(); ++k)
      cp = (cp << 6) | (static_cast<unsigned char>(s[i + static_cast<size_t>(k)]) & 0x3F);
    out.push_back(cp);
    i += static_cast<size_t>(len);
  }
  return out;
}

size_t edit_distance(const std::vector<char32_t>& a, const std::vector<char32_t>& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

}  // namespace

uint32_t char_column(std::string_view before, size_t line) {
  if (line == 1 && before.substr(0, 3) == "\xEF\xBB\xBF") before.remove_prefix(3);
  // The characters before the column: every byte but UTF-8's continuation bytes (this is
  // called for every name a rulebook has, so it counts them without decoding).
  size_t characters = 0;
  for (char byte : before) characters += (static_cast<unsigned char>(byte) & 0xC0) != 0x80 ? 1 : 0;
  return static_cast<uint32_t>(characters + 1);
}

namespace {

// The line a diagnostic points into, and where on it (in bytes) the caret starts and how
// many bytes it covers; nothing when the source does not have that line.
struct Extent {
  std::string_view line;
  size_t start = 0, length = 0;
};

std::optional<Extent> extent(const Diagnostic& d, std::string_view source) {
  if (source.empty() || d.span.line == 0) return std::nullopt;
  size_t start = 0;
  for (uint32_t l = 1; l < d.span.line && start != std::string_view::npos; ++l) {
    start = source.find('\n', start);
    if (start != std::string_view::npos) ++start;
  }
  if (start == std::string_view::npos || start > source.size()) return std::nullopt;
  const size_t end = source.find('\n', start);
  Extent e;
  e.line = source.substr(start, end == std::string_view::npos ? end : end - start);
  if (!e.line.empty() && e.line.back() == '\r') e.line.remove_suffix(1);
  // The column counts characters: walk that many code points in (after a byte order mark).
  if (d.span.line == 1 && e.line.substr(0, 3) == "\xEF\xBB\xBF") e.start = 3;
  for (uint32_t c = 1; c < d.span.col && e.start < e.line.size(); ++c) {
    ++e.start;
    while (e.start < e.line.size() && (static_cast<unsigned char>(e.line[e.start]) & 0xC0) == 0x80) ++e.start;
  }
  e.length = std::min<size_t>(std::max<uint32_t>(d.span.length, 1), e.line.size() - e.start);
  return e;
}

}  // namespace

uint32_t end_column(const Diagnostic& d, std::string_view source) {
  const auto e = extent(d, source);
  const size_t length = e ? code_points(e->line.substr(e->start, e->length)).size() : d.span.length;
  return d.span.col + static_cast<uint32_t>(std::max<size_t>(length, 1));
}

std::string render(const Diagnostic& d, std::string_view source) {
  // A problem with the file as a whole (it cannot be read) has no line to point at.
  std::string out = d.span.line == 0 ? fmt::format("{}: {}: {}\n", d.file, severity_word(d.severity), d.message)
                                      : fmt::format("{}:{}:{}: {}: {}\n", d.file, d.span.line, d.span.col,
                                                    severity_word(d.severity), d.message);
  if (const auto e = extent(d, source)) {
    out += fmt::format("  {}\n", e->line);
    out += fmt::format("  {}{}\n", std::string(display_width(e->line.substr(0, e->start)), ' '),
                       std::string(std::max<size_t>(display_width(e->line.substr(e->start, e->length)), 1), '^'));
  }
  if (!d.hint.empty()) out += fmt::format("  {}: {}\n", text(Msg::hint_label), d.hint);
  return out;
}

void append_utf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

std::string halfwidth(std::string_view text) {
  std::string out;
  bool changed = false;
  for (char32_t c : code_points(text)) {
    if (c >= 0xFF01 && c <= 0xFF5E) {  // the full-width forms of ASCII '!' to '~'
      out += static_cast<char>(c - 0xFEE0);
      changed = true;
    } else {
      append_utf8(out, c);
    }
  }
  return changed ? out : std::string{};
}

std::string nearest(std::string_view word, const std::vector<std::string>& candidates) {
  auto w = code_points(word);
  std::string best;
  size_t best_distance = SIZE_MAX;
  for (const auto& c : candidates) {
    size_t dist = edit_distance(w, code_points(c));
    if (dist < best_distance) {
      best_distance = dist;
      best = c;
    }
  }
  size_t limit = std::max<size_t>(1, w.size() / 2);
  return best_distance <= limit ? best : std::string{};
}

}  // namespace rb
