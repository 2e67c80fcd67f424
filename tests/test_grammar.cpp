// Tests of the grammar and the parser: the real rulebook parses into the expected AST,
// every construct has the expected shape and span, and bad input yields precise errors
// (all of them, at the right place) without crashing.
#include <fmt/format.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <tao/pegtl/contrib/analyze.hpp>
#include <variant>
#include <vector>

#include "../compiler/parser.hpp"
#include "../grammar/rulebook_grammar.hpp"
#include "ast_sexpr.hpp"

namespace {

using namespace rb;

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The AST as S-expressions (tests/ast_sexpr.hpp): `1 + 2 * 3` is "(+ 1 (* 2 3))".
using rb::test::show;

// ------------------------------------------------------------------------- helpers

// Parses text that must be free of errors; the failure message lists what was reported.
ast::Rulebook parse_ok(const std::string& source) {
  Diagnostics diags;
  auto book = parse_rulebook("test.rules", source, diags);
  std::string reported;
  for (const auto& d : diags.all()) reported += render(d, source);
  INFO(reported);
  REQUIRE(diags.all().empty());
  REQUIRE(book.has_value());
  return std::move(*book);
}

// Parses text that must fail and returns what was reported.
std::vector<Diagnostic> parse_errors(const std::string& source) {
  Diagnostics diags;
  auto book = parse_rulebook("test.rules", source, diags);
  CHECK_FALSE(book.has_value());
  REQUIRE(diags.has_errors());
  return diags.all();
}

template <typename T>
std::vector<const T*> all_of(const ast::Rulebook& book) {
  std::vector<const T*> out;
  for (const auto& d : book.declarations) {
    if (const auto* x = std::get_if<T>(&d)) out.push_back(x);
  }
  return out;
}

// The S-expression of `text` parsed as the value of an 输出 declaration.
std::string expr_of(const std::string& text) {
  const ast::Rulebook book = parse_ok("输出 x = " + text + "\n");
  REQUIRE(book.declarations.size() == 1);
  return show(std::get<ast::Output>(book.declarations[0]).value);
}

// The first line of a rendered diagnostic: "file:line:col: error: message".
std::string headline(const Diagnostic& d) {
  return fmt::format("{}:{}:{}: {}", d.file, d.span.line, d.span.col, d.message);
}

const ast::Category& category_named(const ast::Rulebook& book, const std::string& name) {
  const ast::Category* found = nullptr;
  for (const auto* c : all_of<ast::Category>(book)) {
    if (c->name.text == name) found = c;
  }
  INFO("category " << name);
  REQUIRE(found != nullptr);
  return *found;
}

const ast::Item& item_at(const ast::Member& m) { return std::get<ast::Item>(m); }
const ast::Group& group_at(const ast::Member& m) { return *std::get<std::unique_ptr<ast::Group>>(m); }

}  // namespace

// ------------------------------------------------------------------------ the grammar

TEST_CASE("the grammar has no rule that can loop without consuming input", "[grammar]") {
  CHECK(tao::pegtl::analyze<rb::grammar::rulebook>() == 0);
}

TEST_CASE("the whole-file rule accepts the real rulebook and rejects junk", "[grammar]") {
  const std::string source = read_file(std::string(RB_SOURCE_DIR) + "/rules/yunhe-2022.rules");
  REQUIRE_FALSE(source.empty());
  tao::pegtl::memory_input in(source, "yunhe-2022.rules");
  rb::grammar::nesting nesting;
  CHECK(tao::pegtl::parse<rb::grammar::rulebook, tao::pegtl::nothing, rb::grammar::control>(in, nesting));

  tao::pegtl::memory_input junk("参数 a = 1\n}}}\n", "junk");
  CHECK_THROWS_AS((tao::pegtl::parse<rb::grammar::rulebook, tao::pegtl::nothing, rb::grammar::control>(junk, nesting)),
                  tao::pegtl::parse_error);
}

// ------------------------------------------------------------------ the real rulebook

