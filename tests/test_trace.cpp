// The trace explains every number: for every unit of every conformance case, each level of
// the derivation adds up to the level above, down to the records, and to the scores the
// JSON reports.
#include <catch2/catch.hpp>
#include <filesystem>
#include <map>

#include "cli/explain.hpp"
#include "compiler/compiler.hpp"
#include "compiler/parser.hpp"
#include "runtime/session.hpp"

namespace fs = std::filesystem;
using namespace rb;

namespace {

struct Checker {
  const Program& program;
  // node name -> unit -> value, over all units, to check means.
  std::map<std::string, std::map<std::string, Rational>> values;
  size_t checked_records = 0;

  void collect(const std::string& unit, const TraceNode& n) {
    values[n.name][unit] = n.value;
    for (const auto& c : n.children) collect(unit, c);
  }

  void check_mean(const TraceNode& n) {
    INFO(n.name << " substituted by the mean over " << n.mean_over.size() << " units");
    Rational sum(0);
    for (const auto& u : n.mean_over) sum = sum + values.at(n.name).at(u);
    Rational expected = n.mean_over.empty() ? Rational(0) : sum / Rational(static_cast<int64_t>(n.mean_over.size()));
    CHECK(n.value == expected);
  }

  void check(const TraceNode& n) {
    INFO("node " << n.name << " = " << format_decimal(n.value, 6));
    for (const auto& acc : n.accumulators) {
      Rational sum(0);
      for (const auto& r : acc.records) {
        if (r.counted) sum = sum + r.amount;
        ++checked_records;
      }
      INFO("accumulator " << acc.description);
      CHECK(acc.total == sum);
    }
    if (n.kind == "category" || n.kind == "group") {
      if (n.substituted) {
        check_mean(n);
      } else if (n.role != "veto") {
        Rational sum(0);
        for (const auto& c : n.children) sum = sum + c.value;
        CHECK(n.value == (n.cap && *n.cap < sum ? *n.cap : sum));
        CHECK(n.before_cap.has_value() == (n.cap && *n.cap < sum));
      }
    }
    if (n.kind == "item" && n.substituted) check_mean(n);
    // A plain per-record or per-key item is exactly its records' total.
    if (n.kind == "item" && !n.substituted && !n.ranked && n.accumulators.size() == 1 &&
        n.accumulators[0].total == n.value) {
      Rational sum(0);
      for (const auto& r : n.accumulators[0].records)
        if (r.counted) sum = sum + r.amount;
      CHECK(sum == n.value);
    }
    for (const auto& c : n.children) check(c);
  }

  void check_score(const Result& result, const UnitResult& unit, const TraceNode& score) {
    INFO("unit " << unit.unit);
    CHECK(score.value == unit.score);
    Rational raw = program.base_score;
    bool vetoed = false;
    for (const auto& c : score.children) {
      if (c.role == "deduction") raw = raw - c.value;
      if (c.role == "bonus") raw = raw + c.value;
      if (c.role == "veto") vetoed = vetoed || !c.value.is_zero();
    }
    CHECK(vetoed == unit.vetoed);
    Rational clamped = std::min(std::max(raw, program.score_low), program.score_high);
    CHECK(score.value == (vetoed ? Rational(0) : clamped));
    REQUIRE(unit.categories.size() == result.category_names.size());
    for (size_t i = 0; i < unit.categories.size(); ++i) {
      const std::string& name = result.category_names[i];
      const Rational& value = unit.categories[i];
      auto it = std::find_if(score.children.begin(), score.children.end(), [&](const TraceNode& c) { return c.name == name; });
      REQUIRE(it != score.children.end());
      CHECK(it->value == value);
    }
    check(score);
  }
};

// Compiles `source` and scores `events` (JSON Lines) with the trace on.
Result traced(const std::string& name, const std::string& source, const std::string& events) {
  Diagnostics diags;
  auto ast = parse_rulebook(name + ".rules", source, diags);
  REQUIRE(ast.has_value());
  auto program = compile(*ast, ".", diags);
  REQUIRE(program.has_value());
  Session session(*program, {}, true);
  REQUIRE(session.read_text(name + ".jsonl", events));
  return session.finish();
}

const TraceNode& node_of(const Result& r, const std::string& unit, const std::string& item) {
  const auto& t = *std::find_if(r.traces.begin(), r.traces.end(), [&](const UnitTrace& x) { return x.unit == unit; });
  const TraceNode* n = find_node(t.score, item);
  REQUIRE(n != nullptr);
  return *n;
}

// The notes of `item` in `unit`'s trace, one a line.
std::string notes_of(const Result& r, const std::string& unit, const std::string& item) {
  std::string all;
  for (const auto& s : node_of(r, unit, item).notes) all += s + "\n";
  return all;
}

}  // namespace

