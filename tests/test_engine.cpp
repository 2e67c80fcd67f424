// End-to-end properties of the engine: the 2022 rulebook compiles to verified bytecode,
// a compiled file scores exactly like its source, record order never changes a byte of
// the output, run errors point at the rule, and limits are reported, not crashed on.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "cli/format.hpp"
#include "compiler/compiler.hpp"
#include "compiler/parser.hpp"
#include "runtime/disasm.hpp"
#include "runtime/rbc_file.hpp"
#include "runtime/session.hpp"

namespace fs = std::filesystem;
using namespace rb;

namespace {

const std::string kRules = std::string(RB_SOURCE_DIR) + "/rules/yunhe-2022.rules";
const std::string kEvents = std::string(RB_SOURCE_DIR) + "/examples/yunhe-2022/events.jsonl";
const std::string kEventsCsv = std::string(RB_SOURCE_DIR) + "/examples/yunhe-2022/events.csv";

Program compile_2022() {
  Diagnostics diags;
  auto program = compile_file(kRules, diags);
  REQUIRE(program.has_value());
  return std::move(*program);
}

std::optional<Program> compile_text(const std::string& text, Diagnostics& diags) {
  auto ast = parse_rulebook("test.rules", text, diags);
  if (!ast) return std::nullopt;
  return compile(*ast, ".", diags);
}

std::string score_json(const Program& p, const std::vector<std::string>& files) {
  Session session(p, {});
  REQUIRE(session.read(files));
  REQUIRE(session.reader().error_count() == 0);
  return format_json(session.finish());
}

std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::string write_temp(const std::string& name, const std::string& text) {
  fs::path p = fs::temp_directory_path() / name;
  std::ofstream(p, std::ios::binary) << text;
  return p.string();
}

}  // namespace

TEST_CASE("the 2022 rulebook compiles to bytecode that verifies") {
  Program p = compile_2022();
  CHECK(verify(p).empty());
  CHECK(p.units.size() == 43);
  CHECK(p.events.size() == 26);
  CHECK(p.tables.size() == 2);
  CHECK(p.tables[0].rows.size() == 10);
  // Six categories: the vetoes, the five of the JSON contract, and last year's evaluation.
  CHECK(p.categories.size() == 7);
}

TEST_CASE("the bundled rulebooks pass the reviewer's checks without a warning") {
  for (const char* path : {"/rules/yunhe-2022.rules", "/examples/yunhe-2023/yunhe-2023.rules"}) {
    Diagnostics diags;
    auto p = compile_file(std::string(RB_SOURCE_DIR) + path, diags);
    INFO(path);
    for (const auto& d : diags.all()) INFO(d.span.line << ": " << d.message);
    CHECK(p.has_value());
    CHECK(diags.all().empty());
  }
}

TEST_CASE("a compiled .rbc scores exactly like its source") {
  Program p = compile_2022();
  std::vector<uint8_t> bytes = serialize(p);
  auto loaded = deserialize(bytes.data(), bytes.size());
  REQUIRE(std::holds_alternative<Program>(loaded));
  const Program& q = std::get<Program>(loaded);
  CHECK(serialize(q) == bytes);
  CHECK(score_json(q, {kEvents}) == score_json(p, {kEvents}));
}

TEST_CASE("the order of records never changes the output") {
  Program p = compile_2022();
  std::string reference = score_json(p, {kEvents});
  auto lines = read_lines(kEvents);
  REQUIRE(lines.size() > 1000);
  for (unsigned seed : {1U, 2U, 3U}) {
    auto shuffled = lines;
    std::mt19937 rng(seed);
    std::shuffle(shuffled.begin(), shuffled.end(), rng);
    std::string text;
    for (const auto& l : shuffled) text += l + "\n";
    std::string path = write_temp("rulebook-shuffled-" + std::to_string(seed) + ".jsonl", text);
    CHECK(score_json(p, {path}) == reference);
    fs::remove(path);
  }
  SECTION("split over two files, in either order") {
    std::string a, b;
    for (size_t i = 0; i < lines.size(); ++i) (i % 2 ? a : b) += lines[i] + "\n";
    std::string pa = write_temp("rulebook-half-a.jsonl", a), pb = write_temp("rulebook-half-b.jsonl", b);
    CHECK(score_json(p, {pa, pb}) == reference);
    CHECK(score_json(p, {pb, pa}) == reference);
  }
  SECTION("the same records as CSV") { CHECK(score_json(p, {kEventsCsv}) == reference); }
}