TEST_CASE("yunhe-2022.rules parses into the expected declarations", "[parser][yunhe]") {
  const std::string path = std::string(RB_SOURCE_DIR) + "/rules/yunhe-2022.rules";
  const std::string source = read_file(path);
  Diagnostics diags;
  const auto book = parse_rulebook(path, source, diags);
  REQUIRE(diags.all().empty());
  REQUIRE(book.has_value());
  CHECK(book->path == path);
  CHECK(book->source == source);

  SECTION("header") {
    REQUIRE(all_of<ast::Title>(*book).size() == 1);
    CHECK(all_of<ast::Title>(*book)[0]->text == "2022年云和县政务公开工作考核");
    REQUIRE(all_of<ast::Period>(*book).size() == 1);
    const auto& period = *all_of<ast::Period>(*book)[0];
    CHECK((period.from.year == 2022 && period.from.month == 1 && period.from.day == 1));
    CHECK((period.to.year == 2022 && period.to.month == 12 && period.to.day == 31));
    CHECK(show(all_of<ast::BaseScore>(*book).at(0)->value) == "100");
    const auto& range = *all_of<ast::ScoreRange>(*book).at(0);
    CHECK(show(range.low) == "0");
    CHECK(show(range.high) == "100");
    const auto params = all_of<ast::Param>(*book);
    REQUIRE_FALSE(params.empty());
    CHECK(params[0]->name.text == "折算分值");
    CHECK(show(params[0]->value) == "100");
    const auto& deadline = *all_of<ast::Param>(*book).at(1);
    CHECK(deadline.name.text == "年报期限");
    CHECK(std::holds_alternative<ast::DateLit>(deadline.value->node));
    CHECK(show(all_of<ast::Output>(*book).at(0)->value) == "(/ (* 得分 折算分值) 100)");
  }

  SECTION("units, groups, aliases and enums") {
    const auto& units = *all_of<ast::Units>(*book).at(0);
    CHECK(units.names.size() == 33);
    CHECK(units.names.front().text == "县发改局");
    CHECK(units.names.back().text == "县电力公司");
    const auto& group = *all_of<ast::UnitGroup>(*book).at(0);
    CHECK(group.name.text == "乡镇(街道)");
    CHECK(group.members.size() == 10);
    const auto& alias = *all_of<ast::Alias>(*book).at(0);
    CHECK(alias.alias.text == "县行政复议局");
    CHECK(alias.target.text == "县司法局");
    const auto enums = all_of<ast::Enum>(*book);
    REQUIRE(enums.size() == 2);
    CHECK(enums[0]->name.text == "通报级别");
    CHECK(enums[0]->members.size() == 3);
    CHECK(enums[1]->members.size() == 2);
  }

  SECTION("tables") {
    const auto tables = all_of<ast::Table>(*book);
    REQUIRE(tables.size() == 2);
    CHECK(tables[0]->name.text == "新媒体账号");
    CHECK(tables[0]->key_columns.size() == 2);
    CHECK(tables[0]->rows.size() == 10);
    CHECK(tables[0]->rows[3].keys.size() == 2);
    CHECK(tables[0]->rows[3].keys[1].text == "云和交警");
    CHECK(tables[0]->rows[3].units.size() == 1);
    CHECK_FALSE(tables[0]->source_file.has_value());
    CHECK(tables[1]->name.text == "重点领域");
    CHECK(tables[1]->key_columns.size() == 1);
    REQUIRE(tables[1]->rows.size() == 26);
    const auto& relief = tables[1]->rows[9];  // 社会救助 -> 县民政局, "乡镇(街道)"
    CHECK(relief.keys.at(0).text == "社会救助");
    REQUIRE(relief.units.size() == 2);
    CHECK(relief.units[1].text == "乡镇(街道)");
    CHECK(tables[1]->rows.back().units.size() == 7);
  }

  SECTION("event types") {
    const auto events = all_of<ast::EventType>(*book);
    REQUIRE(events.size() == 26);
    CHECK(events.front()->name.text == "leak_verified");
    CHECK(events.back()->name.text == "prev_year_eval");
    const ast::EventType* weekly = nullptr;
    const ast::EventType* unfiled = nullptr;
    for (const auto* e : events) {
      if (e->name.text == "nm_weekly_score") weekly = e;
      if (e->name.text == "nm_unfiled") unfiled = e;
    }
    REQUIRE(weekly != nullptr);
    REQUIRE(weekly->fields.size() == 3);
    CHECK(weekly->fields[1].name.text == "score");
    CHECK(weekly->fields[1].type.text == "数值");
    REQUIRE(weekly->unique.size() == 1);
    REQUIRE(weekly->unique[0].size() == 2);
    CHECK(weekly->unique[0][0].text == "账号");
    CHECK(weekly->unique[0][1].text == "date");
    REQUIRE(unfiled != nullptr);
    REQUIRE(unfiled->fields.size() == 1);
    CHECK(unfiled->fields[0].type.text == "新媒体账号");
    REQUIRE(unfiled->fields[0].key_fields.size() == 2);
    CHECK(unfiled->fields[0].key_fields[0].text == "platform");
    CHECK(events.front()->fields.at(0).type.text == "单位");
  }

  SECTION("the named stream with an exclusion") {
    const auto& stream = *all_of<ast::NamedStream>(*book).at(0);
    CHECK(stream.name.text == "网站预警");
    CHECK(show(stream.stream) == "(portal_warning 排除 id interp_unlinked)");
  }

  SECTION("categories and their members") {
    const auto categories = all_of<ast::Category>(*book);
    REQUIRE(categories.size() == 7);
    std::vector<std::string> names;
    for (const auto* c : categories) names.push_back(c->name.text);
    CHECK(names == std::vector<std::string>{"一票否决项", "主动公开", "依申请公开", "平台建设", "监督保障", "工作亮点",
                                            "上一年度第三方评估"});
    CHECK(categories[0]->kind == ast::CategoryKind::Veto);
    CHECK(categories[1]->kind == ast::CategoryKind::Deduction);
    CHECK(categories[5]->kind == ast::CategoryKind::Bonus);
    CHECK(categories[0]->cap == nullptr);
    CHECK(show(categories[1]->cap) == "30");
    CHECK(categories[6]->uncapped);
    CHECK(categories[6]->cap == nullptr);
    CHECK_FALSE(categories[1]->uncapped);

    const std::vector<size_t> member_counts = {4, 3, 3, 2, 3, 3, 1};
    for (size_t i = 0; i < categories.size(); ++i) {
      INFO(categories[i]->name.text);
      CHECK(categories[i]->members.size() == member_counts[i]);
    }
    const auto& platform = category_named(*book, "平台建设");
    CHECK(group_at(platform.members[0]).members.size() == 3);
    CHECK(group_at(platform.members[1]).members.size() == 4);
    CHECK(group_at(platform.members[1]).citation == "附件1 平台建设 2");
  }

  SECTION("item shapes") {
    const auto& proactive = category_named(*book, "主动公开");
    const auto& first = item_at(proactive.members[0]);
    CHECK(first.name.text == "政策解读不规范");
    CHECK(first.citation == "附件1 主动公开 1(1)");
    REQUIRE(first.terms.size() == 1);
    CHECK(show(first.terms[0]) == "(每条 interp_substandard (按 level province:5 city:3 county:0))");
    const auto& key_area = item_at(proactive.members[2]);
    REQUIRE(key_area.substitution.has_value());
    CHECK(show(key_area.substitution->cond) == "(单位属于 重点领域)");

    const auto& application = category_named(*book, "依申请公开");
    CHECK(show(item_at(application.members[2]).terms.at(0)) == "(取最高 id review_filed:5 review_lost:10)");
    REQUIRE(application.substitution.has_value());
    CHECK(show(application.substitution->cond) == "(有 app_case)");

    const auto& platform = category_named(*book, "平台建设");
    const auto& portal = group_at(platform.members[0]);
    CHECK(show(item_at(portal.members[0]).terms.at(0)) ==
          "(排名 (条数 网站预警) 从高到低 并列同名次 不排 0 1:3 2:2 3:1)");
    const auto& media = group_at(platform.members[1]);
    const auto& findings = item_at(media.members[2]);
    REQUIRE(findings.terms.size() == 2);
    CHECK(show(findings.terms[0]) == "(取最高 id nm_finding:1 nm_exposed:2)");
    CHECK(show(findings.terms[1]) == "(间隔 新媒体账号 nm_post 14 1)");
    const auto& weekly = item_at(media.members[3]);
    REQUIRE(weekly.from.has_value());
    CHECK((weekly.from->year == 2022 && weekly.from->month == 8 && weekly.from->day == 1));
    CHECK(source.substr(weekly.from_span.offset, weekly.from_span.length) == "2022-08-01");
    CHECK_FALSE(weekly.until.has_value());
    CHECK(show(weekly.terms.at(0)) == "(连续 新媒体账号 nm_weekly_score 7 2 (< score avg) 2)");
    REQUIRE(media.substitution.has_value());
    CHECK(show(media.substitution->cond) == "(单位属于 新媒体账号)");

    const auto& supervision = category_named(*book, "监督保障");
    // The deadline may be written as a date or as a parameter; the shape is the same.
    const std::string late = show(item_at(supervision.members[0]).terms.at(0));
    CHECK_THAT(late,
               Catch::StartsWith("(若 (无 (annual_report_published 其中 (<= 日期 ") && Catch::EndsWith("))) 5 0)"));
    CHECK(show(item_at(supervision.members[1]).terms.at(0)) == "(每个不同 element annual_report_missing_element 2)");

    const auto& highlights = category_named(*book, "工作亮点");
    CHECK(show(item_at(highlights.members[0]).terms.at(0)) ==
          "(取最高 id (experience_adopted 其中 (= outlet national)):10 experience_adopted:5)");
    CHECK(show(item_at(highlights.members[1]).terms.at(0)) ==
          "(每个不同 method (interp_method 其中 (不属于 method {text graphic audio})) 2)");
    CHECK(show(item_at(highlights.members[2]).terms.at(0)) ==
          "(若 (或 (有 review_filed) (有 review_lost)) 0 (若 (>= (个数 id app_case) 5) 5 2))");

    const auto& previous = category_named(*book, "上一年度第三方评估");
    CHECK(show(item_at(previous.members[0]).terms.at(0)) == "(每条 prev_year_eval points)");
  }

  SECTION("spans point into the source") {
    const auto& previous = category_named(*book, "上一年度第三方评估");
    const auto& term = *item_at(previous.members[0]).terms.at(0);
    CHECK(source.substr(term.span.offset, term.span.length) == "每条 prev_year_eval 扣 points");
    const auto& per_record = std::get<ast::PerRecord>(term.node);
    CHECK(source.substr(per_record.stream.span.offset, per_record.stream.span.length) == "prev_year_eval");
    // The span's line and column agree with its offset.
    const size_t line_start = source.rfind('\n', term.span.offset) + 1;
    CHECK(term.span.col == term.span.offset - line_start + 1);
    CHECK(term.span.line ==
          1 + static_cast<size_t>(std::count(source.begin(), source.begin() + term.span.offset, '\n')));
    const auto& output = *all_of<ast::Output>(*book).at(0);
    CHECK(source.substr(output.span.offset, output.span.length) == "输出 折算分 = 得分 * 折算分值 / 100");
    CHECK(output.span.col == 1);
  }
}

