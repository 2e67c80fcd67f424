// The message catalogue: every text a person reads comes from here, in Chinese (the
// default) and in English. Each message is declared once, with both forms, in one of the
// files under runtime/messages/ (a declaration without both forms does not compile; a test
// walks the catalogue and checks that both forms take the same arguments).
//
//   RB_MSG(id, "中文 {}", "English {}")
//
// Arguments are fmt placeholders: `{}` in order, or `{0}`, `{1}` where the two languages
// put them in different places.
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace rb {

enum class Lang : uint8_t { Zh, En };

enum class Msg : uint16_t {
#define RB_MSG(id, zh, en) id,
#include "runtime/messages/all.def"
#undef RB_MSG
  count_
};

struct MessageText {
  const char* id;
  const char* zh;
  const char* en;
};

// The language every message is given in; Chinese unless set.
void set_language(Lang lang);
Lang language();

// "zh", "zh_CN.UTF-8", "en", "en_US.UTF-8", "C" ...: the language the name asks for, or
// none when it names neither (a "C" or "POSIX" locale names neither).
std::optional<Lang> parse_language(std::string_view name);

// The language of the environment: RULEBOOK_LANG, then LC_ALL, LC_MESSAGES and LANG, as
// POSIX orders them; Chinese when none of them asks for English.
Lang language_from_environment();

// The whole catalogue, in declaration order (for the test that walks it).
std::span<const MessageText> message_catalogue();

// The text of a message in the current language (or the one given).
const char* text(Msg m);
const char* text(Msg m, Lang lang);

// A message with its arguments put in, in a language given.
template <class... Args>
std::string tr_in(Lang lang, Msg m, const Args&... args) {
  return fmt::format(fmt::runtime(text(m, lang)), args...);
}

// The same, in the run's language.
template <class... Args>
std::string tr(Msg m, const Args&... args) {
  return tr_in(language(), m, args...);
}

// A text made when a rulebook is compiled (an accumulator's description, a coverage
// point), kept in both languages so that a compiled rulebook shows it in the language of
// the run, not of the compilation.
struct BothLanguages {
  std::string zh, en;
  const std::string& in(Lang lang) const { return lang == Lang::En ? en : zh; }
  const std::string& shown() const { return in(language()); }
  bool empty() const { return zh.empty() && en.empty(); }
  // Appends `more` after `separator` (nothing before the first part) in each language.
  void append(const BothLanguages& more, std::string_view separator = " ") {
    if (more.empty()) return;
    if (!zh.empty() || !en.empty()) {
      zh += separator;
      en += separator;
    }
    zh += more.zh;
    en += more.en;
  }
  bool operator==(const BothLanguages&) const = default;
};

// A text that reads the same in both languages (a name from the rulebook).
inline BothLanguages same_in_both(std::string s) { return {s, s}; }

// A message with its arguments put in, in both languages.
template <class... Args>
BothLanguages tr_both(Msg m, const Args&... args) {
  return {tr_in(Lang::Zh, m, args...), tr_in(Lang::En, m, args...)};
}

}  // namespace rb