TEST_CASE("parameters are overridable per run") {
  Program p = compile_2022();
  Session session(p, {});
  CHECK_FALSE(session.machine().set_param("不存在", Rational(1)));
  REQUIRE(session.machine().set_param("折算分值", Rational(5)));
  REQUIRE(session.read({kEvents}));
  Result r = session.finish();
  for (const auto& u : r.units) {
    REQUIRE(u.outputs.size() == 1);
    CHECK(u.outputs[0] == u.score * Rational(5) / Rational(100));
  }
}

TEST_CASE("golden disassembly of a small rulebook") {
  Diagnostics diags;
  auto p = compile_text(R"(考核 "golden"
考核期 2022-01-01 至 2022-12-31
单位 { 甲 乙 }
枚举 级别 { province city }
事件 notice { unit: 单位  level: 级别  id: 文本 }
扣分 通报 上限 10 {
  条目 通报扣分 引用 "1" 自 2022-08-01 { 每条 notice 扣 按 level { province: 5  city: 3 } }
  条目 案件 引用 "2" { 个数 不同 id 的 notice }
}
)",
                        diags);
  REQUIRE(p.has_value());
  CHECK(disassemble(*p) == R"(rulebook "golden" (test.rules)
period 2022-01-01 to 2022-12-31
score: base 100, range 0 to 100
2 units, 0 tables, 1 event type, 2 accumulators, 6 nodes, 1 step, 7 constants, 122 bytes of code

event type 0 "notice": fields 0 unit, 1 level, 2 id
  ; line 7
  0000  DATE
  0001  CONST         0        ; constant 0 (19205)
  0004  GE
  0005  JUMP_IF_NOT   +38      ; to 0046
  0008  FIELD         1        ; field 1 (level)
  0011  CONST         1        ; constant 1 (0)
  0014  EQ
  0015  JUMP_IF_NOT   +6       ; to 0024
  0018  CONST         2        ; constant 2 (5)
  0021  JUMP          +19      ; to 0043
  0024  FIELD         1        ; field 1 (level)
  0027  CONST         3        ; constant 3 (1)
  0030  EQ
  0031  JUMP_IF_NOT   +6       ; to 0040
  0034  CONST         4        ; constant 4 (3)
  0037  JUMP          +3       ; to 0043
  0040  CONST         1        ; constant 1 (0)
  0043  ACC_ADD       0        ; accumulator 0 (amounts of notice from 2022-08-01)
  ; line 8
  0046  CONST         3        ; constant 3 (1)
  0049  ACC_KEY_MAX   1 2      ; accumulator 1 (per distinct id of notice), field 2 (id)
  0054  HALT

step 0: unit code
  ; line 7
  0055  ACC           0        ; accumulator 0 (amounts of notice from 2022-08-01)
  0058  STORE         1        ; node 1 (通报扣分)
  ; line 8
  0061  ACC           1        ; accumulator 1 (per distinct id of notice)
  0064  STORE         2        ; node 2 (案件)
  ; line 6
  0067  CONST         1        ; constant 1 (0)
  0070  NODE          1        ; node 1 (通报扣分)
  0073  ADD
  0074  NODE          2        ; node 2 (案件)
  0077  ADD
  0078  CONST         5        ; constant 5 (10)
  0081  MIN
  0082  STORE         0        ; node 0 (通报)
  ; no rulebook line: the score formula
  0085  CONST         1        ; constant 1 (0)
  0088  TRUTH
  0089  STORE         4        ; node 4 (否决)
  0092  CONST         6        ; constant 6 (100)
  0095  NODE          0        ; node 0 (通报)
  0098  SUB
  0099  CONST         1        ; constant 1 (0)
  0102  MAX
  0103  CONST         6        ; constant 6 (100)
  0106  MIN
  0107  STORE         3        ; node 3 (得分(否决前))
  0110  NODE          4        ; node 4 (否决)
  0113  NOT
  0114  NODE          3        ; node 3 (得分(否决前))
  0117  MUL
  0118  STORE         5        ; node 5 (得分)
  0121  HALT
)");
}

TEST_CASE("a run error names the rule that failed") {
  Diagnostics diags;
  auto p = compile_text(R"(考核 "div"
考核期 2022-01-01 至 2022-12-31
参数 除数 = 0
单位 { 甲 }
事件 x { unit: 单位 }
扣分 类 上限 10 {
  条目 除法 引用 "1" { 条数 x / 除数 }
}
)",
                        diags);
  REQUIRE(p.has_value());
  Machine m(*p);
  try {
    m.finish({});
    FAIL("division by zero was not reported");
  } catch (const RunError& e) {
    CHECK(e.line == 7);
    CHECK(e.unit == "甲");
    CHECK(std::string(e.what()) == "division by zero (unit 甲, 除法)");
  }
}

