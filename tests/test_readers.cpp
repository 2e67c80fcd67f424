// Tests of the event reader (runtime/reader.hpp), the CSV splitter (runtime/csv.hpp) and the
// symbol table (runtime/symbols.cpp), over a small Program built by hand.
#include <catch2/catch.hpp>

#include <iconv.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "csv.hpp"
#include "messages.hpp"
#include "reader.hpp"
#include "record.hpp"

namespace {

using rb::CsvSplitter;
using rb::EventReader;
using rb::FieldDef;
using rb::FieldKind;
using rb::InputError;
using rb::Program;
using rb::ReadOptions;
using rb::Record;
using rb::Symbols;

int32_t day(int y, int m, int d) { return rb::days_from_civil(y, m, d); }

FieldDef field(std::string name, FieldKind kind, uint32_t ref = 0, bool optional = false,
               std::vector<std::string> keys = {}) {
  FieldDef f;
  f.name = std::move(name);
  f.kind = kind;
  f.ref = ref;
  f.optional = optional;
  f.key_fields = std::move(keys);
  return f;
}

// Units 县审计局, 县公安局 (alias 县交警大队), 县教育局; enum level; table of accounts keyed by
// (platform, account); four event types.
Program make_program() {
  Program p;
  p.period_from = day(2022, 1, 1);
  p.period_to = day(2022, 12, 31);
  p.units = {"县审计局", "县公安局", "县教育局"};
  p.aliases = {{"县交警大队", 1}};
  p.symbols = {"province", "city", "county", "微信订阅号", "抖音", "云和公安", "云和交警", "云和教育"};
  p.enums.push_back({"level", {0, 1, 2}, {"省政府办公厅", "市政府办公室", ""}});
  rb::TableDef accounts;
  accounts.name = "新媒体账号";
  accounts.columns = {"platform", "account"};
  accounts.rows.push_back({{3, 5}, {1}});  // 微信订阅号 云和公安 -> 县公安局
  accounts.rows.push_back({{4, 6}, {1}});  // 抖音 云和交警 -> 县公安局
  accounts.rows.push_back({{3, 7}, {2}});  // 微信订阅号 云和教育 -> 县教育局
  p.tables.push_back(accounts);

  rb::EventTypeDef late;  // 0
  late.name = "portal_late_fix";
  late.fields = {field("unit", FieldKind::Unit)};
  late.unit_field = 0;
  p.events.push_back(late);

  rb::EventTypeDef interp;  // 1
  interp.name = "interp_substandard";
  interp.fields = {field("unit", FieldKind::Unit), field("level", FieldKind::Enum, 0),
                   field("id", FieldKind::Text, 0, true)};
  interp.unit_field = 0;
  p.events.push_back(interp);

  rb::EventTypeDef weekly;  // 2
  weekly.name = "nm_weekly_score";
  weekly.fields = {field("account", FieldKind::TableKey, 0, false, {"platform", "account"}),
                   field("score", FieldKind::Number), field("avg", FieldKind::Number, 0, true)};
  weekly.key_field = 0;
  weekly.unique = {{0, rb::kMaxFields}};
  p.events.push_back(weekly);

  rb::EventTypeDef prev;  // 3
  prev.name = "prev_year_eval";
  prev.fields = {field("unit", FieldKind::Unit), field("points", FieldKind::Number),
                 field("due", FieldKind::Date, 0, true)};
  prev.unit_field = 0;
  p.events.push_back(prev);
  return p;
}

struct Collect : rb::RecordSink {
  std::vector<Record> records;
  void accept(const Record& r) override { records.push_back(r); }
};

// Everything one reading produced.
struct Run {
  Program program = make_program();
  Symbols symbols{program.symbols};
  Collect sink;
  std::unique_ptr<EventReader> reader;
  explicit Run(ReadOptions options = {}) { reader = std::make_unique<EventReader>(program, symbols, options); }
  bool read(const std::string& text, const std::string& name = "events.jsonl", uint32_t index = 0) {
    return reader->read_buffer(text, name, index, sink);
  }
  const std::vector<InputError>& errors() const { return reader->errors(); }
  std::string all_errors() const {
    std::string out;
    for (const auto& e : errors()) out += rb::to_string(e) + "\n";
    return out;
  }
};

// The single error a one-bad-line input produces.
InputError only_error(const std::string& text, const std::string& name = "events.jsonl") {
  Run run;
  run.read(text, name);
  INFO(run.all_errors());
  REQUIRE(run.reader->error_count() == 1);
  REQUIRE(run.errors().size() == 1);
  return run.errors()[0];
}

const char* kGood =
    R"({"type": "portal_late_fix", "date": "2022-04-01", "unit": "县审计局"})";

std::string lines(std::initializer_list<std::string> ls) {
  std::string out;
  for (const auto& l : ls) out += l + "\n";
  return out;
}

std::filesystem::path scratch_dir() {
  auto dir = std::filesystem::temp_directory_path() / ("rb_reader_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return dir;
}

void write_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

std::string read_whole(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool same_record(const Record& a, const Record& b) {
  if (a.type != b.type || a.date != b.date || a.unit != b.unit || a.row != b.row || a.present != b.present)
    return false;
  for (size_t i = 0; i < rb::kMaxFields; ++i)
    if (!(a.fields[i] == b.fields[i])) return false;
  return true;
}

}  // namespace

TEST_CASE("symbols: compiled first, then interned in order", "[reader][symbols]") {
  Symbols s({"a", "b", "长名字长名字长名字"});
  CHECK(s.size() == 3);
  CHECK(s.find("a") == 0);
  CHECK(s.find("长名字长名字长名字") == 2);
  CHECK(s.find("c") == -1);
  CHECK(s.intern("b") == 1);
  CHECK(s.intern("c") == 3);
  CHECK(s.intern("一个相当长的新符号文本") == 4);
  CHECK(s.intern("c") == 3);
  CHECK(s.find("一个相当长的新符号文本") == 4);
  CHECK(s.text(4) == "一个相当长的新符号文本");
  CHECK(s.size() == 5);
}

TEST_CASE("csv splitter: quoting, CRLF, BOM, embedded newlines and line numbers", "[reader][csv]") {
  std::string data =
      "\xEF\xBB\xBF"
      "a,b,c\r\n"
      "\"x, y\",\"say \"\"hi\"\"\",plain\r\n"
      "\"two\nlines\",,\"\"\n"
      "\n"
      "last,row,\"end\"";
  CsvSplitter csv(data);
  REQUIRE(csv.next() == CsvSplitter::Status::Record);
  CHECK(csv.line() == 1);
  REQUIRE(csv.size() == 3);
  CHECK(csv.cell(0) == "a");  // the BOM is not part of the first cell
  CHECK(csv.cell(2) == "c");  // nor is the CR
  CHECK(csv.raw() == "a,b,c");

  REQUIRE(csv.next() == CsvSplitter::Status::Record);
  CHECK(csv.line() == 2);
  REQUIRE(csv.size() == 3);
  CHECK(csv.cell(0) == "x, y");
  CHECK(csv.cell(1) == "say \"hi\"");
  CHECK(csv.cell(2) == "plain");

  REQUIRE(csv.next() == CsvSplitter::Status::Record);
  CHECK(csv.line() == 3);
  REQUIRE(csv.size() == 3);
  CHECK(csv.cell(0) == "two\nlines");
  CHECK(csv.cell(1).empty());
  CHECK(csv.cell(2).empty());
  CHECK(csv.quoted(2));
  CHECK(csv.raw() == "\"two\nlines\",,\"\"");

  REQUIRE(csv.next() == CsvSplitter::Status::Record);  // the empty line 5
  CHECK(csv.line() == 5);
  CHECK(csv.blank());

  REQUIRE(csv.next() == CsvSplitter::Status::Record);
  CHECK(csv.line() == 6);
  REQUIRE(csv.size() == 3);
  CHECK(csv.cell(2) == "end");
  CHECK(csv.next() == CsvSplitter::Status::End);
}

TEST_CASE("csv splitter: malformed quoting is an error with its line, then reading resumes", "[reader][csv]") {
  std::string data =
      "h1,h2\n"
      "\"ok\ncontinued\",1\n"
      "\"closed\"junk,2\n"
      "bad\"quote,3\n"
      "fine,4\n"
      "\"never closed,5\n"
      "more\n";
  CsvSplitter csv(data);
  REQUIRE(csv.next() == CsvSplitter::Status::Record);
  REQUIRE(csv.next() == CsvSplitter::Status::Record);
  CHECK(csv.line() == 2);
  REQUIRE(csv.next() == CsvSplitter::Status::Error);
  CHECK(csv.error_line() == 4);
  CHECK(csv.raw() == "\"closed\"junk,2");
  CHECK(std::string(csv.error()).find("after a closing quote") != std::string::npos);
  REQUIRE(csv.next() == CsvSplitter::Status::Error);
  CHECK(csv.error_line() == 5);
  CHECK(std::string(csv.error()).find("unquoted") != std::string::npos);
  REQUIRE(csv.next() == CsvSplitter::Status::Record);
  CHECK(csv.line() == 6);
  CHECK(csv.cell(0) == "fine");
  REQUIRE(csv.next() == CsvSplitter::Status::Error);
  CHECK(csv.error_line() == 7);
  CHECK(std::string(csv.error()) == "unterminated quoted field");
  CHECK(csv.next() == CsvSplitter::Status::End);
}

TEST_CASE("reader: JSON Lines and CSV give the same records", "[reader]") {
  std::string jsonl = lines({
      R"({"type": "portal_late_fix", "date": "2022-04-01", "unit": "县审计局"})",
      R"({"type": "interp_substandard", "date": "2022-05-02", "unit": "县教育局", "level": "city", "id": "A-7"})",
      R"({"type": "interp_substandard", "date": "2022-05-03", "unit": "县教育局", "level": "county"})",
      R"({"type": "nm_weekly_score", "date": "2022-09-04", "platform": "抖音", "account": "云和交警", "score": 86.25, "avg": "90.5"})",
      R"({"type": "nm_weekly_score", "date": "2022-09-04", "platform": "微信订阅号", "account": "云和教育", "score": "-0.5"})",
      R"({"type": "prev_year_eval", "date": "2022-03-01", "unit": "县公安局", "points": 2, "due": "2022-06-30", "extra": [1, {"x": null}]})",
  });
  std::string csv =
      "type,date,unit,platform,account,level,id,score,avg,points,due,extra\n"
      "portal_late_fix,2022-04-01,县审计局,,,,,,,,,\n"
      "interp_substandard,2022-05-02,县教育局,,,city,A-7,,,,,\n"
      "interp_substandard,2022-05-03,县教育局,,,county,,,,,,\n"
      "nm_weekly_score,2022-09-04,,抖音,云和交警,,,86.25,90.5,,,\n"
      "nm_weekly_score,2022-09-04,,微信订阅号,云和教育,,,-0.5,,,,\n"
      "prev_year_eval,2022-03-01,县公安局,,,,,,,2,2022-06-30,whatever\n";
  Run a, b;
  REQUIRE(a.read(jsonl, "e.jsonl"));
  REQUIRE(b.read(csv, "e.csv"));
  INFO(a.all_errors() << b.all_errors());
  CHECK(a.reader->error_count() == 0);
  CHECK(b.reader->error_count() == 0);
  REQUIRE(a.sink.records.size() == 6);
  REQUIRE(b.sink.records.size() == 6);
  for (size_t i = 0; i < 6; ++i) {
    INFO("record " << i);
    CHECK(same_record(a.sink.records[i], b.sink.records[i]));
    CHECK(a.sink.records[i].line == i + 1);
    CHECK(b.sink.records[i].line == i + 2);
  }
  const auto& r = a.sink.records;
  CHECK(r[0].type == 0);
  CHECK(r[0].date == day(2022, 4, 1));
  CHECK(r[0].unit == 0);
  CHECK(r[0].present == 1u);
  CHECK(r[1].unit == 2);
  CHECK(r[1].fields[1] == rb::Rational(1));  // symbol of "city"
  CHECK(r[1].present == 7u);
  CHECK(a.symbols.text(static_cast<uint32_t>(r[1].fields[2].num)) == "A-7");
  CHECK(r[2].present == 3u);  // no id
  CHECK(r[2].fields[1] == rb::Rational(2));
  CHECK(r[3].unit == 1);  // the account's unit
  CHECK(r[3].row == 1);
  CHECK(r[3].fields[0] == rb::Rational(1));
  CHECK(r[3].fields[1] == rb::Rational::make(345, 4));  // 86.25 exactly
  CHECK(r[3].fields[2] == rb::Rational::make(181, 2));
  CHECK(r[4].unit == 2);
  CHECK(r[4].row == 2);
  CHECK(r[4].fields[1] == rb::Rational::make(-1, 2));
  CHECK(r[4].present == 3u);
  CHECK(r[5].fields[1] == rb::Rational(2));
  CHECK(r[5].fields[2] == rb::Rational(day(2022, 6, 30)));
  CHECK(a.reader->stats().records == 6);
  CHECK(a.reader->stats().in_period == 6);
  CHECK(b.reader->stats().records == 6);
}

TEST_CASE("reader: slots a record does not use are zero", "[reader]") {
  Run run;
  run.read(lines({
      R"({"type": "prev_year_eval", "date": "2022-03-01", "unit": "县教育局", "points": 7, "due": "2022-06-30"})",
      R"({"type": "portal_late_fix", "date": "2022-04-01", "unit": "县公安局"})",
      R"({"type": "prev_year_eval", "date": "2022-03-01", "unit": "县教育局", "points": 7})",
  }));
  REQUIRE(run.sink.records.size() == 3);
  CHECK(run.sink.records[0].fields[2] == rb::Rational(day(2022, 6, 30)));
  const Record& r = run.sink.records[1];
  CHECK(r.fields[0] == rb::Rational(1));
  CHECK(r.fields[1] == rb::Rational(0));
  CHECK(r.fields[2] == rb::Rational(0));
  CHECK(run.sink.records[2].present == 3u);
  CHECK(run.sink.records[2].fields[2] == rb::Rational(0));
}

TEST_CASE("reader: numbers are exact, from the text as written", "[reader]") {
  Run run;
  run.read(lines({
      R"({"type": "prev_year_eval", "date": "2022-03-01", "unit": "县审计局", "points": 0.1})",
      R"({"type": "prev_year_eval", "date": "2022-03-01", "unit": "县审计局", "points": 123456789.000001})",
      R"({"type": "prev_year_eval", "date": "2022-03-01", "unit": "县审计局", "points": " 3.30 "})",
      R"({"type": "prev_year_eval", "date": "2022-03-01", "unit": "县审计局", "points": 2.5000000000})",
  }));
  INFO(run.all_errors());
  REQUIRE(run.sink.records.size() == 4);
  CHECK(run.sink.records[0].fields[1] == rb::Rational::make(1, 10));
  CHECK(run.sink.records[1].fields[1] == rb::Rational::make(123456789000001LL, 1000000));
  CHECK(run.sink.records[3].fields[1] == rb::Rational::make(5, 2));  // trailing zeros are no decimals
  CHECK(run.sink.records[2].fields[1] == rb::Rational::make(33, 10));
}

TEST_CASE("reader: names are trimmed and aliases resolve", "[reader]") {
  Run run;
  run.read(lines({
      R"({"type": " portal_late_fix\t", "date": " 2022-04-01 ", "unit": " 县交警大队 "})",
      "{\"type\": \"portal_late_fix\", \"date\": \"2022-04-01\", \"unit\": \"\xE3\x80\x80县教育局\xE3\x80\x80\"}",
      R"({"type": "interp_substandard", "date": "2022-04-01", "unit": "县审计局", "level": " province"})",
      R"({"type": "nm_weekly_score", "date": "2022-04-03", "platform": " 抖音", "account": "云和交警  ", "score": 1})",
  }));
  INFO(run.all_errors());
  CHECK(run.reader->error_count() == 0);
  REQUIRE(run.sink.records.size() == 4);
  CHECK(run.sink.records[0].unit == 1);
  CHECK(run.sink.records[0].fields[0] == rb::Rational(1));
  CHECK(run.sink.records[1].unit == 2);
  CHECK(run.sink.records[2].fields[1] == rb::Rational(0));
  CHECK(run.sink.records[3].row == 1);
}

TEST_CASE("reader: blank lines are skipped but counted", "[reader]") {
  Run run;
  run.read(std::string("\xEF\xBB\xBF") + "\n  \r\n" + kGood + "\r\n\n" + "{\"type\": \"nope\", \"date\": \"2022-01-01\"}");
  CHECK(run.reader->stats().records == 2);
  REQUIRE(run.sink.records.size() == 1);
  CHECK(run.sink.records[0].line == 3);
  REQUIRE(run.errors().size() == 1);
  CHECK(run.errors()[0].line == 5);
}

TEST_CASE("reader: each kind of bad record names its line and problem", "[reader]") {
  struct Case {
    std::string line;
    std::string message;
  };
  const std::vector<Case> cases = {
      {R"({"type": "portal_warnin", "date": "2022-04-01", "unit": "县审计局"})",
       "unknown event type 'portal_warnin'"},
      {R"({"type": "portal_late_fx", "date": "2022-04-01", "unit": "县审计局"})",
       "unknown event type 'portal_late_fx' (did you mean portal_late_fix?)"},
      {R"({"date": "2022-04-01", "unit": "县审计局"})", "missing field 'type'"},
      {R"({"type": "portal_late_fix", "unit": "县审计局"})", "missing field 'date'"},
      {R"({"type": "portal_late_fix", "date": "4/1/2022", "unit": "县审计局"})",
       "field 'date' is not a date: '4/1/2022' (write 2022-03-05, 2022/3/5, 2022.3.5 or 2022年3月5日)"},
      {R"({"type": "portal_late_fix", "date": "2022-02-30", "unit": "县审计局"})",
       "field 'date' is not a calendar date: '2022-02-30'"},
      {R"({"type": "interp_substandard", "date": "2022-04-01", "unit": "县审计局"})", "missing field 'level'"},
      {R"({"type": "interp_substandard", "date": "2022-04-01", "unit": "县审计局", "level": ""})",
       "missing field 'level'"},
      {R"({"type": "interp_substandard", "date": "2022-04-01", "unit": "县审计局", "level": null})",
       "missing field 'level'"},
      {R"({"type": "interp_substandard", "date": "2022-04-01", "unit": "县审计局", "level": "town"})",
       "level 'town' is not one of province, city, county"},
      {R"({"type": "interp_substandard", "date": "2022-04-01", "unit": "县审计局", "level": true})",
       "field 'level' must be a string, not a boolean"},
      {R"({"type": "portal_late_fix", "date": "2022-04-01", "unit": "县审记局"})",
       "unknown unit '县审记局' (did you mean 县审计局?)"},
      {R"({"type": "portal_late_fix", "date": "2022-04-01", "unit": "火星局"})", "unknown unit '火星局'"},
      {R"({"type": "prev_year_eval", "date": "2022-03-01", "unit": "县审计局", "points": "one"})",
       "field 'points' is not a number: 'one'"},
      {R"({"type": "prev_year_eval", "date": "2022-03-01", "unit": "县审计局", "points": 1e3})",
       "field 'points' is not a number: '1e3' (exponents are not accepted)"},
      {R"({"type": "prev_year_eval", "date": "2022-03-01", "unit": "县审计局", "points": 99999999999999999999})",
       "field 'points' is not a number: '99999999999999999999' (beyond the range of 64-bit integers)"},
      {R"({"type": "prev_year_eval", "date": "2022-03-01", "unit": "县审计局", "points": "0.123456789012345678"})",
       "field 'points' has too many decimals: '0.123456789012345678'; numbers in events keep at most 6 decimals, round them in the source data"},
      {R"({"type": "prev_year_eval", "date": "2022-03-01", "unit": "县审计局", "points": 0.1234567})",
       "field 'points' has too many decimals: '0.1234567'; numbers in events keep at most 6 decimals, round them in the source data"},
      {R"({"type": "prev_year_eval", "date": "2022-03-01", "unit": "县审计局", "points": 1, "due": "2022-13-01"})",
       "field 'due' is not a calendar date: '2022-13-01'"},
      {R"({"type": "nm_weekly_score", "date": "2022-04-03", "platform": "微信订阅号", "account": "云和公", "score": 1})",
       "unknown account (微信订阅号, 云和公) (did you mean (微信订阅号, 云和公安)?)"},
      {R"({"type": "nm_weekly_score", "date": "2022-04-03", "platform": "微博", "account": "云和公安", "score": 1})",
       "unknown account (微博, 云和公安)"},
      {R"({"type": "nm_weekly_score", "date": "2022-04-03", "account": "云和公安", "score": 1})",
       "missing field 'platform'"},
      {R"({"type": "nm_weekly_score", "date": "2022-04-03", "platform": "抖音", "account": "云和交警", "unit": "县教育局", "score": 1})",
       "unit '县教育局' does not match account (抖音, 云和交警) of 县公安局"},
      {R"({"type": "nm_weekly_score", "date": "2022-04-03", "platform": "抖音", "account": "云和交警", "unit": "县税务局", "score": 1})",
       "unknown unit '县税务局'"},
      {R"({"type": "portal_late_fix", "date": "2022-04-01", "unit": "县审计局")", "not valid JSON"},
      {R"(["portal_late_fix", "2022-04-01"])", "not a JSON object"},
      {R"({"type": "portal_late_fix", "date": "2022-04-01", "unit": "县审计局"} {})", "text after the JSON object"},
      {R"({"type": "portal_late_fix", "date": "2022-04-01", "unit": "县审计局", "unit": "县教育局"})",
       "field 'unit' given twice"},
      {R"({"type": "portal_late_fix", "date": "2022-04-01", "unit": "县审计局", "other": tru})",
       "not valid JSON: bad value 'tru' for 'other'"},
      {R"({"type": "prev_year_eval", "date": "2022-03-01", "unit": "县审计局", "points": 01})",
       "not valid JSON: bad value '01' for 'points'"},
  };
  for (const auto& c : cases) {
    INFO(c.line);
    InputError e = only_error(lines({kGood, kGood, c.line, kGood}));
    CHECK(e.file == "events.jsonl");
    CHECK(e.line == 3);
    if (c.message == "not valid JSON" || c.message.rfind("unknown event type 'portal_warnin'", 0) == 0 ||
        c.message == "unknown account (微博, 云和公安)")
      CHECK(e.message.rfind(c.message, 0) == 0);
    else
      CHECK(e.message == c.message);
  }
  // The typo far from every name gets no suggestion; the close one does.
  CHECK(only_error(R"({"type": "portal_late_fix", "date": "2022-04-01", "unit": "火星局"})").message.find("did you mean") ==
        std::string::npos);
  CHECK(rb::to_string(only_error(lines({kGood, R"({"type": "x", "date": "2022-04-01"})"}))) ==
        "events.jsonl:2: unknown event type 'x'");
}

TEST_CASE("reader: a record with several problems reports each", "[reader]") {
  Run run;
  run.read(lines({kGood, R"({"type": "prev_year_eval", "date": "2022-02-29", "unit": "县无局", "points": "x"})"}));
  REQUIRE(run.reader->error_count() == 3);
  for (const auto& e : run.errors()) CHECK(e.line == 2);
  CHECK(run.errors()[0].message.find("calendar date") != std::string::npos);
  CHECK(run.errors()[1].message.find("unknown unit") != std::string::npos);
  CHECK(run.errors()[2].message.find("not a number") != std::string::npos);
  CHECK(run.reader->stats().rejected == 1);
  CHECK(run.sink.records.size() == 1);
}

TEST_CASE("reader: CSV rows are checked like JSON lines", "[reader][csv]") {
  std::string csv =
      "type,date,unit,level\n"
      "portal_late_fix,2022-04-01,县审计局,\n"
      "interp_substandard,2022-04-01,县审计局,town\n"
      "\"interp_substandard\",\"2022-04-01\",\"县审计局\",\"city\"\n"
      "portal_late_fix,2022-04-01\n"
      ",,,\n"
      "portal_late_fix,2022-04-01,\"县审\n计局\",\n"
      "portal_late_fix,2022-04-01,\"县审计局\"x,\n"
      "portal_late_fix,2022-04-01,\xFF\xFE,\n";
  Run run;
  run.read(csv, "in.csv");
  INFO(run.all_errors());
  REQUIRE(run.errors().size() == 5);
  CHECK(rb::to_string(run.errors()[0]) == "in.csv:3: level 'town' is not one of province, city, county");
  CHECK(rb::to_string(run.errors()[1]) == "in.csv:5: row has 2 cells but the header has 4");
  CHECK(rb::to_string(run.errors()[2]) == "in.csv:7: unknown unit '县审\\n计局' (did you mean 县审计局?)");
  CHECK(rb::to_string(run.errors()[3]) == "in.csv:9: unexpected character after a closing quote");
  CHECK(rb::to_string(run.errors()[4]).starts_with("in.csv:10: invalid UTF-8; the file looks like"));
  REQUIRE(run.sink.records.size() == 2);
  CHECK(run.sink.records[1].line == 4);
  CHECK(run.reader->stats().records == 7);
  CHECK(run.reader->stats().rejected == 5);
}

TEST_CASE("reader: a CSV header without type or date is one error", "[reader][csv]") {
  Run run;
  run.read("kind,date,unit\nportal_late_fix,2022-04-01,县审计局\nportal_late_fix,2022-04-01,县审计局\n", "in.csv");
  REQUIRE(run.reader->error_count() == 1);
  CHECK(rb::to_string(run.errors()[0]) == "in.csv:1: header has no 'type' column");
  CHECK(run.sink.records.empty());
  CHECK(run.reader->stats().rejected == 2);
}

TEST_CASE("reader: records outside the period are checked but not passed on", "[reader]") {
  Run run;
  run.read(lines({
      R"({"type": "portal_late_fix", "date": "2021-12-31", "unit": "县审计局"})",
      R"({"type": "portal_late_fix", "date": "2022-01-01", "unit": "县审计局"})",
      R"({"type": "portal_late_fix", "date": "2022-12-31", "unit": "县审计局"})",
      R"({"type": "portal_late_fix", "date": "2023-01-01", "unit": "县审计局"})",
      R"({"type": "portal_late_fix", "date": "2023-01-01", "unit": "县无此局"})",
  }));
  CHECK(run.reader->stats().records == 5);
  CHECK(run.reader->stats().in_period == 2);
  CHECK(run.reader->stats().out_of_period == 2);
  CHECK(run.reader->stats().rejected == 1);
  REQUIRE(run.sink.records.size() == 2);
  CHECK(run.sink.records[0].line == 2);
  CHECK(run.sink.records[1].line == 3);
  REQUIRE(run.errors().size() == 1);
  CHECK(run.errors()[0].line == 5);
}

TEST_CASE("reader: unique constraints hold within and across files", "[reader]") {
  auto dir = scratch_dir();
  write_file(dir / "a.jsonl",
             lines({kGood,
                    R"({"type": "nm_weekly_score", "date": "2022-09-04", "platform": "抖音", "account": "云和交警", "score": 1})",
                    R"({"type": "nm_weekly_score", "date": "2022-09-11", "platform": "抖音", "account": "云和交警", "score": 1})",
                    R"({"type": "nm_weekly_score", "date": "2022-09-04", "platform": "微信订阅号", "account": "云和公安", "score": 1})",
                    R"({"type": "nm_weekly_score", "date": "2022-09-04", "platform": "抖音", "account": " 云和交警", "score": 3})"}));
  write_file(dir / "b.csv",
             "type,date,platform,account,score\n"
             "nm_weekly_score,2022-09-11,抖音,云和交警,2\n"
             "nm_weekly_score,2022-09-18,抖音,云和交警,2\n");
  Run run;
  const std::string a = (dir / "a.jsonl").string(), b = (dir / "b.csv").string();
  REQUIRE(run.reader->read_file(a, 0, run.sink));
  REQUIRE(run.reader->read_file(b, 1, run.sink));
  INFO(run.all_errors());
  REQUIRE(run.errors().size() == 2);
  CHECK(run.errors()[0].file == a);
  CHECK(run.errors()[0].line == 5);
  CHECK(run.errors()[0].message ==
        "duplicate nm_weekly_score for (抖音, 云和交警, 2022-09-04): first at " + a + ":2");
  CHECK(run.errors()[1].file == b);
  CHECK(run.errors()[1].line == 2);
  CHECK(run.errors()[1].message ==
        "duplicate nm_weekly_score for (抖音, 云和交警, 2022-09-11): first at " + a + ":3");
  CHECK(run.sink.records.size() == 5);
  CHECK(run.sink.records.back().file == 1);
  CHECK(run.sink.records.back().line == 3);
  std::filesystem::remove_all(dir);
}

TEST_CASE("reader: skip_bad writes the bad records to the reject file", "[reader]") {
  auto dir = scratch_dir();
  const auto reject = dir / "rejects.jsonl";
  const std::string bad_json = R"({"type": "portal_late_fix", "date": "2022-04-01", "unit": "县无此局"})";
  write_file(dir / "a.jsonl", lines({kGood, bad_json, "not json at all", kGood}));
  write_file(dir / "b.csv",
             "\xEF\xBB\xBFtype,date,unit\r\n"
             "portal_late_fix,2022-04-01,县审计局\r\n"
             "portal_late_fix,2022-04-01,\"县\n无\"\r\n"
             "portal_late_fix,2022-04-01,\"县教育局\"\r\n"
             "bogus,2022-04-01,县审计局\r\n");
  ReadOptions options;
  options.skip_bad = true;
  options.reject_path = reject.string();
  {
    Run run(options);
    REQUIRE(run.reader->read_file((dir / "a.jsonl").string(), 0, run.sink));
    REQUIRE(run.reader->read_file((dir / "b.csv").string(), 1, run.sink));
    CHECK_FALSE(std::filesystem::exists(reject));  // written on finish, atomically
    REQUIRE(run.reader->finish());
    CHECK(run.reader->stats().rejected == 4);
    CHECK(run.reader->stats().in_period == 4);
    CHECK(run.reader->error_count() == 4);
    CHECK(run.sink.records.size() == 4);
    const std::string a = (dir / "a.jsonl").string(), b = (dir / "b.csv").string();
    CHECK(read_whole(reject) ==
          R"({"type":"portal_late_fix","date":"2022-04-01","unit":"县无此局","原因":"unknown unit '县无此局'","位置":")" + a +
              ":2\"}\n" + R"({"记录":"not json at all","原因":"not a JSON object","位置":")" + a + ":3\"}\n" +
              R"({"type":"portal_late_fix","date":"2022-04-01","unit":"县\n无","原因":"unknown unit '县\\n无'","位置":")" + b +
              ":3\"}\n" + R"({"type":"bogus","date":"2022-04-01","unit":"县审计局","原因":"unknown event type 'bogus'","位置":")" +
              b + ":6\"}\n");
    CHECK_FALSE(std::filesystem::exists(reject.string() + ".tmp"));
  }
  {
    // In the format the name says: CSV with a byte order mark, a workbook.
    ReadOptions csv_options = options;
    csv_options.reject_path = (dir / "rejects.csv").string();
    Run run(csv_options);
    REQUIRE(run.reader->read_file((dir / "b.csv").string(), 0, run.sink));
    REQUIRE(run.reader->finish());
    const std::string b = (dir / "b.csv").string();
    CHECK(read_whole(dir / "rejects.csv") == "\xEF\xBB\xBFtype,date,unit,原因,位置\r\n"
                                             "portal_late_fix,2022-04-01,\"县\n无\",unknown unit '县\\n无'," + b + ":3\r\n"
                                             "bogus,2022-04-01,县审计局,unknown event type 'bogus'," + b + ":6\r\n");
    ReadOptions xlsx_options = options;
    xlsx_options.reject_path = (dir / "rejects.xlsx").string();
    Run book(xlsx_options);
    REQUIRE(book.reader->read_file((dir / "b.csv").string(), 0, book.sink));
    REQUIRE(book.reader->finish());
    CHECK(read_whole(dir / "rejects.xlsx").starts_with("PK"));
  }
  {
    // Nothing rejected: no reject file, and the earlier one is gone.
    write_file(dir / "good.jsonl", lines({kGood}));
    Run run(options);
    REQUIRE(run.reader->read_file((dir / "good.jsonl").string(), 0, run.sink));
    REQUIRE(run.reader->finish());
    CHECK(run.reader->stats().rejected == 0);
    CHECK_FALSE(std::filesystem::exists(reject));
  }
  {
    // The reject file may not replace an input.
    ReadOptions clobber = options;
    clobber.reject_path = (dir / "a.jsonl").string();
    Run run(clobber);
    run.reader->read_file((dir / "a.jsonl").string(), 0, run.sink);
    CHECK_FALSE(run.reader->finish());
    CHECK(read_whole(dir / "a.jsonl").find("not json at all") != std::string::npos);
    CHECK(read_whole(dir / "a.jsonl").size() > 100);
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("reader: files that cannot be read", "[reader]") {
  auto dir = scratch_dir();
  Run run;
  CHECK_FALSE(run.reader->read_file((dir / "missing.jsonl").string(), 0, run.sink));
  write_file(dir / "events.txt", kGood);
  CHECK_FALSE(run.reader->read_file((dir / "events.txt").string(), 1, run.sink));
  REQUIRE(run.errors().size() == 2);
  CHECK(run.errors()[0].line == 0);
  CHECK(run.errors()[0].message.rfind("cannot open", 0) == 0);
  CHECK(run.errors()[1].message.rfind("unsupported input format", 0) == 0);
  CHECK(run.sink.records.empty());
  std::filesystem::remove_all(dir);
}

TEST_CASE("reader: only max_errors messages are kept, all are counted", "[reader]") {
  ReadOptions options;
  options.max_errors = 3;
  Run run(options);
  std::string text;
  for (int i = 0; i < 10; ++i) text += R"({"type": "nope", "date": "2022-01-01"})" "\n";
  run.read(text);
  CHECK(run.reader->error_count() == 10);
  REQUIRE(run.errors().size() == 3);
  CHECK(run.errors()[2].line == 3);
}

TEST_CASE("reader: garbage does not crash", "[reader]") {
  std::vector<std::string> inputs = {
      std::string("\0\0\0{\"type\"\0: 1}\n", 15),
      "{\"type\": \"portal_late_fix\", \"date\": \"2022-04-01\", \"unit\": \"\xC3\x28\"}\n",
      std::string(100000, '[') + "\n" + std::string(100000, '{'),
      "{\"x\": " + std::string(5000, '[') + std::string(5000, ']') + ", \"type\": \"portal_late_fix\"}",
      "{\"type\": \"prev_year_eval\", \"date\": \"2022-03-01\", \"unit\": \"县审计局\", \"points\": " +
          std::string(400, '9') + "}",
      "{\"type\": \"prev_year_eval\", \"date\": \"2022-03-01\", \"unit\": \"县审计局\", \"points\": -1e999999}",
      "{\"type\": \"portal_late_fix\", \"date\": \"2022-04-01\", \"unit\": \"" + std::string(1 << 20, 'x') + "\"}",
      "{\"type\": \"portal_late_fix\", \"date\": \"2022-04-01\", \"unit\": \"县审",
      "{\"type\": \"portal_late_fix\", \"date\": \"2022-04-01\", \"unit\": \"\\ud800\"}",
      "{\"type\": \"portal_late_fix\", \"date\": \"99999-04-01\", \"unit\": 12}",
      "{\"type\": {\"a\": 1}, \"date\": [], \"unit\": false}",
      "}{",
      "\"just a string\"",
      "123",
      "null",
  };
  std::mt19937 rng(42);
  for (int i = 0; i < 200; ++i) {
    std::string s(static_cast<size_t>(rng() % 300), '\0');
    for (auto& c : s) c = static_cast<char>(rng() % 256);
    inputs.push_back(s);
    std::string t = kGood;  // a good line with bytes flipped
    for (int k = 0; k < 3; ++k) t[rng() % t.size()] = static_cast<char>(rng() % 256);
    inputs.push_back(t);
  }
  for (size_t i = 0; i < inputs.size(); ++i) {
    INFO("input " << i);
    for (const char* name : {"g.jsonl", "g.csv"}) {
      Run run;
      // A CSV file in no known encoding is refused, with one message for the file.
      if (!run.read(inputs[i], name)) {
        CHECK(std::string(name) == "g.csv");
        INFO(run.all_errors());
        REQUIRE(!run.errors().empty());
        CHECK(run.errors().back().line == 0);
        CHECK(run.errors().back().message.starts_with("the text is not"));
      }
      CHECK(run.reader->stats().records ==
            run.reader->stats().in_period + run.reader->stats().out_of_period + run.reader->stats().rejected);
    }
    if (i < 15) {  // the hand-made ones are all bad as JSON
      Run run;
      run.read(inputs[i]);
      CHECK(run.reader->error_count() > 0);
      CHECK(run.sink.records.empty());
    }
  }
}

namespace {

// `text` (UTF-8) in another encoding, through iconv as a second opinion on ours.
std::string encode(const std::string& text, const char* to) {
  iconv_t cd = iconv_open(to, "UTF-8");
  REQUIRE(cd != reinterpret_cast<iconv_t>(-1));
  std::string out(text.size() * 4 + 16, '\0');
  char* in = const_cast<char*>(text.data());
  size_t left = text.size();
  char* o = out.data();
  size_t room = out.size();
  REQUIRE(iconv(cd, &in, &left, &o, &room) != static_cast<size_t>(-1));
  iconv_close(cd);
  out.resize(out.size() - room);
  return out;
}

const char* kCsv =
    "type,date,unit,level,id\n"
    "portal_late_fix,2022-04-01,县审计局,,\n"
    "interp_substandard,2022-05-02,县教育局,city,甲-7\n"
    "portal_late_fix,2022-06-03,县交警大队,,\n";

// Reads `text` as in.csv and checks it gives kCsv's three records, with their lines.
void check_same_as_utf8(const std::string& text, ReadOptions options = {}) {
  Run want, got(options);
  REQUIRE(want.read(kCsv, "in.csv"));
  REQUIRE(got.read(text, "in.csv"));
  INFO(got.all_errors());
  CHECK(got.reader->error_count() == 0);
  REQUIRE(got.sink.records.size() == 3);
  for (size_t i = 0; i < 3; ++i) {
    CHECK(same_record(want.sink.records[i], got.sink.records[i]));
    CHECK(got.sink.records[i].line == i + 2);
  }
  CHECK(got.symbols.text(static_cast<uint32_t>(got.sink.records[1].fields[2].num)) == "甲-7");
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) s.replace(at, from.size(), to);
  return s;
}

}  // namespace

