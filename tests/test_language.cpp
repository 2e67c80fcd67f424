// Language tests as files: each tests/lang/*.rules is a small rulebook with its events and
// expectations in special comments, all run by this one runner (as Wren and clox keep
// their suites):
//   #> {"type": ..., ...}          an input record (JSON Lines), in order
//   #= UNIT NAME VALUE             after the run, node NAME (得分, a category, group or
//                                  item) of UNIT is VALUE (exact decimal)
//   #= UNIT 否决 是|否              whether UNIT is vetoed
//   #= UNIT 参与考核 是|否          whether UNIT is assessed
//   #= UNIT 等级 NAME               UNIT's grade (等级), - for none
//   #= UNIT ITEM.名次 N             UNIT's rank in the ranking of ITEM (0: not ranked)
//   #= UNIT ITEM.名次 N/M           ... among M ranked units
//   #! LINE: TEXT                  compiling reports an error on LINE whose message or
//                                  hint contains TEXT (then nothing is run)
//   #? LINE: TEXT                  reading the records reports an error on input LINE
//   #~ LINE: TEXT                  compiling warns on LINE with TEXT; a file with such lines
//                                  must produce exactly these warnings and no others
//   #!zh LINE: TEXT                as #! and #~, but the message or hint is the Chinese one
//   #~zh LINE: TEXT                (the file is compiled again with messages in Chinese)
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "compiler/compiler.hpp"
#include "compiler/parser.hpp"
#include "runtime/messages.hpp"
#include "runtime/reader.hpp"
#include "runtime/vm.hpp"

namespace fs = std::filesystem;
using namespace rb;

