// The compiler's messages in both languages, and the messages that say what to do
// (issue 9, point 3): each case here failed before its message was written.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "compiler/compiler.hpp"
#include "compiler/parser.hpp"
#include "runtime/messages.hpp"

namespace fs = std::filesystem;
using namespace rb;

namespace {

// Sets the language for one test and puts the previous one back.
struct InLanguage {
  explicit InLanguage(Lang lang) : before(language()) { set_language(lang); }
  ~InLanguage() { set_language(before); }
  InLanguage(const InLanguage&) = delete;
  InLanguage& operator=(const InLanguage&) = delete;
  Lang before;
};

// Compiles a rulebook given as text; returns what was reported.
std::vector<Diagnostic> diagnostics_of(const std::string& source) {
  Diagnostics diags;
  if (auto book = parse_rulebook("t.rules", source, diags)) (void)compile(*book, ".", diags);
  return diags.all();
}

// Everything reported, rendered as the CLI prints it (for the failure message).
std::string rendered(const std::vector<Diagnostic>& ds, const std::string& source) {
  std::string out;
  for (const auto& d : ds) out += render(d, source);
  return out;
}

// The one diagnostic on `line` (or fails).
const Diagnostic& on_line(const std::vector<Diagnostic>& ds, uint32_t line) {
  const Diagnostic* found = nullptr;
  for (const auto& d : ds)
    if (d.span.line == line) found = found ? found : &d;
  REQUIRE(found != nullptr);
  return *found;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// The hint expected on a line, in English and in Chinese (empty: not checked).
struct Hint {
  uint32_t line;
  std::string en, zh;
};

void check_hints(const std::string& source, const std::vector<Hint>& hints) {
  for (Lang lang : {Lang::En, Lang::Zh}) {
    InLanguage in(lang);
    const auto ds = diagnostics_of(source);
    INFO(rendered(ds, source));
    for (const auto& h : hints) {
      const std::string& want = lang == Lang::En ? h.en : h.zh;
      if (!want.empty()) CHECK(on_line(ds, h.line).hint == want);
    }
  }
}

const std::string kHead =
    "考核 \"t\"\n"                              // 1
    "考核期 2022-01-01 至 2022-12-31\n";        // 2

}  // namespace

TEST_CASE("a misspelt unit is reported once, at its declaration", "[messages][units]") {
  const std::string source = kHead +
                             "单位 { 县教肓局 县财政局 }\n"                                         // 3
                             "别名 教育局 = 县教育局\n"                                              // 4
                             "表 领域 (名称) -> 单位 { 教育 -> 县教育局  财政 -> 县财政局 }\n"    // 5
                             "事件 e { unit: 单位 }\n"                                               // 6
                             "扣分 A 上限 10 { 条目 x 引用 \"1\" { 每条 e 扣 1 } }\n";              // 7
  for (Lang lang : {Lang::En, Lang::Zh}) {
    InLanguage in(lang);
    const auto ds = diagnostics_of(source);
    INFO(rendered(ds, source));
    REQUIRE(ds.size() == 1);
    CHECK(ds[0].span.line == 3);
    CHECK(ds[0].span.col == 6);
    CHECK(ds[0].span.length == std::string("县教肓局").size());
    if (lang == Lang::En) {
      CHECK(ds[0].message == "县教肓局 is declared but never used; did you mean 县教育局, used on lines 4, 5?");
      CHECK(ds[0].hint == "if the unit is called 县教育局, write 县教育局 instead of 县教肓局 in the unit list");
    } else {
      CHECK(ds[0].message == "单位 县教肓局 已声明，但规则书里别处从未用到它；是不是应写作 县教育局？第 4、5 行用的是 县教育局");
      CHECK(ds[0].hint == "如果单位名称是 县教育局，请在 单位 列表里把 县教肓局 改为 县教育局");
    }
  }
}

TEST_CASE("an unknown unit near a unit that is used elsewhere is reported where it is used", "[messages][units]") {
  const std::string source = kHead +
                             "单位 { 县教育局 县财政局 }\n"                                          // 3
                             "表 领域 (名称) -> 单位 { 教育 -> 县教育局  财政 -> 县教育厅 }\n"    // 4
                             "事件 e { unit: 单位 }\n"                                               // 5
                             "扣分 A 上限 10 { 条目 x 引用 \"1\" { 每条 e 扣 1 } }\n";              // 6
  const auto ds = diagnostics_of(source);
  INFO(rendered(ds, source));
  REQUIRE(ds.size() == 1);
  CHECK(ds[0].span.line == 4);
  CHECK(ds[0].message == "unknown unit 县教育厅");
  CHECK(ds[0].hint == "did you mean 县教育局?");
}

TEST_CASE("a misspelt keyword suggests the keyword", "[messages][keywords]") {
  const std::string source = kHead +
                             "单位 { 甲 乙 }\n"                                   // 3
                             "事件 e { unit: 单位 }\n"                            // 4
                             "扣分 A 上线 10 {\n"                                 // 5
                             "  条目 x 引用 \"1\" { 每条 e 扣 1 }\n"              // 6
                             "}\n"                                                 // 7
                             "扣分 B 上限 10 {\n"                                 // 8
                             "  条木 y 引用 \"1\" { 每条 e 扣 1 }\n"              // 9
                             "}\n"                                                 // 10
                             "加分 C 上限 5 {\n"                                  // 11
                             "  条目 z 引用 \"1\" 上线 2 { 每条 e 加 1 }\n"       // 12
                             "}\n";                                                // 13
  check_hints(source, {{5, "did you mean 上限?", "是不是想写 上限？"},
                       {9, "did you mean 条目?", "是不是想写 条目？"},
                       {12, "did you mean 上限?", "是不是想写 上限？"}});
}

TEST_CASE("a keyword run into what follows gets the space, not the keyword alone", "[messages][keywords]") {
  // `did you mean 则?` would have the 1 dropped.
  const std::string source = kHead + "参数 a = 1\n输出 y = 若 a 则1 否则 2\n";  // 4
  check_hints(source, {{4, "the keyword 则 runs into 1 and reads as one name; put a space after it: 则 1",
                        "关键字 则 和后面的 1 连在一起，被读成了一个名称；请在 则 后面加一个空格：则 1"}});
}

TEST_CASE("a missing } names the block left open and the line it opened on", "[messages][braces]") {
  const std::string source = kHead +
                             "单位 { 甲 乙 }\n"                                   // 3
                             "事件 e { unit: 单位 }\n"                            // 4
                             "扣分 A 上限 10 {\n"                                 // 5
                             "  条目 x 引用 \"1\" {\n"                            // 6
                             "    每条 e 扣 1\n"                                  // 7
                             "  条目 y 引用 \"2\" { 每条 e 扣 1 }\n"              // 8
                             "}\n";                                                // 9
  {
    InLanguage in(Lang::En);
    const auto ds = diagnostics_of(source);
    INFO(rendered(ds, source));
    CHECK(on_line(ds, 8).message ==
          "expected '}' to close the item body (适用 ... 否则取平均 must come last) (the '{' on line 6 is still open)");
  }
  {
    InLanguage in(Lang::Zh);
    const auto ds = diagnostics_of(source);
    CHECK(on_line(ds, 8).message == "缺少 '}' 来结束条目（适用 … 否则取平均 要放在最后）（第 6 行的 '{' 还没有对应的 '}'）");
  }
  // A list left open: the next declaration's keyword is where it shows.
  const std::string list = kHead +
                           "单位 { 甲 乙\n"                                      // 3
                           "事件 e { unit: 单位 }\n";                            // 4
  InLanguage in(Lang::En);
  const auto ds = diagnostics_of(list);
  INFO(rendered(ds, list));
  CHECK(on_line(ds, 4).hint ==
        "the '{' on line 3 is still open: close it with '}' before 事件; to use 事件 as a name, write \"事件\"");
}

TEST_CASE("full-width characters, 分 and % after a number get the exact fix", "[messages][fullwidth]") {
  const std::string source = kHead +
                             "单位 { 甲 乙 }\n"                                          // 3
                             "事件 e { unit: 单位 }\n"                                   // 4
                             "扣分 A 上限 10 ｛\n"                                       // 5
                             "}\n"                                                        // 6
                             "扣分 B 上限 10 { 条目 y 引用 \"1\" { 每条 e 扣 5分 } }\n"  // 7
                             "扣分 C 上限 10 { 条目 z 引用 \"1\" { 最大（1, 2） } }\n"   // 8
                             "扣分 D 上限 10 { 条目 w 引用 \"1\" { 若 条数 e > 95% 则 1 否则 0 } }\n";  // 9
  check_hints(source,
              {{5, "｛ is a full-width character; write the half-width { instead (switch the input method to half-width)",
                "｛ 是全角字符；请改用半角的 {（把输入法切换到英文标点或半角）"},
               {7, "amounts are in points already: write 5 without 分", "分值本身就以分计，不用写 分：直接写 5"},
               {8, "（ is a full-width character; write the half-width ( instead (switch the input method to half-width)",
                "（ 是全角字符；请改用半角的 (（把输入法切换到英文标点或半角）"},
               {9, "a rulebook does not write percentages with %: write 95% as 0.95 for a share (条数 a / 条数 b), or as 95 "
                   "for a value already times 100",
                "规则书里不用 % 表示百分比：如果比较的是比例（如 条数 a / 条数 b），95% 写成 0.95；如果已经乘过 100，写成 95"}});
}

TEST_CASE("a full-width digit read as a name gets the half-width number", "[messages][fullwidth]") {
  const std::string source = kHead +
                             "单位 { 甲 乙 }\n"                                     // 3
                             "事件 e { unit: 单位 }\n"                              // 4
                             "扣分 A 上限 10 { 条目 x 引用 \"1\" { 每条 e 扣 ５ } }\n";  // 5
  InLanguage in(Lang::En);
  const auto ds = diagnostics_of(source);
  INFO(rendered(ds, source));
  REQUIRE(ds.size() == 1);
  CHECK(ds[0].hint == "５ is a full-width character; write the half-width 5 instead (switch the input method to half-width)");
}

TEST_CASE("a filter that swallows the rest of an expression suggests the brackets", "[messages][filters]") {
  const std::string source = kHead +
                             "单位 { 甲 乙 }\n"                                     // 3
                             "事件 e { unit: 单位  f: 数值 }\n"                     // 4
                             "扣分 A 上限 10 {\n"                                   // 5
                             "  条目 x 引用 \"1\" { 条数 e 其中 f = 0 / 条数 e 分母为零时 0 }\n"  // 6
                             "}\n";
  for (Lang lang : {Lang::En, Lang::Zh}) {
    InLanguage in(lang);
    const auto ds = diagnostics_of(source);
    INFO(rendered(ds, source));
    REQUIRE(ds.size() == 1);
    CHECK(ds[0].span.line == 6);
    CHECK(contains(ds[0].hint, "(条数 e 其中 f = 0) / 条数 e"));
    CHECK(contains(ds[0].message, lang == Lang::En ? "runs to the end of the expression" : "一直延续到表达式末尾"));
  }
  // The bracketed form the hint gives compiles.
  const std::string fixed = kHead + "单位 { 甲 乙 }\n事件 e { unit: 单位  f: 数值 }\n扣分 A 上限 100 {\n"
                            "  条目 x 引用 \"1\" { (条数 e 其中 f = 0) / 条数 e 分母为零时 0 }\n}\n";
  const auto ok = diagnostics_of(fixed);
  INFO(rendered(ok, fixed));
  CHECK(ok.empty());
}

TEST_CASE("自 or 至 with a date in the unit list points to 设立 and 撤销, not to quoting", "[messages][units]") {
  const std::string source = kHead + "单位 { 甲 乙 丙区 自 2023-04-01 }\n";
  {
    InLanguage in(Lang::En);
    const auto ds = diagnostics_of(source);
    INFO(rendered(ds, source));
    REQUIRE(!ds.empty());
    CHECK(ds[0].span.line == 3);
    CHECK(ds[0].hint ==
          "a unit's set-up date is declared on a line of its own, outside the 单位 block: 设立 丙区 2023-04-01");
    CHECK_FALSE(contains(ds[0].hint, "\"自\""));
  }
  InLanguage in(Lang::Zh);
  const auto ds = diagnostics_of(source);
  REQUIRE(!ds.empty());
  CHECK(ds[0].hint == "单位的设立日期要在 单位 块之外另起一行写：设立 丙区 2023-04-01");
  // Following the hint gives a rulebook that compiles (and means what was written).
  const std::string fixed = kHead + "单位 { 甲 乙 丙区 }\n设立 丙区 2022-04-01\n事件 e { unit: 单位 }\n"
                            "扣分 A 上限 100 { 条目 x 引用 \"1\" { 每条 e 扣 1 } }\n";
  const auto ok = diagnostics_of(fixed);
  INFO(rendered(ok, fixed));
  CHECK(ok.empty());
}

TEST_CASE("a directory or a missing file given as the rulebook gets one clear line", "[messages][files]") {
  const fs::path dir = fs::temp_directory_path() / "rulebook_messages_dir";
  fs::create_directories(dir);
  for (Lang lang : {Lang::En, Lang::Zh}) {
    InLanguage in(lang);
    Diagnostics diags;
    CHECK_FALSE(compile_file(dir.string(), diags).has_value());
    REQUIRE(diags.all().size() == 1);
    const auto& d = diags.all()[0];
    CHECK(render(d, "") == dir.string() + (lang == Lang::En ? ": error: this is a folder, not a rulebook file\n"
                                                                 "  hint: give the rulebook file (a .rules file) inside it, "
                                                                 "such as rules/yunhe-2022.rules\n"
                                                               : ": 错误: 这是一个文件夹，不是规则书文件\n"
                                                                 "  提示: 请给出文件夹里的规则书文件（.rules 文件），"
                                                                 "如 rules/yunhe-2022.rules\n"));
    Diagnostics missing;
    CHECK_FALSE(compile_file((dir / "nothing.rules").string(), missing).has_value());
    REQUIRE(missing.all().size() == 1);
    CHECK(render(missing.all()[0], "") ==
          (dir / "nothing.rules").string() +
              (lang == Lang::En ? ": error: no such rulebook file; check the file's name and folder\n"
                                : ": 错误: 找不到这个规则书文件；请检查文件名和所在文件夹\n"));
  }
  fs::remove_all(dir);
}

TEST_CASE("diagnostics in Chinese: a syntax error and an unknown name", "[messages]") {
  const std::string source = kHead +
                             "单位 { 甲 乙 }\n"                                       // 3
                             "事件 e { unit: 单位 }\n"                                // 4
                             "扣分 A 上限 10 { 条目 x 引用 \"1\" { 每条 ee 扣 1 } }\n"  // 5
                             "输出 y = 1 +\n";                                        // 6
  InLanguage in(Lang::Zh);
  {
    const auto ds = diagnostics_of(source);
    INFO(rendered(ds, source));
    REQUIRE(ds.size() == 1);
    CHECK(render(ds[0], source) ==
          "t.rules:6:11: 错误: '+' 或 '-' 后面应写一个值\n"
          "  输出 y = 1 +\n"
          "              ^\n");
  }
  const std::string fixed = source.substr(0, source.rfind("输出"));
  const auto ds = diagnostics_of(fixed);
  INFO(rendered(ds, fixed));
  REQUIRE(ds.size() == 1);
  CHECK(render(ds[0], fixed) ==
        "t.rules:5:31: 错误: 没有名为 ee 的事件类型或 记录\n"
        "  扣分 A 上限 10 { 条目 x 引用 \"1\" { 每条 ee 扣 1 } }\n"
        "                                          ^^\n"
        "  提示: 是不是想写 e？\n");
}

TEST_CASE("columns count characters, not bytes", "[messages][columns]") {
  // ee is the 31st character of its line (its 45th byte).
  const std::string source = kHead +
                             "单位 { 甲 乙 }\n"
                             "事件 e { unit: 单位 }\n"
                             "扣分 A 上限 10 { 条目 x 引用 \"1\" { 每条 ee 扣 1 } }\n";
  const auto ds = diagnostics_of(source);
  REQUIRE(ds.size() == 1);
  CHECK(ds[0].span.col == 31);
  CHECK(end_column(ds[0], source) == 33);
  // A byte order mark is not a character an editor shows.
  const auto bom = diagnostics_of("\xEF\xBB\xBF" "考核 1\n");
  REQUIRE(!bom.empty());
  CHECK(bom[0].span.col == 4);
}
