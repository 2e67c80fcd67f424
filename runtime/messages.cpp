#include "runtime/messages.hpp"

#include <array>
#include <cstdlib>

namespace rb {

namespace {

constexpr std::array<MessageText, static_cast<size_t>(Msg::count_)> kCatalogue{{
#define RB_MSG(id, zh, en) {#id, zh, en},
#include "runtime/messages/all.def"
#undef RB_MSG
}};

Lang current = Lang::Zh;

}  // namespace

void set_language(Lang lang) { current = lang; }
Lang language() { return current; }

std::optional<Lang> parse_language(std::string_view name) {
  auto starts = [&](std::string_view p) {
    return name.size() >= p.size() && std::equal(p.begin(), p.end(), name.begin(), [](char a, char b) {
             return (a | 0x20) == (b | 0x20);
           }) && (name.size() == p.size() || name[p.size()] == '_' || name[p.size()] == '-' || name[p.size()] == '.');
  };
  if (starts("zh") || starts("chinese")) return Lang::Zh;
  if (starts("en") || starts("english")) return Lang::En;
  return std::nullopt;
}

Lang language_from_environment() {
  // RULEBOOK_LANG first: it reaches programs where the locale variables do not (Wine, some
  // Windows shells), and says it for this tool alone.
  if (const char* own = std::getenv("RULEBOOK_LANG"); own && *own)
    if (auto lang = parse_language(own)) return *lang;
  for (const char* var : {"LC_ALL", "LC_MESSAGES", "LANG"}) {
    const char* value = std::getenv(var);
    if (!value || !*value) continue;
    // The first variable that is set decides, as POSIX has it; one that names neither
    // language (C, POSIX) leaves the default.
    return parse_language(value).value_or(Lang::Zh);
  }
  return Lang::Zh;
}

std::span<const MessageText> message_catalogue() { return kCatalogue; }

const char* text(Msg m, Lang lang) {
  const auto& entry = kCatalogue[static_cast<size_t>(m)];
  return lang == Lang::En ? entry.en : entry.zh;
}

const char* text(Msg m) { return text(m, current); }

}  // namespace rb