TEST_CASE("limits: literals beyond 64 bits are refused; sums beyond them stay exact") {
  Diagnostics diags;
  auto p = compile_text(R"(考核 "big"
考核期 2022-01-01 至 2022-12-31
单位 { 甲 }
事件 x { unit: 单位 }
扣分 类 上限 10 {
  条目 大数 引用 "1" { 每条 x 扣 99999999999999999999 }
}
)",
                        diags);
  CHECK_FALSE(p.has_value());
  REQUIRE(diags.error_count() == 1);
  CHECK(diags.all()[0].span.line == 6);
  CHECK(diags.all()[0].message.find("can hold exactly") != std::string::npos);

  SECTION("sums beyond 64-bit fractions while scoring are exact, not run errors") {
    Diagnostics d2;
    auto q = compile_text(R"(考核 "overflow"
考核期 2022-01-01 至 2022-12-31
单位 { 甲 }
事件 x { unit: 单位  v: 数值 }
扣分 类 不设上限 {
  条目 和 引用 "1" { 每条 x 扣 v * v }
}
输出 和的一半 = 和 / 2
输出 和减去自身 = 和 - 和 + 1 / 3
)",
                          d2);
    REQUIRE(q.has_value());
    std::string path = write_temp("rulebook-overflow.jsonl",
                                  "{\"type\":\"x\",\"date\":\"2022-01-01\",\"unit\":\"甲\",\"v\":\"9000000000000000000\"}\n"
                                  "{\"type\":\"x\",\"date\":\"2022-01-02\",\"unit\":\"甲\",\"v\":\"0.000001\"}\n");
    for (bool trace : {false, true}) {
      Session session(*q, {}, trace);
      REQUIRE(session.read({path}));
      Result r = session.finish();
      REQUIRE(r.units.size() == 1);
      // 9·10^18 squared plus 10^-12: 81·10^36 + 10^-12, exactly.
      const Rational sum = *value_of(r, r.units[0], "和");
      CHECK(sum.is_wide());
      CHECK(format_decimal(sum, 12) == "81000000000000000000000000000000000000.000000000001");
      CHECK(format_decimal(*value_of(r, r.units[0], "和的一半"), 13) == "40500000000000000000000000000000000000.0000000000005");
      // Back within 64 bits, the value is an ordinary fraction again.
      const Rational back = *value_of(r, r.units[0], "和减去自身");
      CHECK_FALSE(back.is_wide());
      CHECK(back == Rational::make(1, 3));
      CHECK(r.units[0].score == Rational(0));  // 100 minus the deduction, at the lowest score
      if (trace) CHECK(r.traces.size() == 1);
    }
  }
}

TEST_CASE("exact fractions widen beyond 64 bits and narrow back") {
  // Means over groups of different sizes multiply denominators: 1/p for the primes up to
  // 113 sum to a fraction whose denominator has 30 primes, far beyond 64 bits.
  const int primes[] = {2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47,
                        53, 59, 61, 67, 71, 73, 79, 83, 89, 97, 101, 103, 107, 109, 113};
  Rational sum = 0;
  for (int p : primes) sum = sum + Rational::make(1, p);
  CHECK(sum.is_wide());
  CHECK(sum > Rational(1));
  CHECK(sum < Rational(2));
  CHECK(format_decimal(sum, 6) == "1.849797");  // sum of 1/p, p <= 113
  CHECK_FALSE(sum.is_integer());
  CHECK(sum.floor() == 1);
  CHECK((-sum).floor() == -2);
  Rational back = sum;
  for (int p : primes) back = back - Rational::make(1, p);
  CHECK_FALSE(back.is_wide());
  CHECK(back.is_zero());
  // Equal wide values made apart compare equal.
  Rational again = 0;
  for (int i = 29; i >= 0; --i) again = again + Rational::make(1, primes[i]);
  CHECK(again == sum);
  CHECK(compare(again, sum) == 0);
  // Products beyond 64 bits, and a wide integer.
  const Rational big = Rational(INT64_MAX) * Rational(INT64_MAX);
  CHECK(big.is_wide());
  CHECK(big.is_integer());
  CHECK(format_decimal(big, 2) == "85070591730234615847396907784232501249");
  CHECK(big.floor() == INT64_MAX);  // clamped
  CHECK(big / Rational(INT64_MAX) == Rational(INT64_MAX));
  CHECK_FALSE((big / Rational(INT64_MAX)).is_wide());
  CHECK_THROWS_AS(big / Rational(0), ArithmeticOverflow);
  // Rounding a wide value, each way.
  CHECK(round_decimals(sum, 0, 2) == Rational::make(185, 100));
  CHECK(round_decimals(sum, 2, 2) == Rational::make(184, 100));
  CHECK(round_decimals(-sum, 1, 2) == Rational::make(-184, 100));
  CHECK(round_decimals(-sum, 2, 0) == Rational(-2));
  CHECK(round_decimals(Rational::make(-5, 2), 0, 0) == Rational(-3));  // half away from zero
  CHECK(round_decimals(Rational::make(5, 2), 0, 0) == Rational(3));
  CHECK(fraction_text(big) == "85070591730234615847396907784232501249");
  CHECK(fraction_text(Rational::make(-1, 3)) == "-1/3");
}