// -------------------------------------------------------------------- expressions

TEST_CASE("operator precedence and associativity", "[parser][expr]") {
  CHECK(expr_of("1 + 2 * 3") == "(+ 1 (* 2 3))");
  CHECK(expr_of("(1 + 2) * 3") == "(* (+ 1 2) 3)");
  CHECK(expr_of("1 - 2 - 3") == "(- (- 1 2) 3)");
  CHECK(expr_of("8 / 4 / 2") == "(/ (/ 8 4) 2)");
  CHECK(expr_of("-a * b") == "(* (- a) b)");
  CHECK(expr_of("- -1") == "(- (- 1))");
  CHECK(expr_of("a 且 b 或 c") == "(或 (且 a b) c)");
  CHECK(expr_of("a 或 b 且 c") == "(或 a (且 b c))");
  CHECK(expr_of("非 a 且 b") == "(且 (非 a) b)");
  CHECK(expr_of("非 a < b") == "(非 (< a b))");
  CHECK(expr_of("a + 1 >= b * 2 且 c != 0") == "(且 (>= (+ a 1) (* b 2)) (!= c 0))");
  CHECK(expr_of("a ≤ 1 或 b ≥ 2 或 c ≠ 3") == "(或 (或 (<= a 1) (>= b 2)) (!= c 3))");
  CHECK(expr_of("x 属于 {a, \"b c\" d}") == "(属于 x {a \"b c\" d})");
  CHECK(expr_of("x 不属于 {}") == "(不属于 x {})");
}