TEST_CASE("the trace adds up for every unit of every conformance case") {
  fs::path cases = fs::path(RB_SOURCE_DIR) / ".." / "shared" / "conformance" / "cases";
  REQUIRE(fs::is_directory(cases));
  Diagnostics diags;
  auto program = compile_file(std::string(RB_SOURCE_DIR) + "/rules/yunhe-2022.rules", diags);
  REQUIRE(program.has_value());
  size_t case_count = 0, records = 0;
  for (const auto& entry : fs::directory_iterator(cases)) {
    if (entry.path().filename().string().rfind("bad-", 0) == 0) continue;
    std::string events;
    for (const auto& f : fs::directory_iterator(entry.path()))
      if (f.path().stem() == "events") events = f.path().string();
    INFO("case " << entry.path().filename().string());
    Session session(*program, {}, true);
    REQUIRE(session.read({events}));
    Result result = session.finish();
    REQUIRE(result.traces.size() == result.units.size());
    Checker checker{*program, {}, 0};
    for (const auto& t : result.traces) checker.collect(t.unit, t.score);
    for (size_t u = 0; u < result.units.size(); ++u) checker.check_score(result, result.units[u], result.traces[u].score);
    records += checker.checked_records;
    ++case_count;
  }
  CHECK(case_count >= 15);
  CHECK(records > 100);
}

TEST_CASE("the bundled example's trace adds up and says why items gave nothing") {
  Diagnostics diags;
  auto program = compile_file(std::string(RB_SOURCE_DIR) + "/rules/yunhe-2022.rules", diags);
  REQUIRE(program.has_value());
  Session session(*program, {}, true);
  REQUIRE(session.read({std::string(RB_SOURCE_DIR) + "/examples/yunhe-2022/events.jsonl"}));
  Result result = session.finish();
  Checker checker{*program, {}, 0};
  for (const auto& t : result.traces) checker.collect(t.unit, t.score);
  for (size_t u = 0; u < result.units.size(); ++u) checker.check_score(result, result.units[u], result.traces[u].score);
  // 县医保局's only serious_error_flagged dated 2021 is ignored, and the trace says so.
  const auto& unit = *std::find_if(result.traces.begin(), result.traces.end(), [](const UnitTrace& t) { return t.unit == "县医保局"; });
  const TraceNode* veto = find_node(unit.score, "严重低级表述错误");
  REQUIRE(veto != nullptr);
  CHECK(veto->value.is_zero());
}

TEST_CASE("tracing does not change any result") {
  Diagnostics diags;
  auto program = compile_file(std::string(RB_SOURCE_DIR) + "/rules/yunhe-2022.rules", diags);
  REQUIRE(program.has_value());
  std::string events = std::string(RB_SOURCE_DIR) + "/examples/yunhe-2022/events.jsonl";
  Session plain(*program, {}), traced(*program, {}, true);
  REQUIRE(plain.read({events}));
  REQUIRE(traced.read({events}));
  Result a = plain.finish(), b = traced.finish();
  CHECK(a.traces.empty());
  REQUIRE(a.units.size() == b.units.size());
  for (size_t u = 0; u < a.units.size(); ++u) {
    CHECK(a.units[u].score == b.units[u].score);
    for (size_t i = 0; i < a.units[u].items.size(); ++i) CHECK(a.units[u].items[i].value == b.units[u].items[i].value);
  }
}

TEST_CASE("the trace says why an item gave nothing") {
  Result r = traced("why", R"(考核 "why"
考核期 2022-01-01 至 2022-12-31
单位 { 甲 乙 丙 丁 }
事件 weekly { unit: 单位 }
事件 notice { unit: 单位  id: 文本 }
事件 linked { unit: 单位  id: 文本 }
记录 有效通报 = notice 排除 同 id 的 linked
扣分 类 不设上限 {
  条目 八月起 引用 "1" 自 2022-08-01 { 每条 weekly 扣 1 }
  条目 通报 引用 "2" { 每条 有效通报 扣 1 }
  条目 超过三次 引用 "3" { 若 条数 weekly > 3 则 5 否则 0 }
}
)",
                    "{\"type\": \"weekly\", \"date\": \"2022-07-01\", \"unit\": \"甲\"}\n"
                    "{\"type\": \"weekly\", \"date\": \"2021-07-01\", \"unit\": \"乙\"}\n"
                    "{\"type\": \"notice\", \"date\": \"2022-07-01\", \"unit\": \"丙\", \"id\": \"N\"}\n"
                    "{\"type\": \"linked\", \"date\": \"2022-07-01\", \"unit\": \"丙\", \"id\": \"N\"}\n");
  CHECK(notes_of(r, "甲", "八月起").find("all before the clause's start date 2022-08-01") != std::string::npos);
  CHECK(notes_of(r, "乙", "八月起").find("all outside the period") != std::string::npos);
  CHECK(notes_of(r, "丁", "八月起").find("no weekly records") != std::string::npos);
  CHECK(notes_of(r, "丙", "通报").find("every record was excluded") != std::string::npos);
  CHECK(notes_of(r, "甲", "超过三次").find("with it the rule gives 0") != std::string::npos);
}