TEST_CASE("reader: CSV in each encoding, detected", "[reader][csv][encoding]") {
  SECTION("UTF-8 with a byte order mark") { check_same_as_utf8("\xEF\xBB\xBF" + std::string(kCsv)); }
  SECTION("GB18030 (GBK), as Excel saves CSV on Chinese Windows, with CRLF") {
    check_same_as_utf8(encode(replace_all(kCsv, "\n", "\r\n"), "GB18030"));
  }
  SECTION("UTF-16 LE with its byte order mark") { check_same_as_utf8(encode("\xEF\xBB\xBF" + std::string(kCsv), "UTF-16LE")); }
  SECTION("UTF-16 BE with its byte order mark") { check_same_as_utf8(encode("\xEF\xBB\xBF" + std::string(kCsv), "UTF-16BE")); }
}

TEST_CASE("reader: CSV encoding chosen with the option", "[reader][csv][encoding]") {
  ReadOptions gbk;
  gbk.encoding = rb::Encoding::Gb18030;
  check_same_as_utf8(encode(kCsv, "GBK"), gbk);
  CHECK(rb::parse_encoding("GBK") == rb::Encoding::Gb18030);
  CHECK(rb::parse_encoding("utf-16le") == rb::Encoding::Utf16Le);
  CHECK(!rb::parse_encoding("latin-1"));

  // A GBK file read as UTF-8: one message with the advice, and one line counting the rest.
  ReadOptions utf8;
  utf8.encoding = rb::Encoding::Utf8;
  Run run(utf8);
  run.read(encode(kCsv, "GBK"), "in.csv");
  REQUIRE(run.errors().size() == 2);
  CHECK(rb::to_string(run.errors()[0]).starts_with("in.csv:2: invalid UTF-8; the file looks like GB18030/GBK. Save it as \"CSV UTF-8\""));
  CHECK(rb::to_string(run.errors()[1]) == "in.csv:2: and 2 more rows that are not valid UTF-8");
  CHECK(run.reader->stats().rejected == 3);
}