TEST_CASE("expression spans cover their text", "[parser][expr]") {
  const std::string source = "输出 x = 1 + 2 * 3\n";
  const ast::Rulebook book = parse_ok(source);
  const auto& value = *std::get<ast::Output>(book.declarations[0]).value;
  auto text = [&](const ast::Span& s) { return source.substr(s.offset, s.length); };
  CHECK(text(value.span) == "1 + 2 * 3");
  const auto& sum = std::get<ast::Binary>(value.node);
  CHECK(text(sum.lhs->span) == "1");
  CHECK(text(sum.rhs->span) == "2 * 3");
  CHECK(sum.rhs->span.line == 1);
  CHECK(sum.rhs->span.col == 12);  // columns count characters: 输出 is two, not six

  const std::string named = "参数 p = 1\n\n输出 y = (a + 甲乙)\n";
  const ast::Rulebook book2 = parse_ok(named);
  const auto& paren = *std::get<ast::Output>(book2.declarations[1]).value;
  CHECK(named.substr(paren.span.offset, paren.span.length) == "(a + 甲乙)");
  const auto& ref = std::get<ast::NameRef>(std::get<ast::Binary>(paren.node).rhs->node);
  CHECK(ref.name.text == "甲乙");
  CHECK(ref.name.span.line == 3);
  CHECK(ref.name.span.col == 13);
  CHECK(ref.name.span.length == std::string("甲乙").size());
}