TEST_CASE("JSON Lines are read in chunks: line numbers and results do not depend on chunk boundaries") {
  Program p = compile_2022();
  // About 25 MB: several 8 MB chunks, with blank lines, CRLF endings and one bad record far in.
  std::string text;
  std::vector<std::string> lines;  // repeatable records: weekly scores may not repeat
  for (const auto& l : read_lines(kEvents))
    if (l.find("nm_weekly_score") == std::string::npos) lines.push_back(l);
  const size_t total = 240000, bad_line = 190001;
  for (size_t i = 1; i <= total; ++i) {
    if (i == bad_line) {
      text += R"({"type": "leak_verified", "date": "2022-02-30", "unit": "县教育局"})" "\n";
    } else if (i % 9973 == 0) {
      text += "\n";
    } else {
      text += lines[i % lines.size()] + (i % 7 == 0 ? "\r\n" : "\n");
    }
  }
  std::string path = write_temp("rulebook-chunks.jsonl", text);
  Session streamed(p, {});
  REQUIRE(streamed.read({path}));
  REQUIRE(streamed.reader().error_count() == 1);
  bool named = false;
  for (const auto& e : streamed.reader().errors()) named = named || (e.line == bad_line && e.message.find("2022-02-30") != std::string::npos);
  CHECK(named);
  Session whole(p, {});
  whole.read_text("whole.jsonl", text);
  REQUIRE(whole.reader().errors().size() == streamed.reader().errors().size());
  for (size_t i = 0; i < whole.reader().errors().size(); ++i) {
    CHECK(whole.reader().errors()[i].line == streamed.reader().errors()[i].line);
    CHECK(whole.reader().errors()[i].message == streamed.reader().errors()[i].message);
  }
  CHECK(streamed.reader().stats().records == whole.reader().stats().records);
  CHECK(format_json(streamed.finish()) == format_json(whole.finish()));
  fs::remove(path);
}

TEST_CASE("CSV is read in chunks too: records with quoted line breaks span chunk boundaries safely") {
  Program p = compile_2022();
  std::vector<std::string> rows;  // repeatable records: weekly scores may not repeat
  for (const auto& l : read_lines(kEventsCsv))
    if (l.find("nm_weekly_score") == std::string::npos) rows.push_back(l);
  std::string header = rows.front();
  std::string text = header + "\r\n";
  const size_t total = 330000, bad_row = 300001;
  uint32_t line = 1, bad_line = 0;
  for (size_t i = 1; i <= total; ++i) {
    if (i == bad_row) {
      bad_line = line + 1;
      text += "leak_verified,2022-02-30,县教育局,,,,,,,,,,,\n";
      ++line;
    } else if (i % 5 == 0) {
      // A quoted id holding a comma, a doubled quote and a line break.
      text += "app_case,2022-03-01,县教育局,,,,\"A,\"\"" + std::to_string(i % 50) + "\n第二行\",,,,,,,\n";
      line += 2;
    } else {
      text += rows[1 + i % (rows.size() - 1)] + "\n";
      ++line;
    }
  }
  std::string path = write_temp("rulebook-chunks.csv", text);
  Session streamed(p, {});
  REQUIRE(streamed.read({path}));
  REQUIRE(streamed.reader().error_count() == 1);
  CHECK(streamed.reader().errors()[0].line == bad_line);
  Session whole(p, {});
  whole.read_text("whole.csv", text);
  REQUIRE(whole.reader().error_count() == 1);
  CHECK(whole.reader().errors()[0].line == bad_line);
  CHECK(streamed.reader().stats().records == whole.reader().stats().records);
  CHECK(format_json(streamed.finish()) == format_json(whole.finish()));
  fs::remove(path);
}