namespace {

struct Expectation {
  std::string unit, name, value;
  int line;
};
struct ExpectedError {
  uint32_t line;
  std::string text;
};

std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class Collect : public RecordSink {
 public:
  explicit Collect(Machine& m) : m_(m) {}
  void accept(const Record& r) override { m_.accept(r); }
  Machine& m_;
};

// The #!zh and #~zh lines: compiled with messages in Chinese, some diagnostic on LINE says
// TEXT in its message or hint.
void check_in_chinese(const fs::path& path, const std::vector<ExpectedError>& expected) {
  const Lang before = language();
  set_language(Lang::Zh);
  Diagnostics diags;
  (void)compile_file(path.string(), diags);
  set_language(before);
  for (const auto& want : expected) {
    const bool found = std::any_of(diags.all().begin(), diags.all().end(), [&](const Diagnostic& d) {
      return d.span.line == want.line &&
             (d.message.find(want.text) != std::string::npos || d.hint.find(want.text) != std::string::npos);
    });
    INFO("expected a Chinese diagnostic on line " << want.line << ": " << want.text);
    for (const auto& d : diags.all()) INFO("got " << d.span.line << ":" << d.span.col << ": " << d.message << " / " << d.hint);
    CHECK(found);
  }
}

void run_case(const fs::path& path) {
  std::string source = read_all(path);
  std::istringstream lines(source);
  std::string line, events;
  std::vector<Expectation> expects;
  std::vector<ExpectedError> compile_errors, input_errors, warnings, chinese;
  int line_no = 0;
  while (std::getline(lines, line)) {
    ++line_no;
    if (line.rfind("#> ", 0) == 0) events += line.substr(3) + "\n";
    if (line.rfind("#= ", 0) == 0) {
      std::istringstream w(line.substr(3));
      Expectation e;
      e.line = line_no;
      w >> e.unit >> e.name >> e.value;
      expects.push_back(e);
    }
    if (line.rfind("#! ", 0) == 0 || line.rfind("#? ", 0) == 0 || line.rfind("#~ ", 0) == 0) {
      auto colon = line.find(':', 3);
      ExpectedError e{static_cast<uint32_t>(std::stoul(line.substr(3, colon - 3))), line.substr(colon + 2)};
      (line[1] == '!' ? compile_errors : line[1] == '?' ? input_errors : warnings).push_back(e);
    }
    if (line.rfind("#!zh ", 0) == 0 || line.rfind("#~zh ", 0) == 0) {
      auto colon = line.find(':', 5);
      chinese.push_back({static_cast<uint32_t>(std::stoul(line.substr(5, colon - 5))), line.substr(colon + 2)});
    }
  }
  if (!chinese.empty()) check_in_chinese(path, chinese);

  Diagnostics diags;
  auto program = compile_file(path.string(), diags);
  if (!compile_errors.empty()) {
    CHECK_FALSE(program.has_value());
    for (const auto& want : compile_errors) {
      bool found = false;
      for (const auto& d : diags.all())
        found = found || (d.span.line == want.line && (d.message.find(want.text) != std::string::npos ||
                                                       d.hint.find(want.text) != std::string::npos));
      INFO("expected error on line " << want.line << ": " << want.text);
      for (const auto& d : diags.all()) INFO("got " << d.span.line << ":" << d.span.col << ": " << d.message << " / " << d.hint);
      CHECK(found);
    }
    return;
  }
  std::string report;
  for (const auto& d : diags.all()) report += render(d, source);
  INFO(report);
  REQUIRE(program.has_value());
  if (!warnings.empty()) {
    std::vector<const Diagnostic*> got;
    for (const auto& d : diags.all())
      if (d.severity == Severity::Warning) got.push_back(&d);
    for (const auto& want : warnings) {
      bool found = std::any_of(got.begin(), got.end(), [&](const Diagnostic* d) {
        return d->span.line == want.line && (d->message.find(want.text) != std::string::npos);
      });
      INFO("expected warning on line " << want.line << ": " << want.text);
      CHECK(found);
    }
    for (const Diagnostic* d : got) {
      bool expected = std::any_of(warnings.begin(), warnings.end(), [&](const ExpectedError& w) { return w.line == d->span.line; });
      INFO("unexpected warning " << d->span.line << ": " << d->message);
      CHECK(expected);
    }
  }

  fs::path events_path = fs::temp_directory_path() / (path.stem().string() + ".events.jsonl");
  std::ofstream(events_path, std::ios::binary) << events;
  Machine machine(*program);
  Symbols symbols(program->symbols);
  EventReader reader(*program, symbols, {});
  Collect sink(machine);
  REQUIRE(reader.read_file(events_path.string(), 0, sink));
  reader.finish();
  if (!input_errors.empty()) {
    for (const auto& want : input_errors) {
      bool found = false;
      for (const auto& e : reader.errors()) found = found || (e.line == want.line && e.message.find(want.text) != std::string::npos);
      INFO("expected input error on line " << want.line << ": " << want.text);
      for (const auto& e : reader.errors()) INFO("got " << e.line << ": " << e.message);
      CHECK(found);
    }
    return;
  }
  for (const auto& e : reader.errors()) INFO("input error " << e.line << ": " << e.message);
  REQUIRE(reader.error_count() == 0);
  Result result = machine.finish({});
  for (const auto& want : expects) {
    INFO(path.filename().string() << ":" << want.line << ": " << want.unit << " " << want.name);
    auto u = std::find_if(result.units.begin(), result.units.end(), [&](const UnitResult& x) { return x.unit == want.unit; });
    REQUIRE(u != result.units.end());
    if (want.name == "否决") {
      CHECK(u->vetoed == (want.value == "是"));
      continue;
    }
    if (want.name == "参与考核") {
      CHECK(u->assessed == (want.value == "是"));
      continue;
    }
    if (want.name == "等级") {
      CHECK(u->grade == (want.value == "-" ? "" : want.value));
      continue;
    }
    if (auto dot = want.name.find(".名次"); dot != std::string::npos) {
      auto info = std::find_if(result.items.begin(), result.items.end(),
                               [&](const ItemInfo& v) { return v.name == want.name.substr(0, dot); });
      REQUIRE(info != result.items.end());
      const auto item = u->items.begin() + (info - result.items.begin());
      CHECK(item->has_rank);
      auto slash = want.value.find('/');
      CHECK(item->rank == std::stoll(want.value.substr(0, slash)));
      if (slash != std::string::npos) CHECK(item->ranked == std::stoul(want.value.substr(slash + 1)));
      continue;
    }
    auto got = value_of(result, *u, want.name);
    REQUIRE(got.has_value());
    auto expected = parse_decimal(want.value);
    if (!expected) {  // a fraction such as 10/3
      auto slash = want.value.find('/');
      REQUIRE(slash != std::string::npos);
      expected = *parse_decimal(want.value.substr(0, slash)) / *parse_decimal(want.value.substr(slash + 1));
    }
    CHECK(format_decimal(*got, 6) == format_decimal(*expected, 6));
  }
}

}  // namespace

TEST_CASE("language tests in tests/lang") {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(fs::path(RB_SOURCE_DIR) / "tests" / "lang"))
    if (entry.path().extension() == ".rules") files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  REQUIRE(files.size() >= 10);
  for (const auto& f : files) {
    SECTION(f.filename().string()) { run_case(f); }
  }
}
