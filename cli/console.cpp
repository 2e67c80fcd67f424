#include "cli/console.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>

#include "runtime/messages.hpp"

namespace rb {

bool stderr_takes_colour() {
  static const bool colour = [] {
    const char* no_colour = std::getenv("NO_COLOR");
    if (no_colour && *no_colour) return false;
    const char* term = std::getenv("TERM");
    if (term && std::string_view(term) == "dumb") return false;
    return ::isatty(STDERR_FILENO) == 1;
  }();
  return colour;
}

std::string error_line(std::string_view where, std::string_view message) {
  const char* label = text(Msg::severity_error);
  std::string line = where.empty() ? fmt::format("{}: {}\n", label, message)
                                   : fmt::format("{}: {}: {}\n", where, label, message);
  return paint(std::move(line));
}

std::string paint(std::string text) {
  if (!stderr_takes_colour()) return text;
  const std::string_view labels[] = {rb::text(Msg::severity_error), rb::text(Msg::severity_warning)};
  const char* colours[] = {"\x1b[1;31m", "\x1b[1;33m"};
  std::string out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    end = end == std::string::npos ? text.size() : end + 1;
    std::string_view line(text.data() + start, end - start);
    // The label stands at the line's start or after ": ", and is followed by ':' or ' '.
    size_t best = std::string_view::npos, which = 0;
    for (size_t l = 0; l < 2; ++l) {
      for (size_t at = line.find(labels[l]); at != std::string_view::npos; at = line.find(labels[l], at + 1)) {
        const size_t after = at + labels[l].size();
        const bool before_ok = at == 0 || (at >= 2 && line.substr(at - 2, 2) == ": ");
        const bool after_ok = after < line.size() && (line[after] == ':' || line[after] == ' ');
        if (before_ok && after_ok) {
          if (at < best) best = at, which = l;
          break;
        }
      }
    }
    if (best == std::string_view::npos) {
      out += line;
    } else {
      out += line.substr(0, best);
      out += colours[which];
      out += labels[which];
      out += "\x1b[0m";
      out += line.substr(best + labels[which].size());
    }
    start = end;
  }
  return out;
}

}  // namespace rb