TEST_CASE("each primary has its AST shape", "[parser][expr]") {
  CHECK(expr_of("最大(0, a - 1, 2)") == "(最大 0 (- a 1) 2)");
  CHECK(expr_of("最小(a)") == "(最小 a)");
  CHECK(expr_of("单位 不属于 \"乡镇(街道)\"") == "(单位不属于 乡镇(街道))");
  CHECK(expr_of("按 level { province: 5  \"市级\"：3  其他: 1 }") == "(按 level province:5 市级:3 其他:1)");
  CHECK(expr_of("每篇 s 其中 a = 1 其中 b 加 2") == "(每条 (s 其中 (= a 1) 其中 b) 2)");
  CHECK(expr_of("每件 s 排除 同 id 的 t 其中 a 计 1") == "(每条 (s 排除 id t 其中 a) 1)");
  CHECK(expr_of("个数 不同 日期 的 s") == "(个数 日期 s)");
  CHECK(expr_of("无 s 其中 日期 > 2022-03-01") == "(无 (s 其中 (> 日期 2022-03-01)))");
  CHECK(expr_of("排名 得分 从低到高 并列密集 { 1: 5 2: 3 }") == "(排名 得分 从低到高 并列密集 1:5 2:3)");
  CHECK(expr_of("排名 a 从高到低 { 1: -1 }") == "(排名 a 从高到低 1:(- 1))");
  CHECK(expr_of("若 a 则 1 否则 若 b 则 2 否则 3") == "(若 a 1 (若 b 2 3))");
  CHECK(expr_of("\"文本\"") == "\"文本\"");
  CHECK(expr_of("0.25") == "0.25");
}

TEST_CASE("the rank node keeps its tie rule and skip value", "[parser][expr]") {
  const ast::Rulebook book = parse_ok("输出 r = 排名 a 从高到低 { 1: 3 }\n");
  const auto& rank = std::get<ast::Rank>(std::get<ast::Output>(book.declarations[0]).value->node);
  CHECK(rank.descending);
  CHECK_FALSE(rank.tie.has_value());  // The checker reports a missing tie rule.
  CHECK_FALSE(rank.skip_value.has_value());
  REQUIRE(rank.awards.size() == 1);
  CHECK(show(rank.awards[0].rank) == "1");
}

TEST_CASE("keywords only match as whole words", "[parser][lexical]") {
  CHECK(expr_of("有app_case") == "有app_case");
  CHECK(expr_of("有 app_case") == "(有 app_case)");
  CHECK(expr_of("无重点领域") == "无重点领域");
  CHECK(expr_of("每个不同 k 的 s 扣 1") == "(每个不同 k s 1)");
  CHECK(expr_of("每个 t 的 s 间隔 每超 7 天 扣 1") == "(间隔 t s 7 1)");
  // Quoted names may be anything, keywords included.
  const ast::Rulebook book = parse_ok("参数 \"上限\" = 1\n枚举 e { \"扣\" \"a\\\"b\\\\\" }\n");
  CHECK(std::get<ast::Param>(book.declarations[0]).name.text == "上限");
  const auto& members = std::get<ast::Enum>(book.declarations[1]).members;
  REQUIRE(members.size() == 2);
  CHECK(members[0].text == "扣");
  CHECK(members[1].text == "a\"b\\");
}

