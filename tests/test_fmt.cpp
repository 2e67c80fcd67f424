// Tests of the formatter (`rulebook fmt`): every rulebook in the repository formats to text
// that parses to the same AST, formatting is idempotent and keeps every comment, a messy
// input comes out exactly in the canonical layout, and a broken file is never formatted.
#include <fmt/format.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

#include "../compiler/formatter.hpp"
#include "../compiler/parser.hpp"
#include "ast_sexpr.hpp"

namespace {

using namespace rb;

std::string file_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Every .rules file of the repository: the rulebooks, the examples and the language tests.
std::vector<std::filesystem::path> repository_rulebooks() {
  std::vector<std::filesystem::path> out;
  for (const char* folder : {"rules", "examples", "tests/lang"}) {
    const std::filesystem::path root = std::filesystem::path(RB_SOURCE_DIR) / folder;
    if (!std::filesystem::exists(root)) continue;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
      if (entry.is_regular_file() && entry.path().extension() == ".rules") out.push_back(entry.path());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

// The AST of a source that must parse, without spans, one declaration per line
// (tests/ast_sexpr.hpp), so that two parses can be compared in one assertion.
std::string ast_of(const std::string& source) {
  Diagnostics diags;
  const auto book = parse_rulebook("test.rules", source, diags);
  std::string reported;
  for (const auto& d : diags.all()) reported += render(d, source);
  INFO(reported);
  REQUIRE(book.has_value());
  return rb::test::show(*book);
}

// ---------------------------------------------------------------------------- helpers

// The comments of a source, in order, without trailing blanks: a '#' outside a quoted
// string runs to the end of the line. Written independently of the formatter's lexer.
std::vector<std::string> comments_of(const std::string& source) {
  std::vector<std::string> out;
  bool quoted = false;
  for (size_t i = 0; i < source.size(); ++i) {
    const char c = source[i];
    if (quoted) {
      if (c == '\\')
        ++i;
      else if (c == '"' || c == '\n')
        quoted = false;
    } else if (c == '"') {
      quoted = true;
    } else if (c == '#') {
      const size_t end = std::min(source.find('\n', i), source.size());
      std::string comment = source.substr(i, end - i);
      while (!comment.empty() && std::string(" \t\r").find(comment.back()) != std::string::npos) comment.pop_back();
      out.push_back(comment);
      i = end;
    }
  }
  return out;
}

// Formats a source that must format.
std::string formatted(const std::string& source, const std::string& path = "test.rules") {
  Diagnostics diags;
  const auto out = format_rulebook(path, source, diags);
  std::string reported;
  for (const auto& d : diags.all()) reported += render(d, source);
  INFO(reported);
  REQUIRE(out.has_value());
  CHECK(diags.all().empty());
  return *out;
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
  return text;
}

// Rewrites the blanks of a source at random, outside strings and comments: every run of
// blanks, and the places beside ',', ':', '(', ')', '{' and '}'. With `lines` false only
// spaces, tabs and ideographic spaces change, so the lines stay as they were; with `lines`
// true, line breaks, blank lines and comments are added as well.
std::string respaced(const std::string& source, std::mt19937& random, bool lines) {
  static const std::vector<std::string> horizontal = {" ", "  ", "\t", "\xE3\x80\x80", " \t  "};
  static const std::vector<std::string> vertical = {" ", "\n", "\n\n\n", "  # 注释 \n", "\t\n  ", " \r\n"};
  const auto pick = [&](const std::vector<std::string>& from) {
    return from[std::uniform_int_distribution<size_t>(0, from.size() - 1)(random)];
  };
  const auto maybe = [&] { return std::uniform_int_distribution<int>(0, 2)(random) == 0; };
  const auto is_blank = [&](size_t i) {
    return source[i] == ' ' || source[i] == '\t' || source[i] == '\n' || source[i] == '\r';
  };
  std::string out;
  for (size_t i = 0; i < source.size();) {
    const char c = source[i];
    if (c == '#') {  // a comment, with the line break that ends it
      const size_t end = std::min(source.find('\n', i), source.size() - 1);
      out += source.substr(i, end + 1 - i);
      i = end + 1;
    } else if (c == '"') {
      size_t end = i + 1;
      while (source[end] != '"') end += source[end] == '\\' ? 2 : 1;
      out += source.substr(i, end + 1 - i);
      i = end + 1;
    } else if (is_blank(i)) {
      size_t end = i;
      while (end < source.size() && is_blank(end)) ++end;
      const auto breaks = std::count(source.begin() + static_cast<std::ptrdiff_t>(i),
                                     source.begin() + static_cast<std::ptrdiff_t>(end), '\n');
      if (lines) {
        out += pick(vertical);
      } else {
        for (long k = 0; k < breaks; ++k) out += (maybe() ? pick(horizontal) : "") + "\n";
        if (breaks == 0 || maybe()) out += pick(horizontal);
      }
      i = end;
    } else {
      const bool punctuation = std::string(",:(){}").find(c) != std::string::npos;
      if (punctuation && maybe()) out += pick(lines ? vertical : horizontal);
      out += c;
      if (punctuation && maybe()) out += pick(lines ? vertical : horizontal);
      ++i;
    }
  }
  return out;
}

}  // namespace

// ------------------------------------------------------------------- the repository

TEST_CASE("every rulebook in the repository formats to the same AST, idempotently, keeping its comments", "[fmt]") {
  const auto paths = repository_rulebooks();
  REQUIRE(paths.size() >= 3);
  // The comparison sees what a change of blanks could break: the sign and the date.
  CHECK(ast_of("扣分 c { 条目 a 引用 \"1\" { 1 -1 } }\n") != ast_of("扣分 c { 条目 a 引用 \"1\" { 1 (-1) } }\n"));
  CHECK(ast_of("输出 x = 2022-01-31\n") != ast_of("输出 x = 2022 - 01 - 31\n"));
  for (const auto& path : paths) {
    INFO(path.string());
    const std::string source = file_text(path);
    const std::string once = formatted(source, path.string());
    CHECK(formatted(once, path.string()) == once);
    CHECK(ast_of(once) == ast_of(source));
    CHECK(comments_of(once) == comments_of(source));
  }
}

TEST_CASE("every rulebook in the repository is formatted", "[fmt]") {
  // What `rulebook fmt --check` enforces in CI: run `rulebook fmt` on a file this names.
  for (const auto& path : repository_rulebooks()) {
    INFO(path.string() << " is not in the canonical layout");
    const std::string source = file_text(path);
    CHECK(formatted(source, path.string()) == source);
  }
}

TEST_CASE("the layout depends on the tokens and the lines only, whatever the blanks", "[fmt]") {
  std::mt19937 random(20230101);
  for (const auto& path : repository_rulebooks()) {
    INFO(path.string());
    const std::string source = file_text(path);
    const std::string canonical = formatted(source);
    const std::string tree = ast_of(source);
    for (int round = 0; round < 5; ++round) {
      // Other spaces on the same lines: exactly the same text.
      const std::string spaced = respaced(source, random, false);
      INFO(spaced);
      CHECK(formatted(spaced) == canonical);
      // Other lines and more comments: the same AST and comments, idempotent.
      const std::string broken_up = respaced(source, random, true);
      INFO(broken_up);
      const std::string once = formatted(broken_up);
      CHECK(formatted(once) == once);
      CHECK(ast_of(once) == tree);
      CHECK(comments_of(once) == comments_of(broken_up));
    }
  }
}

// ------------------------------------------------------------------------- the layout

TEST_CASE("a messy rulebook comes out in the canonical layout", "[fmt]") {
  // <TAB>, <CR> and <SP> (the ideographic space U+3000) stand for blanks that are hard to
  // see in a raw string.
  const std::string messy = replace_all(replace_all(replace_all(R"RB(

   # 示例考核 (messy)
考核    "示例"<CR>
考核期<SP>2023-01-01   至 2023-12-31



基础分 100       # 基础
得分范围 0 至 100 # 范围
参数 每件扣分=2.5
参数   期限 = 2023-01-31   # 期限<TAB>
<TAB>单位 {甲 乙<TAB>丙   "乡镇(街道)"
<TAB>  丁 }
枚举 级别 {province city   county}
表 账号 (平台，名称)->单位{
微信 甲号->甲
      抖音订阅号 乙的号 -> 乙,丙   # 两个单位
  # 注释行

 微信    丙号 ->丙
}
事件 late{unit:单位}
事件 notice { unit：单位 level : 级别 }<SP>
事件 weekly_score {
 号 : 账号(platform ,account)
     score:数值
  # 平均分
  avg:   数值 可选
 唯一(号,date) }


# 扣分类
扣分 迟延 上限 10{
条目 迟延扣分 引用 "C1"{每件 late 扣 每件扣分}
    条目 通报 引用 "C2  #不是注释" 自 2023-03-01 {
  每条 notice 其中 level 属于{province city} 扣 按 level {province:5 city:3 其他 : 0}   # 按级别
       # 注释在 } 前
      }
  条目 周 引用 "C3" {   # 开括号后的注释
      若 条数 weekly_score>3 且 非(条数 late=0)
      则 最大( 1 ,2 )
   # 否则
        否则 -1
  }
    适用 单位 属于 账号 否则取平均
}
输出 折算 = 得分*2/ 100   # 折算
输出 上限分 = 最小(得分,
   - 折算 +100)
# 文件末尾的注释   )RB",
                                                                "<TAB>", "\t"),
                                                    "<CR>", "\r"),
                                        "<SP>", "\xE3\x80\x80");

  const std::string canonical = R"RB(# 示例考核 (messy)
考核 "示例"
考核期 2023-01-01 至 2023-12-31

基础分 100         # 基础
得分范围 0 至 100  # 范围
参数 每件扣分 = 2.5
参数 期限 = 2023-01-31  # 期限
单位 { 甲  乙  丙  "乡镇(街道)"
       丁 }
枚举 级别 { province  city  county }
表 账号 (平台, 名称) -> 单位 {
  微信        甲号    -> 甲
  抖音订阅号  乙的号  -> 乙, 丙  # 两个单位
  # 注释行

  微信        丙号    -> 丙
}
事件 late         { unit: 单位 }
事件 notice       { unit: 单位  level: 级别 }
事件 weekly_score {
  号:    账号(platform, account)
  score: 数值
  # 平均分
  avg:   数值 可选
  唯一 (号, date) }

# 扣分类
扣分 迟延 上限 10 {
  条目 迟延扣分 引用 "C1" { 每件 late 扣 每件扣分 }
  条目 通报 引用 "C2  #不是注释" 自 2023-03-01 {
    每条 notice 其中 level 属于 { province  city } 扣 按 level { province: 5  city: 3  其他: 0 }  # 按级别
    # 注释在 } 前
  }
  条目 周 引用 "C3" {  # 开括号后的注释
    若 条数 weekly_score > 3 且 非 (条数 late = 0)
    则 最大(1, 2)
    # 否则
    否则 -1
  }
  适用 单位 属于 账号 否则取平均
}
输出 折算 = 得分 * 2 / 100  # 折算
输出 上限分 = 最小(得分,
                   -折算 + 100)
# 文件末尾的注释
)RB";

  const std::string once = formatted(messy);
  CHECK(once == canonical);
  CHECK(formatted(once) == once);
  CHECK(ast_of(once) == ast_of(messy));

  SECTION("every comment is kept, with its text, in its place") {
    const auto comments = comments_of(messy);
    CHECK(comments.size() == 14);
    CHECK(comments_of(once) == comments);
    // A trailing comment stays on the line of its code.
    CHECK(once.find("-> 乙, 丙  # 两个单位\n") != std::string::npos);
    CHECK(once.find("{  # 开括号后的注释\n") != std::string::npos);
  }
}

TEST_CASE("spacing around operators, signs, calls and lists", "[fmt]") {
  CHECK(formatted("输出 x=-1+最大( 2 ,- 3)*( 4-5 )/--6\n") == "输出 x = -1 + 最大(2, -3) * (4 - 5) / --6\n");
  // A month without its leading zero is a subtraction, not a date; the layout shows it.
  CHECK(formatted("记录 s = late 其中 日期<=2023-1-31 其中 日期>=2023-01-31\n") ==
        "记录 s = late 其中 日期 <= 2023 - 1 - 31 其中 日期 >= 2023-01-31\n");
  CHECK(formatted("记录 s = a 其中 x≤1 且 y ≠ 2\n") == "记录 s = a 其中 x ≤ 1 且 y ≠ 2\n");
  CHECK(formatted("记录 s = a 其中 method 不属于{ 短视频 ,\"图文 专题\"  长图 }\n") ==
        "记录 s = a 其中 method 不属于 { 短视频, \"图文 专题\"  长图 }\n");
  CHECK(formatted("单位 {}\n单位组 g {  }\n") == "单位 { }\n单位组 g { }\n");
  CHECK(formatted("表 t (a) -> 单位 { x -> 甲 y -> 乙 , 丙 }\n") == "表 t (a) -> 单位 { x -> 甲  y -> 乙, 丙 }\n");
  CHECK(formatted("表 t (a) -> 单位 来自   \"t.csv\"\n") == "表 t (a) -> 单位 来自 \"t.csv\"\n");
  CHECK(formatted("扣分 c 上限 5 { 条目 a 引用 \"1\" { 1 2 适用 有 x 否则取平均 } 条目 b 引用 \"2\" { 3 } }\n") ==
        "扣分 c 上限 5 { 条目 a 引用 \"1\" { 1  2  适用 有 x 否则取平均 }  条目 b 引用 \"2\" { 3 } }\n");
  CHECK(formatted("输出 y = 排名 条数 w 从高到低 并列密集 不排 -1 {1:3 2:2}\n") ==
        "输出 y = 排名 条数 w 从高到低 并列密集 不排 -1 { 1: 3  2: 2 }\n");
  CHECK(formatted("输出 y = 每个不同 id 取最高 {a 其中 k = \"x\" :1 b:2}\n") ==
        "输出 y = 每个不同 id 取最高 { a 其中 k = \"x\": 1  b: 2 }\n");
}

TEST_CASE("indentation follows the brackets; a bracket with text after it starts a hanging list", "[fmt]") {
  CHECK(formatted("扣分 c 上限 5 {\n分组 g {\n条目 a 引用 \"1\" {\n1\n}\n}\n}\n") ==
        "扣分 c 上限 5 {\n  分组 g {\n    条目 a 引用 \"1\" {\n      1\n    }\n  }\n}\n");
  CHECK(formatted("单位 { 甲\n乙\n}\n") == "单位 { 甲\n       乙\n     }\n");
  CHECK(formatted("输出 y = (1 +\n2) * 最大(3,\n4)\n") ==
        "输出 y = (1 +\n          2) * 最大(3,\n                    4)\n");
  // A continued declaration keeps the depth of its brackets.
  CHECK(formatted("记录 s = a\n   其中 x > 1\n") == "记录 s = a\n其中 x > 1\n");
}

TEST_CASE("alignment: table columns, event heads and field lines, trailing comments", "[fmt]") {
  SECTION("a table's key columns and arrows; rows sharing a line are left as they are") {
    CHECK(formatted("表 t (a, b) -> 单位 {\n微信 号 -> 甲\n抖音号 长名字的号 -> 乙 x y -> 丙\n}\n") ==
          "表 t (a, b) -> 单位 {\n  微信    号          -> 甲\n  抖音号  长名字的号  -> 乙  x y -> 丙\n}\n");
  }
  SECTION("event heads align in a run that a blank line or another declaration ends") {
    CHECK(
        formatted("事件 a { unit: 单位 }\n# c\n事件 bbb { unit: 单位 }\n\n事件 cc { unit: 单位 }\n事件 d { unit: 单位 "
                  "}\n参数 p = 1\n事件 eeeeee { unit: 单位 }\n") ==
        "事件 a   { unit: 单位 }\n# c\n事件 bbb { unit: 单位 }\n\n事件 cc { unit: 单位 }\n事件 d  { unit: 单位 }\n"
        "参数 p = 1\n事件 eeeeee { unit: 单位 }\n");
  }
  SECTION("field lines align their types; CJK names count two columns") {
    CHECK(formatted("事件 e {\nunit: 单位\n账号: t(a, b)\nlevel: 级别 可选\n\nx: 文本\nyy: 文本\n}\n") ==
          "事件 e {\n  unit:  单位\n  账号:  t(a, b)\n  level: 级别 可选\n\n  x:  文本\n  yy: 文本\n}\n");
  }
  SECTION("display names: one space after their code, counted in the alignment") {
    CHECK(formatted("枚举 级别 { province   \"省\" city county  \"县\" }\n") ==
          "枚举 级别 { province \"省\"  city  county \"县\" }\n");
    CHECK(formatted("事件 a   \"甲\" { unit: 单位 }\n事件 bbb { unit: 单位 }\n") ==
          "事件 a \"甲\" { unit: 单位 }\n事件 bbb    { unit: 单位 }\n");
    CHECK(formatted("事件 e {\nunit  \"单位\": 单位\nlevel: 级别\n}\n") ==
          "事件 e {\n  unit \"单位\": 单位\n  level:       级别\n}\n");
  }
  SECTION("consecutive trailing comments share a column") {
    CHECK(formatted("参数 a = 1 # a\n参数 bbbb = 22 # b\n参数 c = 3\n参数 d = 4 # d\n") ==
          "参数 a = 1      # a\n参数 bbbb = 22  # b\n参数 c = 3\n参数 d = 4  # d\n");
  }
  SECTION("consecutive items are not aligned") {
    CHECK(formatted("扣分 c 上限 5 {\n条目 a 引用 \"1\" { 1 }\n条目 bbbb 引用 \"22\" { 2 }\n}\n") ==
          "扣分 c 上限 5 {\n  条目 a 引用 \"1\" { 1 }\n  条目 bbbb 引用 \"22\" { 2 }\n}\n");
  }
}

TEST_CASE("blank lines, line ends, the byte order mark and empty files", "[fmt]") {
  CHECK(formatted("\n\n参数 a = 1\r\n\r\n\r\n参数 b = 2   \n\n\n") == "参数 a = 1\n\n参数 b = 2\n");
  CHECK(formatted("\xEF\xBB\xBF参数 a = 1") == "\xEF\xBB\xBF参数 a = 1\n");
  CHECK(formatted("") == "");
  CHECK(formatted("\n \t\n") == "");
  CHECK(formatted("  # 只有注释  \n\n\n#  第二行") == "# 只有注释\n\n#  第二行\n");
  // Comment text is copied as bytes, even when it is not UTF-8.
  CHECK(formatted("参数 a = 1 #\xB2\xE2\xCA\xD4\n") == "参数 a = 1  #\xB2\xE2\xCA\xD4\n");
}

TEST_CASE("a file that does not parse is not formatted", "[fmt]") {
  const std::string broken = "扣分 c 上限 5 {\n  条目 a 引用 \"1\" { 每件 late 扣 }\n}\n";
  Diagnostics diags;
  const auto out = format_rulebook("broken.rules", broken, diags);
  CHECK_FALSE(out.has_value());
  REQUIRE(diags.has_errors());
  const auto& d = diags.all().front();
  CHECK(d.file == "broken.rules");
  CHECK(d.span.line == 2);
  CHECK(d.span.col == 27);
  CHECK(d.message == "expected an amount (a number or an expression)");
  CHECK_THAT(render(d, broken), Catch::StartsWith("broken.rules:2:27: error: "));

  Diagnostics more;
  CHECK_FALSE(format_rulebook("bad.rules", "参数 a = 1\n参数 b = \"x\n", more).has_value());
  CHECK(more.has_errors());
}