TEST_CASE("reader: a CSV file in no known encoding is refused once, with the advice", "[reader][csv][encoding]") {
  Run run;
  CHECK_FALSE(run.read("type,date,unit\n" + encode("portal_late_fix,2022-04-01,é\n", "LATIN1") +
                           encode("portal_late_fix,2022-04-01,ü\n", "LATIN1"),
                       "in.csv"));
  REQUIRE(run.errors().size() == 1);
  CHECK(rb::to_string(run.errors()[0]) ==
        "in.csv: the text is not UTF-8, GB18030/GBK or UTF-16 with a byte order mark; it looks like a Western code "
        "page (Windows-1252 or Latin-1). " + std::string(rb::text(rb::Msg::save_as_utf8)));
  CHECK(run.sink.records.empty());
}

TEST_CASE("reader: CSV line ends LF, CRLF and CR give the same records and lines", "[reader][csv]") {
  SECTION("LF") { check_same_as_utf8(kCsv); }
  SECTION("CRLF") { check_same_as_utf8(replace_all(kCsv, "\n", "\r\n")); }
  SECTION("CR, as old Mac exports write") { check_same_as_utf8(replace_all(kCsv, "\n", "\r")); }
  SECTION("CR with a quoted line break") {
    Run run;
    run.read(replace_all("type,date,unit,level,id\nportal_late_fix,2022-04-01,县审计局,,\"a\nb\"\nportal_late_fix,2022-04-02,县审计局,,\n", "\n", "\r"),
             "in.csv");
    INFO(run.all_errors());
    CHECK(run.reader->error_count() == 0);
    REQUIRE(run.sink.records.size() == 2);
    CHECK(run.sink.records[1].line == 4);
  }
}