TEST_CASE("blanks, comments and full-width punctuation", "[parser][lexical]") {
  // An ideographic space (U+3000) separates tokens; full-width ':' and ',' are accepted.
  const ast::Rulebook book = parse_ok(
      "# 注释\n参数\u3000a = 1 # 行尾注释\n"
      "输出 b = 按 level { x：1 }\n"
      "输出 c = 最大(1，2)\n");
  REQUIRE(book.declarations.size() == 3);
  CHECK(std::get<ast::Param>(book.declarations[0]).name.text == "a");
  CHECK(show(std::get<ast::Output>(book.declarations[1]).value) == "(按 level x:1)");
  CHECK(show(std::get<ast::Output>(book.declarations[2]).value) == "(最大 1 2)");

  // Chinese punctuation ends a name, so "乡镇(街道)" must be quoted but 甲，乙 are two names.
  CHECK(show(std::get<ast::Output>(parse_ok("输出 d = x 属于 {甲，乙}").declarations[0]).value) == "(属于 x {甲 乙})");

  CHECK(parse_ok("").declarations.empty());
  CHECK(parse_ok("# only a comment").declarations.empty());
  CHECK(parse_ok("\xEF\xBB\xBF参数 a = 1\r\n参数 b = 2\r\n").declarations.size() == 2);
}

// ---------------------------------------------------------------- declarations

TEST_CASE("tables, events, groups and items in all their forms", "[parser][declarations]") {
  const ast::Rulebook book = parse_ok(R"(
表 账号表 (类型, 名称) -> 单位 来自 "accounts.csv"
事件 e { unit: 单位  when: 日期 可选  acct: 账号表(类型, 名称)  唯一 (unit, 日期)  note: 文本 }
加分 亮点 上限 最大(1, 2) {
  分组 外层 引用 "c1" 上限 5 {
    分组 内层 {
      条目 甲 引用 "c2" 自 2022-02-01 至 2022-11-30 { 条数 e 每条 e 加 1 }
    }
    适用 单位 属于 账号表 否则取平均
  }
}
否决项 否决 { 条目 乙 引用 "c3" { 有 e } }
)");
  REQUIRE(book.declarations.size() == 4);

  const auto& table = std::get<ast::Table>(book.declarations[0]);
  CHECK(table.rows.empty());
  REQUIRE(table.source_file.has_value());
  CHECK(*table.source_file == "accounts.csv");
  CHECK(book.source.substr(table.source_span.offset, table.source_span.length) == "\"accounts.csv\"");

  const auto& event = std::get<ast::EventType>(book.declarations[1]);
  REQUIRE(event.fields.size() == 4);
  CHECK(event.fields[1].type.text == "日期");
  CHECK(event.fields[1].optional);
  CHECK_FALSE(event.fields[0].optional);
  CHECK(event.fields[2].key_fields.size() == 2);
  CHECK(event.fields[3].name.text == "note");
  REQUIRE(event.unique.size() == 1);
  CHECK(event.unique[0][1].text == "日期");

  const auto& bonus = std::get<ast::Category>(book.declarations[2]);
  CHECK(bonus.kind == ast::CategoryKind::Bonus);
  CHECK(show(bonus.cap) == "(最大 1 2)");
  REQUIRE(bonus.members.size() == 1);
  const auto& outer = group_at(bonus.members[0]);
  CHECK(outer.citation == "c1");
  CHECK(show(outer.cap) == "5");
  REQUIRE(outer.substitution.has_value());
  CHECK(show(outer.substitution->cond) == "(单位属于 账号表)");
  const auto& inner = group_at(outer.members.at(0));
  CHECK(inner.citation.empty());
  CHECK(inner.cap == nullptr);
  const auto& item = item_at(inner.members.at(0));
  REQUIRE(item.from.has_value());
  REQUIRE(item.until.has_value());
  CHECK((item.until->month == 11 && item.until->day == 30));
  REQUIRE(item.terms.size() == 2);
  CHECK(show(item.terms[0]) == "(条数 e)");
  CHECK(show(item.terms[1]) == "(每条 e 1)");
  CHECK(book.source.substr(item.span.offset, 6) == "条目");

  const auto& veto = std::get<ast::Category>(book.declarations[3]);
  CHECK(veto.kind == ast::CategoryKind::Veto);
  CHECK(show(item_at(veto.members.at(0)).terms.at(0)) == "(有 e)");
}