TEST_CASE("the trace says a record dated before its unit was set up or after it closed did not count for that") {
  Result r = traced("unit-dates", R"(考核 "unit dates"
考核期 2022-01-01 至 2022-12-31
单位 { 甲 乙 丙 丁 }
设立 甲 2022-04-01
撤销 乙 2022-09-30
设立 丙 2022-04-01
事件 late { unit: 单位 }
扣分 类 不设上限 {
  条目 超期 引用 "1" { 每条 late 扣 1 }
}
)",
                    "{\"type\": \"late\", \"date\": \"2022-03-01\", \"unit\": \"甲\"}\n"
                    "{\"type\": \"late\", \"date\": \"2022-03-02\", \"unit\": \"甲\"}\n"
                    "{\"type\": \"late\", \"date\": \"2022-10-01\", \"unit\": \"乙\"}\n"
                    "{\"type\": \"late\", \"date\": \"2022-03-01\", \"unit\": \"丙\"}\n"
                    "{\"type\": \"late\", \"date\": \"2021-03-01\", \"unit\": \"丙\"}\n"
                    "{\"type\": \"late\", \"date\": \"2021-03-01\", \"unit\": \"丁\"}\n");
  CHECK(notes_of(r, "甲", "超期") == "2 late record(s), all dated before the unit was set up on 2022-04-01\n");
  CHECK(notes_of(r, "乙", "超期") == "1 late record(s), all dated after the unit closed on 2022-09-30\n");
  CHECK(notes_of(r, "丙", "超期") ==
        "2 late record(s), none counted: 1 outside the period, 1 before the unit was set up on 2022-04-01\n");
  CHECK(notes_of(r, "丁", "超期") == "1 late record(s), all outside the period\n");
}

TEST_CASE("a value read twice is listed once in the trace where it was first read") {
  Result r = traced("twice", R"(考核 "twice"
考核期 2022-01-01 至 2022-12-31
单位 { 甲 乙 }
事件 late { unit: 单位 }
事件 visit { unit: 单位 }
扣分 类 不设上限 {
  条目 超期 引用 "1" { 每条 late 扣 1 }
  条目 回访 引用 "2" { 每条 visit 扣 1 }
  条目 加倍 引用 "3" { 若 超期 > 1 则 超期 + 超期 + 回访 + 超期 否则 回访 }
}
)",
                    "{\"type\": \"late\", \"date\": \"2022-03-01\", \"unit\": \"甲\"}\n"
                    "{\"type\": \"late\", \"date\": \"2022-03-02\", \"unit\": \"甲\"}\n"
                    "{\"type\": \"visit\", \"date\": \"2022-03-02\", \"unit\": \"甲\"}\n");
  const TraceNode& n = node_of(r, "甲", "加倍");
  CHECK(n.value == Rational(7));
  REQUIRE(n.uses.size() == 2);
  CHECK(n.uses[0].first == "超期");
  CHECK(n.uses[0].second == Rational(2));
  CHECK(n.uses[1].first == "回访");
}

TEST_CASE("how sub-periods combine is carried as a kind (a fixed code in JSON and a message in words)") {
  // The JSON codes do not follow the English messages: changing a message's wording must not
  // change the trace's field, and explain maps the kind, not the text, to the words.
  CHECK(std::string(combine_code(PeriodCombine::Sum)) == "sum of the sub-periods");
  CHECK(std::string(combine_code(PeriodCombine::MeanAll)) == "mean of all sub-periods");
  CHECK(std::string(combine_code(PeriodCombine::MeanWithRecords)) == "mean of the sub-periods with records");
  CHECK(std::string(combine_code(PeriodCombine::MeanExisting)) == "mean of the sub-periods the unit existed in");
  CHECK(std::string(text(combine_message(PeriodCombine::MeanWithRecords), Lang::Zh)) == "有记录各期的平均");
  CHECK(std::string(text(combine_message(PeriodCombine::MeanExisting), Lang::Zh)) == "单位存续各期的平均");
  Result r = traced("periods", R"(考核 "periods"
考核期 2022-01-01 至 2022-12-31
单位 { 甲 }
事件 late { unit: 单位 }
扣分 类 不设上限 {
  条目 月均 引用 "1" 按月 取各期平均 仅有记录的期 { 每条 late 扣 1 }
}
)",
                    "{\"type\": \"late\", \"date\": \"2022-03-01\", \"unit\": \"甲\"}\n");
  const TraceNode& n = node_of(r, "甲", "月均");
  CHECK(n.combined == PeriodCombine::MeanWithRecords);
  CHECK(n.periods.size() == 12);
}