TEST_CASE("reader: dates as people type them", "[reader][dates]") {
  const int32_t want = day(2022, 3, 5);
  for (const char* text : {"2022-03-05", "2022-3-5", "2022/3/5", "2022/03/05", "2022.3.5", "2022年3月5日",
                           "2022年03月05日", "2022-03-05 10:30", "2022/3/5 10:30:00", "2022-03-05T10:30:00.000"}) {
    INFO(text);
    Run run;
    run.read(fmt::format("{{\"type\": \"portal_late_fix\", \"date\": \"{}\", \"unit\": \"县审计局\"}}\n", text));
    INFO(run.all_errors());
    REQUIRE(run.sink.records.size() == 1);
    CHECK(run.sink.records[0].date == want);
  }
  for (const char* text : {"2022-3/5", "5/3/2022", "2022年3月5", "20220305", "2022-03-05 noon", "2022/3/5/"}) {
    INFO(text);
    CHECK(only_error(fmt::format("{{\"type\": \"portal_late_fix\", \"date\": \"{}\", \"unit\": \"县审计局\"}}\n", text))
              .message == fmt::format("field 'date' is not a date: '{}' (write 2022-03-05, 2022/3/5, 2022.3.5 or "
                                      "2022年3月5日)",
                                      text));
  }
  CHECK(only_error(R"({"type": "portal_late_fix", "date": "2022年2月30日", "unit": "县审计局"})" "\n").message ==
        "field 'date' is not a calendar date: '2022年2月30日'");
}