// ---------------------------------------------------------------------- errors

TEST_CASE("syntax errors point at the offending token", "[parser][errors]") {
  struct Case {
    std::string source;
    std::string expected;  // file:line:col: message
  };
  const std::vector<Case> cases = {
      {"扣分 类 上限 30\n  条目", "test.rules:2:3: expected '{' to open the category body"},
      {"考核期 2022-01-01 至 2022-1-31", "test.rules:1:18: expected a date like 2022-01-31"},
      {"参数 上限 = 5", "test.rules:1:4: '上限' is a keyword; quote it to use it as a name"},
      {"参数 a = 5分",
       "test.rules:1:9: a number or date must not run into a name; put a space or an operator after it"},
      {"输出 y = 1 < 2 < 3", "test.rules:1:14: comparisons cannot be chained; combine them with 且"},
      {"输出 y = 若 a 则 1", "test.rules:1:15: expected 否则: every 若 ... 则 ... needs an 否则 branch"},
      // A keyword run into a name is a name: the error points at the start of the word.
      {"输出 y = 若 a 则1 否则 2", "test.rules:1:12: expected 则 after the condition of 若"},
      {"记录 r = s 其中 a = \"abc\n", "test.rules:1:21: unterminated string: expected '\"' before the end of the line"},
      {"事件 ev { unit 单位 }", "test.rules:1:14: expected ':' after the field name (fields are written NAME: TYPE)"},
      {"表 t (a) -> 单位 { x -> }", "test.rules:1:22: expected the unit (or units, separated by ',') after '->'"},
      {"扣分 c { 条目 i 引用 \"x\" {\n  每条 e 扣\n  }\n}",
       "test.rules:3:3: expected an amount (a number or an expression)"},
      {"扣分 c { 条目 i { 有 e } }",
       "test.rules:1:13: expected 引用 \"...\" after the item name: every item cites its clause"},
      {"扣分 c { 条目 i 引用 \"x\" { 有 e }",
       "test.rules:1:27: expected '}' to close the category body (expected 条目, 分组, or 适用 last) (the '{' on line "
       "1 is still open)"},
      {"输出 x = 每个不同 id 扣 1",
       "test.rules:1:16: expected 的 (每个不同 KEY 的 STREAM 扣 N) or 取最高 (每个不同 KEY 取最高 { ... })"},
      {"输出 x = (1 + 2\n\n", "test.rules:1:14: expected ')' to close the parenthesis"},
      {"输出 x = 1\n}",
       "test.rules:2:1: expected a declaration (考核, 考核期, 基础分, 得分范围, 参数, 单位, 单位组, 别名, 枚举, 表, "
       "事件, 记录, 否决项, 扣分, 加分, 计分, 指标, 输出, 不参与考核, 等级, 设立, 撤销 or 小数位数)"},
  };
  for (const auto& c : cases) {
    INFO(c.source);
    const auto errors = parse_errors(c.source);
    REQUIRE(errors.size() == 1);
    CHECK(headline(errors[0]) == c.expected);
    CHECK(errors[0].severity == Severity::Error);
  }
}

TEST_CASE("an error renders as file:line:col with a caret and a hint", "[parser][errors]") {
  const std::string source = "参数 a = 1\n参数 上限 = 5\n";
  const auto errors = parse_errors(source);
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].span.length == std::string("上限").size());
  CHECK(render(errors[0], source) ==
        "test.rules:2:4: error: '上限' is a keyword; quote it to use it as a name\n"
        "  参数 上限 = 5\n"
        "       ^^^^\n"
        "  hint: write \"上限\"\n");
}

TEST_CASE("a misspelt declaration keyword gets a suggestion", "[parser][errors]") {
  const auto errors = parse_errors("扣份 x { }\n");
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].hint == "did you mean 扣分?");
}

