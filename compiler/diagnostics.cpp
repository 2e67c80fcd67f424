#include "diagnostics.hpp"

#include <fmt/format.h>

#include <algorithm>

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

std::string render(const Diagnostic& d, std::string_view source) {
  std::string out = fmt::format("{}:{}:{}: {}: {}\n", d.file, d.span.line, d.span.col,
                                severity_word(d.severity), d.message);
  if (!source.empty() && d.span.line > 0) {
    size_t start = 0;
    for (uint32_t l = 1; l < d.span.line && start != std::string_view::npos; ++l) {
      start = source.find('\n', start);
      if (start != std::string_view::npos) ++start;
    }
    if (start != std::string_view::npos && start <= source.size()) {
      size_t end = source.find('\n', start);
      std::string_view line = source.substr(start, end == std::string_view::npos ? end : end - start);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      size_t col = d.span.col > 0 ? d.span.col - 1 : 0;
      if (col > line.size()) col = line.size();
      size_t len = std::min<size_t>(std::max<uint32_t>(d.span.length, 1), line.size() - col);
      out += fmt::format("  {}\n", line);
      out += fmt::format("  {}{}\n", std::string(display_width(line.substr(0, col)), ' '),
                         std::string(std::max<size_t>(display_width(line.substr(col, len)), 1), '^'));
    }
  }
  if (!d.hint.empty()) out += fmt::format("  {}: {}\n", text(Msg::hint_label), d.hint);
  return out;
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