TEST_CASE("reader: display names as CSV headers and values, codes still work", "[reader][csv]") {
  Program program = make_program();
  program.events[1].display = "政策解读不规范通报";
  program.events[1].fields[0].display = "单位";
  program.events[1].fields[1].display = "通报级别";
  program.events[2].display = "新媒体周评分";
  program.tables[0].columns = {"新媒体类型", "新媒体名称"};
  Symbols symbols{program.symbols};
  Collect sink;
  EventReader reader(program, symbols, {});
  const std::string csv =
      "类型,日期,单位,通报级别,新媒体类型,新媒体名称,score\n"
      "政策解读不规范通报,2022/5/2,县教育局,市政府办公室,,,\n"
      "interp_substandard,2022-05-03,县教育局,city,,,\n"
      "新媒体周评分,2022年9月4日,,,抖音,云和交警,86\n"
      "政策解读不规范通报,2022-05-04,县教育局,省办,,,\n";
  REQUIRE(reader.read_buffer(csv, "in.csv", 0, sink));
  REQUIRE(reader.errors().size() == 1);
  CHECK(rb::to_string(reader.errors()[0]) == "in.csv:5: level '省办' is not one of province, city, county");
  REQUIRE(sink.records.size() == 3);
  CHECK(same_record(sink.records[0], sink.records[1]) == false);  // different dates
  CHECK(sink.records[0].type == 1);
  CHECK(sink.records[0].fields[1] == rb::Rational(1));  // 市政府办公室 is city
  CHECK(sink.records[1].fields[1] == rb::Rational(1));
  CHECK(sink.records[0].date == day(2022, 5, 2));
  CHECK(sink.records[2].type == 2);
  CHECK(sink.records[2].row == 1);
  CHECK(sink.records[2].date == day(2022, 9, 4));
}
