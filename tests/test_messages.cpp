// The message catalogue: every message has both languages, and both take the same arguments.
#include <fmt/args.h>

#include <catch2/catch.hpp>
#include <set>
#include <string>

#include "runtime/messages.hpp"
#include "runtime/xlsx_error.hpp"

namespace {

// The argument indices a format string uses: {} counts up, {N} names N. Throws on a brace
// that is not a placeholder, as fmt would.
std::set<int> placeholders(std::string_view s) {
  std::set<int> used;
  int next = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '{') {
      if (i + 1 < s.size() && s[i + 1] == '{') {
        ++i;
        continue;
      }
      size_t end = s.find('}', i);
      REQUIRE(end != std::string_view::npos);
      std::string_view inside = s.substr(i + 1, end - i - 1);
      inside = inside.substr(0, inside.find(':'));
      used.insert(inside.empty() ? next++ : std::stoi(std::string(inside)));
      i = end;
    } else if (s[i] == '}') {
      REQUIRE((i + 1 < s.size() && s[i + 1] == '}'));
      ++i;
    }
  }
  return used;
}

bool has_cjk(std::string_view s) {
  for (unsigned char c : s)
    if (c >= 0xE3 && c <= 0xE9) return true;  // lead bytes of U+3000..U+9FFF
  return false;
}

}  // namespace

TEST_CASE("every message has a Chinese and an English form taking the same arguments") {
  std::set<std::string> ids;
  REQUIRE(rb::message_catalogue().size() == static_cast<size_t>(rb::Msg::count_));
  for (const auto& m : rb::message_catalogue()) {
    INFO(m.id);
    CHECK(ids.insert(m.id).second);
    REQUIRE(std::string_view(m.zh).size() > 0);
    REQUIRE(std::string_view(m.en).size() > 0);
    CHECK(placeholders(m.zh) == placeholders(m.en));
    // The Chinese form is Chinese (unless it is only a placeholder or punctuation).
    std::string letters;
    for (char c : std::string_view(m.zh))
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) letters += c;
    if (!letters.empty()) CHECK(has_cjk(m.zh));
    // Both forms format with arguments put in.
    fmt::dynamic_format_arg_store<fmt::format_context> args;
    for (int i = 0; i < 12; ++i) args.push_back(std::string("x"));
    CHECK_NOTHROW(fmt::vformat(m.zh, args));
    CHECK_NOTHROW(fmt::vformat(m.en, args));
  }
}

TEST_CASE("the language comes from --lang or the environment, Chinese by default") {
  CHECK(rb::parse_language("zh") == rb::Lang::Zh);
  CHECK(rb::parse_language("zh_CN.UTF-8") == rb::Lang::Zh);
  CHECK(rb::parse_language("en_US.UTF-8") == rb::Lang::En);
  CHECK(rb::parse_language("EN") == rb::Lang::En);
  CHECK_FALSE(rb::parse_language("C.UTF-8").has_value());
  CHECK_FALSE(rb::parse_language("eng").has_value());
  const auto before = rb::language();
  rb::set_language(rb::Lang::En);
  CHECK(std::string(rb::text(rb::Msg::severity_error)) == "error");
  rb::set_language(rb::Lang::Zh);
  CHECK(std::string(rb::text(rb::Msg::severity_error)) == "错误");
  CHECK(rb::tr(rb::Msg::error_count_many, 3) == "共 3 个错误");
  rb::set_language(before);
}

TEST_CASE("libxlsxwriter's failures are told in the chosen language") {
  const auto before = rb::language();
  // 2: LXW_ERROR_CREATING_XLSX_FILE, 3: LXW_ERROR_CREATING_TMPFILE (libxlsxwriter's enum).
  rb::set_language(rb::Lang::Zh);
  CHECK(rb::xlsx_error_text(2).find("无法创建文件") == 0);
  CHECK(rb::xlsx_error_text(3).find("临时文件") != std::string::npos);
  CHECK(rb::xlsx_error_text(2).find("Error") == std::string::npos);
  // A status without a message of its own keeps the library's text after ours.
  CHECK(rb::xlsx_error_text(11).find("写入工作簿时出错（libxlsxwriter 错误 11：") == 0);
  rb::set_language(rb::Lang::En);
  CHECK(rb::xlsx_error_text(2).find("cannot create the file") == 0);
  rb::set_language(before);
}