TEST_CASE("every syntax error in a file is reported", "[parser][errors]") {
  const std::string source =
      "考核 \"t\"\n"                      // 1: fine
      "参数 a = \n"                       // 2: missing value, reported on line 3
      "参数 b = 2\n"                      // 3
      "扣分 c 上限 30 {\n"                // 4
      "  条目 i 引用 \"x\" {\n"           // 5
      "    每条 e 扣 按 level { a 5 }\n"  // 6: missing ':'
      "  }\n"
      "}\n"
      "单位 { 甲 乙 \n"  // 9: missing '}', found on line 10
      "输出 y = 1 + \n"  // 10
      "输出 z = 2\n";
  const auto errors = parse_errors(source);
  std::vector<std::string> got;
  for (const auto& e : errors) got.push_back(headline(e));
  CHECK(got == std::vector<std::string>{
                   "test.rules:3:1: expected an expression",
                   "test.rules:6:24: expected ':' between the case and its amount",
                   "test.rules:10:1: '输出' is a keyword; quote it to use it as a name",
                   "test.rules:11:1: expected a value after '+' or '-'",
               });
}

TEST_CASE("invalid UTF-8 is reported, not misread", "[parser][errors]") {
  const auto errors = parse_errors("考核 \"abc\xE4\xB8");
  REQUIRE(errors.size() == 1);
  CHECK(headline(errors[0]) == "test.rules:1:8: invalid UTF-8 byte in the source");
  const auto truncated = parse_errors("单位 { 甲 \xFF }\n");
  REQUIRE(truncated.size() == 1);
  CHECK(truncated[0].span.col == 8);
}

TEST_CASE("nesting limits", "[parser][limits]") {
  auto nested = [](size_t depth) {
    return "输出 x = " + std::string(depth, '(') + "1" + std::string(depth, ')') + "\n";
  };
  CHECK(parse_ok(nested(150)).declarations.size() == 1);
  const auto deep = parse_errors(nested(100000));
  REQUIRE(deep.size() == 1);
  CHECK(deep[0].message == "expression nested too deeply");

  std::string chain = "输出 x = 1";
  for (int i = 0; i < 999; ++i) chain += " + 1";
  CHECK(parse_ok(chain).declarations.size() == 1);
  const auto long_chain = parse_errors(chain + " + 1 + 1");
  REQUIRE(long_chain.size() == 1);
  CHECK(long_chain[0].message == "expression nested too deeply");

  std::string negations = "输出 x = ";
  for (int i = 0; i < 100000; ++i) negations += "非 ";
  CHECK(parse_errors(negations + "1").at(0).message == "expression nested too deeply");

  std::string groups = "扣分 c {";
  for (int i = 0; i < 100000; ++i) groups += " 分组 g {";
  groups += std::string(100000, '}') + "}";
  CHECK(parse_errors(groups).at(0).message == "分组 nested too deeply");
}

TEST_CASE("garbage input never crashes and every error points into the file", "[parser][errors]") {
  std::mt19937 random(20220101);
  const std::string real = read_file(std::string(RB_SOURCE_DIR) + "/rules/yunhe-2022.rules");
  REQUIRE_FALSE(real.empty());
  for (int round = 0; round < 200; ++round) {
    std::string source;
    if (round % 2 == 0) {
      // Random bytes, with newlines and declaration keywords mixed in now and then.
      const char* pieces[] = {"\n", "扣分 ", "{", "}", "\"", "若 ", "(", "每条 ", "\xE4", "#"};
      for (int i = 0; i < 300; ++i) {
        if (random() % 4 == 0)
          source += pieces[random() % 10];
        else
          source += static_cast<char>(random());
      }
    } else {
      // The real rulebook, cut short or with a few bytes destroyed.
      source = real.substr(0, random() % real.size());
      for (int i = 0; i < 3 && !source.empty(); ++i) source[random() % source.size()] = static_cast<char>(random());
    }
    Diagnostics diags;
    const auto book = parse_rulebook("fuzz.rules", source, diags);
    CHECK(book.has_value() == diags.all().empty());
    for (const auto& d : diags.all()) {
      CHECK(d.span.line >= 1);
      CHECK(d.span.col >= 1);
      CHECK(d.span.offset + d.span.length <= source.size());
      CHECK_FALSE(d.message.empty());
    }
  }
}
