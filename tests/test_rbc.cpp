// The .rbc format, the verifier and the disassembler, over a small hand-built program that
// uses every part of Program: exact round trips, a golden listing, and every kind of
// damaged or crafted file rejected with the right sentence and without a crash.
#include <fmt/format.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <functional>
#include <initializer_list>
#include <string>
#include <vector>

#include "../runtime/disasm.hpp"
#include "../runtime/rbc_file.hpp"

namespace {

using namespace rb;

constexpr size_t kHeaderSize = 24;

// Appends instructions to Program::code and line entries to Program::lines.
class Assembler {
 public:
  explicit Assembler(Program& p) : p_(p) {}

  uint32_t here() const { return static_cast<uint32_t>(p_.code.size()); }
  void line(uint32_t source_line) { p_.lines.push_back({here(), source_line}); }

  uint32_t emit(Op op, std::initializer_list<int> operands = {}) {
    const uint32_t at = here();
    p_.code.push_back(static_cast<uint8_t>(op));
    for (int v : operands) put16(static_cast<uint16_t>(v));
    return at;
  }
  // A jump to be aimed later by land().
  uint32_t jump(Op op) { return emit(op, {0}); }
  void land(uint32_t jump_at) {
    const int offset = static_cast<int>(here()) - static_cast<int>(jump_at + 3);
    p_.code[jump_at + 1] = static_cast<uint8_t>(offset & 0xFF);
    p_.code[jump_at + 2] = static_cast<uint8_t>((offset >> 8) & 0xFF);
  }

 private:
  void put16(uint16_t v) {
    p_.code.push_back(static_cast<uint8_t>(v & 0xFF));
    p_.code.push_back(static_cast<uint8_t>(v >> 8));
  }
  Program& p_;
};

Rational fraction(int64_t num, int64_t den) { return Rational::make(num, den); }

FieldDef field(std::string name, FieldKind kind, uint32_t ref = 0) {
  FieldDef f;
  f.name = std::move(name);
  f.kind = kind;
  f.ref = ref;
  return f;
}

NodeDef node(std::string name, NodeKind kind, int32_t parent = -1, std::string citation = "", uint32_t line = 0) {
  NodeDef n;
  n.name = std::move(name);
  n.kind = kind;
  n.parent = parent;
  n.citation = std::move(citation);
  n.source_line = line;
  return n;
}

// A rulebook in miniature: inspections add (weighted) penalty points per unit and keep
// the worst finding per item; posts of table-keyed accounts feed a gap and a streak
// accumulator; phase 2 sums items into a category, averages it over towns, ranks it, and
// computes the score.
Program demo_program() {
  Program p;
  p.title = "Demo rulebook";
  p.source_name = "demo.rules";
  p.period_from = days_from_civil(2022, 1, 1);
  p.period_to = days_from_civil(2022, 12, 31);
  p.base_score = 100;
  p.score_low = 0;
  p.score_high = 100;
  p.params = {{"weight", fraction(3, 2)}};
  p.units = {"north", "south", "east"};
  p.aliases = {{"northern", 0}};
  p.symbols = {"minor", "major", "wechat", "news-a", "news-b"};
  p.enums = {{"severity", {0, 1}, {"轻微", ""}}};
  p.tables = {{"accounts", {"platform", "account"}, {{{2, 3}, {0}}, {{2, 4}, {1}}}}};
  p.unit_sets = {{"towns", {1, 2}}};
  p.value_sets = {{0, fraction(1, 2)}};
  p.constants = {1, 100, fraction(1, 3), fraction(1, 4)};

  p.accumulators = {
      {.kind = AccKind::Sum, .description = {"扣分", "penalty points"}},
      {.kind = AccKind::KeyMax, .exclude = 2, .description = {"每项取最重", "worst finding per item"}},
      {.kind = AccKind::KeySet, .description = {"免责事项", "excused items"}},
      {.kind = AccKind::DayGaps, .table = 0, .days = 7, .description = {"未更新的周", "weeks without a post"}},
      {.kind = AccKind::DayStreak,
       .table = 0,
       .days = 1,
       .times = 3,
       .description = {"连续 3 天无原创", "3 days in a row without original posts"}},
  };

  p.nodes = {
      node("score", NodeKind::Score),
      node("vetoed", NodeKind::Vetoed),
      node("quality", NodeKind::Category, -1, "Art. 3", 40),
      node("inspection findings", NodeKind::Item, 2, "Art. 3(1)", 41),
      node("posting", NodeKind::Item, 2, "Art. 3(2)", 42),
      node("bonus", NodeKind::Category, -1, "Art. 5", 50),
      node("ranking bonus", NodeKind::Item, 5, "Art. 5(1)", 51),
      node("town mean", NodeKind::Output),
      node("is town", NodeKind::Hidden),
  };
  p.nodes[2].role = CategoryRole::Deduction;
  p.nodes[5].role = CategoryRole::Bonus;
  p.nodes[3].has_cap = p.nodes[4].has_cap = true;
  p.nodes[3].cap = 20;
  p.nodes[4].cap = 10;
  p.score_node = 0;
  p.vetoed_node = 1;
  p.categories = {2, 5};
  p.outputs = {7};

  Assembler a(p);
  EventTypeDef inspection;
  inspection.name = "inspection";
  inspection.fields = {field("unit", FieldKind::Unit), field("severity", FieldKind::Enum, 0),
                       field("points", FieldKind::Number), field("item", FieldKind::Text)};
  inspection.unit_field = 0;
  inspection.unique = {{3, kMaxFields}};
  inspection.handler.begin = a.here();
  a.line(20);  // amount = if severity = major then points * weight else points
  a.emit(Op::FIELD, {1});
  a.emit(Op::CONST, {0});
  a.emit(Op::EQ);
  const uint32_t to_else = a.jump(Op::JUMP_IF_NOT);
  a.emit(Op::FIELD, {2});
  a.emit(Op::PARAM, {0});
  a.emit(Op::MUL);
  const uint32_t to_join = a.jump(Op::JUMP);
  a.land(to_else);
  a.emit(Op::FIELD, {2});
  a.land(to_join);
  a.line(21);
  a.emit(Op::ACC_KEY_MAX, {1, 3});
  a.emit(Op::FIELD, {2});
  a.emit(Op::ACC_ADD, {0});
  a.line(22);  // trivial findings excuse their item
  a.emit(Op::FIELD, {2});
  a.emit(Op::IN_SET, {0});
  const uint32_t to_end = a.jump(Op::JUMP_IF_NOT);
  a.emit(Op::ACC_KEY_MARK, {2, 3});
  a.land(to_end);
  a.emit(Op::HALT);
  inspection.handler.end = a.here();

  EventTypeDef post;
  post.name = "post";
  post.fields = {field("account", FieldKind::TableKey, 0), field("original", FieldKind::Number)};
  post.fields[0].key_fields = {"platform", "account"};
  post.fields[1].optional = true;
  post.key_field = 0;
  post.handler.begin = a.here();
  a.line(30);
  a.emit(Op::ACC_DAY_MARK, {3});
  a.emit(Op::FIELD, {1});
  a.emit(Op::NOT);
  a.emit(Op::ACC_DAY_FLAG, {4});
  a.emit(Op::HALT);
  post.handler.end = a.here();
  p.events = {inspection, post};

  Step items;
  items.code.begin = a.here();
  a.line(41);
  a.emit(Op::ACC, {0});
  a.emit(Op::ACC, {1});
  a.emit(Op::ADD);
  a.emit(Op::STORE, {3});
  a.line(42);
  a.emit(Op::ACC, {3});
  a.emit(Op::ACC, {4});
  a.emit(Op::ADD);
  a.emit(Op::CONST, {3});
  a.emit(Op::MUL);
  a.emit(Op::STORE, {4});
  a.line(40);
  a.emit(Op::NODE, {3});
  a.emit(Op::NODE, {4});
  a.emit(Op::ADD);
  a.emit(Op::STORE, {2});
  a.line(55);
  a.emit(Op::UNIT_IN, {0});
  a.emit(Op::STORE, {8});
  a.emit(Op::HALT);
  items.code.end = a.here();

  Step mean;
  mean.kind = StepKind::Mean;
  mean.input = 2;
  mean.condition = 8;
  mean.output = 7;

  Step rank;
  rank.kind = StepKind::Rank;
  rank.input = 2;
  rank.output = 6;
  rank.descending = false;
  rank.tie = TieKind::Dense;
  rank.has_skip = true;
  rank.skip = 0;
  rank.awards = {{AwardKind::Rank, 1, 3}, {AwardKind::Rank, 2, fraction(3, 2)}};

  Step total;
  total.code.begin = a.here();
  a.line(60);  // score = 100 - quality + ranking bonus / 3
  a.emit(Op::CONST, {1});
  a.emit(Op::NODE, {2});
  a.emit(Op::SUB);
  a.emit(Op::NODE, {6});
  a.emit(Op::CONST, {2});
  a.emit(Op::MUL);
  a.emit(Op::ADD);
  a.emit(Op::STORE, {0});
  a.line(61);  // vetoed when the deductions reach 100
  a.emit(Op::NODE, {2});
  a.emit(Op::CONST, {1});
  a.emit(Op::GE);
  a.emit(Op::STORE, {1});
  a.emit(Op::HALT);
  total.code.end = a.here();

  p.steps = {items, mean, rank, total};
  return p;
}

std::variant<Program, LoadError> load(const std::vector<uint8_t>& file) {
  return deserialize(file.data(), file.size());
}

std::string load_error(const std::vector<uint8_t>& file) {
  auto result = load(file);
  return std::holds_alternative<LoadError>(result) ? std::get<LoadError>(result).message : "(loaded)";
}

// Rewrites the header's checksum to match the payload, as a crafted file would.
void fix_checksum(std::vector<uint8_t>& file) {
  uint64_t sum = rbc_checksum(file.data() + kHeaderSize, file.size() - kHeaderSize);
  for (int i = 0; i < 8; ++i) file[16 + i] = static_cast<uint8_t>(sum >> (8 * i));
}

void set_u32(std::vector<uint8_t>& file, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) file[at + i] = static_cast<uint8_t>(v >> (8 * i));
}

// The single problem verify() reports after `tamper` changes the demo program.
std::vector<std::string> problems_after(const std::function<void(Program&)>& tamper) {
  Program p = demo_program();
  tamper(p);
  return verify(p);
}

}  // namespace

TEST_CASE("rbc: the demo program is valid") { CHECK(verify(demo_program()).empty()); }

TEST_CASE("rbc: round trip is exact") {
  const Program original = demo_program();
  const std::vector<uint8_t> file = serialize(original);
  auto result = load(file);
  REQUIRE(std::holds_alternative<Program>(result));
  const Program& loaded = std::get<Program>(result);
  CHECK(serialize(loaded) == file);
  CHECK(loaded.title == original.title);
  CHECK(loaded.code == original.code);
  CHECK(loaded.params[0].value == fraction(3, 2));
  CHECK(loaded.steps[2].awards[1].amount == fraction(3, 2));
  CHECK(loaded.events[1].fields[0].key_fields == std::vector<std::string>{"platform", "account"});
  // Descriptions keep both languages, so a rulebook compiled in one explains in the other.
  CHECK(loaded.accumulators[0].description.zh == "扣分");
  CHECK(loaded.accumulators[0].description.en == "penalty points");
  CHECK(disassemble(loaded) == disassemble(original));
}

TEST_CASE("rbc: a program without nodes is rejected on load") {
  // Every program has a score node and a veto node for the VM to read.
  Program p;
  CHECK_FALSE(verify(p).empty());
  const std::vector<uint8_t> file = serialize(p);
  CHECK(load_error(file) == "invalid bytecode: the score: node 0 is out of range (0 nodes) (and 1 more problem)");
}

TEST_CASE("rbc: disassembly") {
  const std::string expected = R"(rulebook "Demo rulebook" (demo.rules)
period 2022-01-01 to 2022-12-31
score: base 100, range 0 to 100
parameter 0 "weight" = 1.5
3 units, 1 table, 2 event types, 5 accumulators, 9 nodes, 4 steps, 4 constants, 130 bytes of code

event type 0 "inspection": fields 0 unit, 1 severity, 2 points, 3 item
  ; line 20
  0000  FIELD         1        ; field 1 (severity)
  0003  CONST         0        ; constant 0 (1)
  0006  EQ
  0007  JUMP_IF_NOT   +10      ; to 0020
  0010  FIELD         2        ; field 2 (points)
  0013  PARAM         0        ; parameter 0 (weight)
  0016  MUL
  0017  JUMP          +3       ; to 0023
  0020  FIELD         2        ; field 2 (points)
  ; line 21
  0023  ACC_KEY_MAX   1 3      ; accumulator 1 (worst finding per item), field 3 (item)
  0028  FIELD         2        ; field 2 (points)
  0031  ACC_ADD       0        ; accumulator 0 (penalty points)
  ; line 22
  0034  FIELD         2        ; field 2 (points)
  0037  IN_SET        0        ; value set 0 {0, 0.5}
  0040  JUMP_IF_NOT   +5       ; to 0048
  0043  ACC_KEY_MARK  2 3      ; accumulator 2 (excused items), field 3 (item)
  0048  HALT

event type 1 "post": fields 0 account, 1 original
  ; line 30
  0049  ACC_DAY_MARK  3        ; accumulator 3 (weeks without a post)
  0052  FIELD         1        ; field 1 (original)
  0055  NOT
  0056  ACC_DAY_FLAG  4        ; accumulator 4 (3 days in a row without original posts)
  0059  HALT

step 0: unit code
  ; line 41
  0060  ACC           0        ; accumulator 0 (penalty points)
  0063  ACC           1        ; accumulator 1 (worst finding per item)
  0066  ADD
  0067  STORE         3        ; node 3 (inspection findings)
  ; line 42
  0070  ACC           3        ; accumulator 3 (weeks without a post)
  0073  ACC           4        ; accumulator 4 (3 days in a row without original posts)
  0076  ADD
  0077  CONST         3        ; constant 3 (0.25)
  0080  MUL
  0081  STORE         4        ; node 4 (posting)
  ; line 40
  0084  NODE          3        ; node 3 (inspection findings)
  0087  NODE          4        ; node 4 (posting)
  0090  ADD
  0091  STORE         2        ; node 2 (quality)
  ; line 55
  0094  UNIT_IN       0        ; unit set 0 (towns)
  0097  STORE         8        ; node 8 (is town)
  0100  HALT

step 1: mean of node 2 (quality) over units where node 8 (is town) is non-zero, into node 7 (town mean)

step 2: rank node 2 (quality), lowest first, dense ties, skipping 0, into node 6 (ranking bonus); awards rank 1 -> 3, rank 2 -> 1.5

step 3: unit code
  ; line 60
  0101  CONST         1        ; constant 1 (100)
  0104  NODE          2        ; node 2 (quality)
  0107  SUB
  0108  NODE          6        ; node 6 (ranking bonus)
  0111  CONST         2        ; constant 2 (1/3)
  0114  MUL
  0115  ADD
  0116  STORE         0        ; node 0 (score)
  ; line 61
  0119  NODE          2        ; node 2 (quality)
  0122  CONST         1        ; constant 1 (100)
  0125  GE
  0126  STORE         1        ; node 1 (vetoed)
  0129  HALT
)";
  CHECK(disassemble(demo_program()) == expected);
}

TEST_CASE("rbc: disassembly of a damaged program marks the damage instead of crashing") {
  Program p = demo_program();
  p.code[6] = 0xEE;           // EQ becomes an unknown opcode
  p.code[61] = 40;            // ACC 40 does not exist
  p.steps[3].code.end = 200;  // beyond the code
  const std::string listing = disassemble(p);
  CHECK_THAT(listing, Catch::Contains("  0006  ??                     ; unknown opcode 0xEE\n\nevent type 1"));
  CHECK_THAT(listing, Catch::Contains("  0060  ACC           40       ; accumulator 40 (out of range)\n"));
  CHECK_THAT(listing, Catch::Contains("step 3: unit code\n  (code range [101, 200) lies outside the code)\n"));
}

TEST_CASE("rbc: every opcode's semantics agree with its operand layout") {
  for (int op = 0; op < kOpCount; ++op) {
    INFO(kOpNames[op]);
    const OpSemantics sem = op_semantics(static_cast<Op>(op));
    const std::string layout = kOpOperands[op];
    for (int i = 0; i < kMaxOperands; ++i) {
      const OperandRef ref = sem.operands[i];
      if (i >= static_cast<int>(layout.size()))
        CHECK(ref == OperandRef::None);
      else if (layout[i] == 'j')
        CHECK(ref == OperandRef::Jump);
      else
        CHECK((ref != OperandRef::None && ref != OperandRef::Jump));
    }
    CHECK(sem.acc_kind.has_value() == (std::string(kOpNames[op]).rfind("ACC_", 0) == 0));
  }
}

// ---- damaged files

TEST_CASE("rbc: header problems") {
  const std::vector<uint8_t> good = serialize(demo_program());

  CHECK(load_error({}) == "file is empty");
  CHECK(deserialize(nullptr, 0).index() == 1);

  std::vector<uint8_t> text = {'t', 'i', 't', 'l', 'e', ' ', '"', 'x', '"'};
  CHECK(load_error(text) == "not a rulebook bytecode file (bad magic)");

  std::vector<uint8_t> newer = good;
  set_u32(newer, 4, 7);
  CHECK(load_error(newer) ==
        "bytecode format version 7 is newer than this rulebook (supports 6); rebuild it with `rulebook compile`");

  std::vector<uint8_t> older = good;
  set_u32(older, 4, 5);  // format 5 kept one language of each description
  CHECK(load_error(older) ==
        "bytecode format version 5 is older than this rulebook (supports 6); compile the rules again with "
        "`rulebook compile`");

  std::vector<uint8_t> zero = good;
  set_u32(zero, 4, 0);
  CHECK(load_error(zero) == "bytecode format version 0 is invalid");

  std::vector<uint8_t> longer = good;
  longer.push_back(0);
  CHECK(load_error(longer) == "file is corrupted (1 unexpected byte after the program data)");
}

TEST_CASE("rbc: a file truncated at any length is rejected") {
  const std::vector<uint8_t> good = serialize(demo_program());
  const size_t payload = good.size() - kHeaderSize;
  for (size_t n = 0; n < good.size(); ++n) {
    INFO("prefix of " << n << " bytes");
    const std::string error = load_error(std::vector<uint8_t>(good.begin(), good.begin() + n));
    if (n == 0)
      CHECK(error == "file is empty");
    else if (n == 1)
      CHECK(error == "file is truncated (expected a 24-byte header, found 1 byte)");
    else if (n < kHeaderSize)
      CHECK(error == "file is truncated (expected a 24-byte header, found " + std::to_string(n) + " bytes)");
    else
      CHECK(error == "file is truncated (expected " + std::to_string(payload) + " bytes of program data, found " +
                         std::to_string(n - kHeaderSize) + ")");
  }
}

TEST_CASE("rbc: any changed byte is rejected") {
  const std::vector<uint8_t> good = serialize(demo_program());
  for (size_t i = 0; i < good.size(); ++i) {
    for (uint8_t flip : {0x01, 0x80, 0xFF}) {
      INFO("byte " << i << " xor " << int(flip));
      std::vector<uint8_t> bad = good;
      bad[i] ^= flip;
      const std::string error = load_error(bad);
      if (i >= kHeaderSize)
        CHECK(error == "checksum mismatch: the file is corrupted");
      else
        CHECK(error != "(loaded)");
    }
  }
}

TEST_CASE("rbc: crafted payloads with valid checksums never crash, and what loads round-trips") {
  const std::vector<uint8_t> good = serialize(demo_program());
  size_t loaded = 0, rejected = 0;
  for (size_t i = kHeaderSize; i < good.size(); ++i) {
    for (uint8_t value : {uint8_t(0x00), uint8_t(0xFF), uint8_t(good[i] + 1), uint8_t(0x7F)}) {
      std::vector<uint8_t> crafted = good;
      crafted[i] = value;
      fix_checksum(crafted);
      auto result = load(crafted);
      if (auto* p = std::get_if<Program>(&result)) {
        ++loaded;
        INFO("byte " << i << " = " << int(value));
        CHECK(verify(*p).empty());
        CHECK(serialize(*p) == crafted);
        CHECK_FALSE(disassemble(*p).empty());
      } else {
        ++rejected;
        const std::string& message = std::get<LoadError>(result).message;
        const bool explained =
            message.rfind("malformed bytecode file: ", 0) == 0 || message.rfind("invalid bytecode: ", 0) == 0;
        CHECK(explained);
      }
    }
  }
  CHECK(loaded > 0);
  CHECK(rejected > 0);
}

TEST_CASE("rbc: malformed payloads are explained") {
  const std::vector<uint8_t> good = serialize(demo_program());
  const size_t payload = good.size() - kHeaderSize;

  // The title's length (just after the first section tag) claims 4 GiB.
  std::vector<uint8_t> huge = good;
  set_u32(huge, kHeaderSize + 1, 0xFFFFFFFF);
  fix_checksum(huge);
  CHECK(load_error(huge) ==
        "malformed bytecode file: in section \"header\", a text of 4294967295 bytes cannot fit in the " +
            std::to_string(payload - 5) + " bytes left");

  std::vector<uint8_t> tag = good;
  tag[kHeaderSize] = 9;
  fix_checksum(tag);
  CHECK(load_error(tag) == "malformed bytecode file: in section \"header\", expected the section's tag 1, found 9");

  // The last byte is the last output node's top byte: trailing garbage after it.
  std::vector<uint8_t> extra = good;
  extra.push_back(0);
  set_u32(extra, 8, static_cast<uint32_t>(payload + 1));
  fix_checksum(extra);
  CHECK(load_error(extra) == "malformed bytecode file: 1 byte left over after the last section");
}

TEST_CASE("rbc: every text must be valid UTF-8") {
  // Names reach JSON, HTML and workbooks; a GBK or truncated byte string is refused on load.
  for (const std::string bad : {"\xB2\xE2\xCA\xD4", "\xE5\x8E", "ok\xFF"}) {
    Program title = demo_program();
    title.title = bad;
    CHECK(load_error(serialize(title)) == fmt::format("malformed bytecode file: in section \"header\", a text of {} "
                                                      "bytes is not valid UTF-8", bad.size()));
    Program unit = demo_program();
    unit.units.back() = bad;
    CHECK(load_error(serialize(unit)).find("in section \"units\", a text of") != std::string::npos);
  }
  Program chinese = demo_program();
  chinese.title = "考核";
  CHECK(load_error(serialize(chinese)) == "(loaded)");
}

// ---- verification

TEST_CASE("rbc: verify catches bad code") {
  using Problems = std::vector<std::string>;
  const std::string inspection = "handler of event type \"inspection\" at ";
  const std::string post = "handler of event type \"post\"";

  SECTION("operand out of range") {
    CHECK(problems_after([](Program& p) { p.code[4] = 9; }) ==
          Problems{inspection + "0003: constant 9 is out of range (4 constants)"});
    CHECK(problems_after([](Program& p) { p.code[1] = 7; }) ==
          Problems{inspection + "0000: field 7 is out of range (event type \"inspection\" has 4 fields)"});
    CHECK(problems_after([](Program& p) { p.code[1] = 40; }) ==
          Problems{inspection + "0000: field 40 is out of range (32 fields)"});
    CHECK(problems_after([](Program& p) { p.code[68] = 99; }) ==
          Problems{"step 0 at 0067: node 99 is out of range (9 nodes)"});
    CHECK(problems_after([](Program& p) { p.code[95] = 1; }) ==
          Problems{"step 0 at 0094: unit set 1 is out of range (1 unit set)"});
    CHECK(problems_after([](Program& p) { p.code[38] = 2; }) ==
          Problems{inspection + "0037: value set 2 is out of range (1 value set)"});
    CHECK(problems_after([](Program& p) { p.code[14] = 1; }) ==
          Problems{inspection + "0013: parameter 1 is out of range (1 parameter)"});
  }
  SECTION("accumulator of the wrong kind or table") {
    CHECK(problems_after([](Program& p) { p.code[32] = 1; }) ==
          Problems{inspection +
                   "0031: ACC_ADD needs a Sum accumulator, but accumulator 1 (\"worst finding per item\") is KeyMax"});
    CHECK(problems_after([](Program& p) { p.code[32] = 5; }) ==
          Problems{inspection + "0031: accumulator 5 is out of range (5 accumulators)"});
    CHECK(problems_after([](Program& p) { p.events[1].key_field = -1; }) ==
          Problems{post + " at 0049: accumulator 3 (\"weeks without a post\") tracks rows of table 0, but records of "
                          "event type \"post\" are not keyed by it",
                   post + " at 0056: accumulator 4 (\"3 days in a row without original posts\") tracks rows of "
                          "table 0, but records of event type \"post\" are not keyed by it"});
  }
  SECTION("opcode used in the wrong phase") {
    CHECK(problems_after([](Program& p) { p.code[60] = static_cast<uint8_t>(Op::FIELD); }) ==
          Problems{"step 0 at 0060: FIELD needs a current record, which unit code (phase 2) does not have"});
    CHECK(problems_after([](Program& p) { p.code[49] = static_cast<uint8_t>(Op::NODE); }) ==
          Problems{post + " at 0049: NODE needs a unit's finished values, which handler code (phase 1) does not have"});
  }
  SECTION("jumps") {
    CHECK(problems_after([](Program& p) { p.code[8] = 11; }) ==
          Problems{inspection + "0007: jump target 0021 is not the start of an instruction"});
    CHECK(problems_after([](Program& p) { p.code[8] = 100; }) ==
          Problems{inspection + "0007: jump target 0110 is outside the code block [0000, 0049)"});
    CHECK(problems_after([](Program& p) {
            p.code[18] = 0xF0;
            p.code[19] = 0xFF;
          }) == Problems{inspection + "0017: jump target 0004 is not the start of an instruction"});
  }
  SECTION("undecodable code") {
    CHECK(problems_after([](Program& p) { p.code[6] = 0xEE; }) == Problems{inspection + "0006: unknown opcode 0xEE"});
    CHECK(problems_after([](Program& p) { p.code[6] = kOpCount; }) ==
          Problems{inspection + "0006: unknown opcode 0x" + fmt::format("{:02X}", kOpCount)});
    CHECK(problems_after([](Program& p) { p.events[1].handler.end = 58; }) ==
          Problems{post + " at 0056: ACC_DAY_FLAG runs past the end of the code block"});
    CHECK(problems_after([](Program& p) { p.events[1].handler.end = 59; }) ==
          Problems{post + ": the code block does not end with HALT"});
    CHECK(problems_after([](Program& p) {
            p.events[1].handler = {59, 59};
          }) == Problems{post + ": the code block is empty (it must end with HALT)"});
    CHECK(problems_after([](Program& p) { p.steps[3].code.end = 131; }) ==
          Problems{"step 3: code range [101, 131) lies outside the code (130 bytes)"});
  }
  SECTION("stack depth") {
    CHECK(problems_after([](Program& p) { p.code[55] = static_cast<uint8_t>(Op::ADD); }) ==
          Problems{post + " at 0055: stack underflow: ADD pops 2 values but the stack holds 1"});
    // The JUMP over the else branch now lands on it, which is entered with an empty stack.
    CHECK(problems_after([](Program& p) { p.code[18] = 0; }) ==
          Problems{inspection + "0020: the stack holds 0 values on one path here and 1 on another"});
    CHECK(problems_after([](Program& p) {
            Assembler a(p);
            p.steps[3].code.begin = a.here();
            for (uint32_t i = 0; i <= kMaxStackDepth; ++i) a.emit(Op::CONST, {0});
            for (uint32_t i = 0; i <= kMaxStackDepth; ++i) a.emit(Op::POP);
            a.emit(Op::HALT);
            p.steps[3].code.end = a.here();
          }) == Problems{"step 3 at 0898: the stack grows beyond 256 values"});
  }
}

TEST_CASE("rbc: verify catches bad tables and definitions") {
  using Problems = std::vector<std::string>;
  CHECK(problems_after([](Program& p) { p.aliases[0].second = 3; }) ==
        Problems{"alias \"northern\": unit 3 is out of range (3 units)"});
  CHECK(problems_after([](Program& p) { p.enums[0].displays.push_back(""); }) ==
        Problems{"enum \"severity\": has 3 display names for 2 members"});
  CHECK(problems_after([](Program& p) {
          p.enums[0].members.push_back(5);
          p.enums[0].displays.push_back("");
        }) ==
        Problems{"enum \"severity\": symbol 5 is out of range (5 symbols)"});
  CHECK(problems_after([](Program& p) { p.tables[0].rows[1].keys.pop_back(); }) ==
        Problems{"table \"accounts\" row 1: has 1 key for 2 columns"});
  CHECK(problems_after([](Program& p) { p.tables[0].rows[0].units = {4}; }) ==
        Problems{"table \"accounts\" row 0: unit 4 is out of range (3 units)"});
  CHECK(problems_after([](Program& p) {
          p.unit_sets[0].units = {2, 1};
        }) == Problems{"unit set \"towns\": the members are not in ascending order"});
  CHECK(problems_after([](Program& p) {
          p.value_sets[0] = {1, 0};
        }) == Problems{"value set 0: the members are not in ascending order"});
  CHECK(problems_after([](Program& p) { p.events[0].fields[1].ref = 1; }) ==
        Problems{"event type \"inspection\" field \"severity\": enum 1 is out of range (1 enum)"});
  CHECK(problems_after([](Program& p) { p.events[1].fields[0].key_fields.pop_back(); }) ==
        Problems{"event type \"post\" field \"account\": names 1 key field for a table with 2 columns"});
  CHECK(problems_after([](Program& p) { p.events[0].unit_field = 2; }) ==
        Problems{"event type \"inspection\": the unit field \"points\" is of the wrong kind"});
  CHECK(problems_after([](Program& p) { p.events[0].unique[0].push_back(4); }) ==
        Problems{"event type \"inspection\" uniqueness rule: field 4 is out of range (4 fields)"});
  CHECK(problems_after([](Program& p) { p.events[0].fields.resize(33, field("x", FieldKind::Text)); }) ==
        Problems{"event type \"inspection\": has 33 fields; a record holds at most 32"});
  CHECK(
      problems_after([](Program& p) { p.accumulators[1].exclude = 0; }) ==
      Problems{
          "accumulator 1 (\"worst finding per item\"): excludes the keys of accumulator 0, which is Sum, not KeySet"});
  CHECK(problems_after([](Program& p) { p.accumulators[3].days = 0; }) ==
        Problems{"accumulator 3 (\"weeks without a post\"): the day count must be positive, not 0"});
  CHECK(problems_after([](Program& p) { p.accumulators[4].times = -1; }) ==
        Problems{
            "accumulator 4 (\"3 days in a row without original posts\"): the streak length must be positive, not -1"});
  CHECK(problems_after([](Program& p) { p.accumulators[4].table = 1; }) ==
        Problems{"handler of event type \"post\" at 0056: accumulator 4 (\"3 days in a row without original posts\") "
                 "tracks rows of table 1, but records of event type \"post\" are not keyed by it",
                 "accumulator 4 (\"3 days in a row without original posts\"): table 1 is out of range (1 table)"});
  CHECK(problems_after([](Program& p) { p.nodes[2].parent = 3; }) ==
        Problems{"node \"quality\": its chain of parents loops back to it"});
  CHECK(problems_after([](Program& p) { p.nodes[6].parent = 6; }) ==
        Problems{"node \"ranking bonus\": its chain of parents loops back to it"});
  CHECK(problems_after([](Program& p) { p.nodes[6].parent = 9; }) ==
        Problems{"node \"ranking bonus\" parent: node 9 is out of range (9 nodes)"});
  CHECK(problems_after([](Program& p) { p.steps[2].output = 50; }) ==
        Problems{"step 2 output: node 50 is out of range (9 nodes)"});
  CHECK(problems_after([](Program& p) { p.steps[1].condition = 9; }) ==
        Problems{"step 1 condition: node 9 is out of range (9 nodes)"});
  CHECK(problems_after([](Program& p) { p.outputs.push_back(9); }) ==
        Problems{"the output list: node 9 is out of range (9 nodes)"});
  CHECK(problems_after([](Program& p) { p.lines[1].offset = 0; }) ==
        Problems{"line entry 1: offset 0 does not come after the previous entry's"});
  CHECK(problems_after([](Program& p) {
          p.lines.push_back({130, 70});
        }) == Problems{"line entry 10: offset 130 lies outside the code (130 bytes)"});
}

TEST_CASE("rbc: verify catches bad numbers and dates") {
  using Problems = std::vector<std::string>;
  CHECK(problems_after([](Program& p) { p.constants[2].den = 0; }) ==
        Problems{"constant 2 is not a valid fraction (denominator 0)"});
  CHECK(problems_after([](Program& p) {
          p.constants[2].num = 2;
          p.constants[2].den = 4;
        }) == Problems{"constant 2 is not in lowest terms (2/4)"});
  CHECK(problems_after([](Program& p) { p.params[0].value.den = -2; }) ==
        Problems{"parameter \"weight\" is not a valid fraction (denominator -2)"});
  CHECK(problems_after([](Program& p) { p.steps[2].awards[0].amount.den = 0; }) ==
        Problems{"step 2 award for rank 1 is not a valid fraction (denominator 0)"});
  CHECK(problems_after([](Program& p) { std::swap(p.period_from, p.period_to); }) ==
        Problems{"the period starts (2022-12-31) after it ends (2022-01-01)"});
  CHECK(problems_after([](Program& p) { p.period_to = 5'000'000; }) ==
        Problems{"the period's end (day 5000000) is not a date from 0001-01-01 to 9999-12-31"});
  CHECK(problems_after([](Program& p) { p.score_low = 101; }) ==
        Problems{"the score range is empty (lowest 101 above highest 100)"});
  // Days that traces and notices print as dates.
  CHECK(problems_after([](Program& p) {
          p.nodes[3].has_from = true;
          p.nodes[3].from = INT32_MIN;
        }) == Problems{"node \"inspection findings\" start (自) (day -2147483648) is not a date from 0001-01-01 to 9999-12-31"});
  CHECK(problems_after([](Program& p) {
          p.nodes[4].has_until = true;
          p.nodes[4].until = 3'000'000;
        }) == Problems{"node \"posting\" end (至) (day 3000000) is not a date from 0001-01-01 to 9999-12-31"});
  CHECK(problems_after([](Program& p) {
          p.params[0].is_date = true;
        }) == Problems{"parameter \"weight\": its date (day 1.5) is not a date from 0001-01-01 to 9999-12-31"});
  CHECK(problems_after([](Program& p) { p.nodes[4].period_cap.den = 0; }) ==
        Problems{"node \"posting\" cap per sub-period is not a valid fraction (denominator 0)"});
  // Units' 设立 / 撤销 days: the lowest and highest day numbers stand for none.
  const auto dated = [](Program& p) {
    p.unit_from = {INT32_MIN, days_from_civil(2022, 7, 1), INT32_MIN};
    p.unit_until = {INT32_MAX, INT32_MAX, days_from_civil(2022, 3, 31)};
  };
  CHECK(problems_after(dated).empty());
  CHECK(problems_after([&](Program& p) {
          dated(p);
          p.unit_from[0] = -5'000'000;
        }) == Problems{"unit \"north\" set up (设立) (day -5000000) is not a date from 0001-01-01 to 9999-12-31"});
  CHECK(problems_after([&](Program& p) {
          dated(p);
          p.unit_from[2] = days_from_civil(2022, 4, 1);
        }) == Problems{"unit \"east\": it is set up after it is closed"});
}

TEST_CASE("rbc: verify catches bad awards, grades and values per sub-period") {
  using Problems = std::vector<std::string>;
  // Rank arithmetic multiplies the places by the units ranked: the compiler's bounds hold.
  CHECK(problems_after([](Program& p) { p.steps[2].awards[0].n = 0; }) ==
        Problems{"step 2 award for rank 0: the number must be from 1 to 100000"});
  CHECK(problems_after([](Program& p) { p.steps[2].awards[1].n = INT64_MAX; }) ==
        Problems{"step 2 award for rank 9223372036854775807: the number must be from 1 to 100000"});
  CHECK(problems_after([](Program& p) {
          p.steps[2].awards[1].kind = AwardKind::BottomPercent;
          p.steps[2].awards[1].n = 101;
        }) == Problems{"step 2 award for the bottom percent 101: the number must be from 1 to 100"});
  const auto graded = [](Program& p) {
    p.grades = {{true, 90, "优秀", 70}, {true, 60, "合格", 70}, {false, 0, "不合格", 70}};
  };
  CHECK(problems_after(graded).empty());
  CHECK(problems_after([&](Program& p) {
          graded(p);
          std::swap(p.grades[0], p.grades[1]);
        }) == Problems{"grade 优秀: its lower bound 90 is not below the previous band's (60)"});
  CHECK(problems_after([&](Program& p) {
          graded(p);
          std::swap(p.grades[1], p.grades[2]);
        }) == Problems{"grade 不合格: a band without a lower bound must be the last"});
  // per_period names the node holding an item's values per sub-period.
  CHECK(problems_after([](Program& p) { p.nodes[3].per_period = 9; }) ==
        Problems{"node \"inspection findings\" values per sub-period: node 9 is out of range (9 nodes)"});
  CHECK(problems_after([](Program& p) { p.nodes[3].per_period = 4; }) ==
        Problems{"node \"inspection findings\": its values per sub-period must be those of a periodic node "
                 "(\"posting\"), for a node of the whole period"});
}

TEST_CASE("rbc: a checksum-valid file with bad code is rejected by the verifier") {
  // Tampered programs re-serialized: the checksum is right, the content is not.
  auto rejected = [](const std::function<void(Program&)>& tamper) {
    Program p = demo_program();
    tamper(p);
    return load_error(serialize(p));
  };
  const std::string at = "invalid bytecode: handler of event type \"inspection\" at ";
  CHECK(rejected([](Program& p) { p.code[4] = 9; }) == at + "0003: constant 9 is out of range (4 constants)");
  CHECK(rejected([](Program& p) { p.code[8] = 11; }) ==
        at + "0007: jump target 0021 is not the start of an instruction");
  CHECK(rejected([](Program& p) { p.code[6] = 0xEE; }) == at + "0006: unknown opcode 0xEE");
  CHECK(rejected([](Program& p) { p.events[1].handler.end = 59; }) ==
        "invalid bytecode: handler of event type \"post\": the code block does not end with HALT");
  CHECK(rejected([](Program& p) { p.code[55] = static_cast<uint8_t>(Op::ADD); }) ==
        "invalid bytecode: handler of event type \"post\" at 0055: stack underflow: ADD pops 2 values but the stack "
        "holds 1");
  CHECK(rejected([](Program& p) {
          p.code[4] = 9;
          p.code[14] = 3;
        }) == at + "0003: constant 9 is out of range (4 constants) (and 1 more problem)");
}

// ---- files on disk

TEST_CASE("rbc: files are written atomically and read back") {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("rbc_test_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string path = (dir / "demo.rbc").string();

  std::string error;
  REQUIRE(write_rbc_file(path, demo_program(), error));
  CHECK(error.empty());
  auto loaded = read_rbc_file(path);
  REQUIRE(std::holds_alternative<Program>(loaded));
  CHECK(serialize(std::get<Program>(loaded)) == serialize(demo_program()));

  // Overwriting replaces the file; no temporary file is left beside it.
  Program changed = demo_program();
  changed.title = "Changed";
  REQUIRE(write_rbc_file(path, changed, error));
  CHECK(std::get<Program>(read_rbc_file(path)).title == "Changed");
  CHECK(std::distance(fs::directory_iterator(dir), fs::directory_iterator()) == 1);

  const std::string missing_dir = (dir / "no-such-dir" / "x.rbc").string();
  CHECK_FALSE(write_rbc_file(missing_dir, demo_program(), error));
  CHECK(error == "cannot write '" + missing_dir + "': No such file or directory");

  const std::string missing = (dir / "missing.rbc").string();
  auto result = read_rbc_file(missing);
  REQUIRE(std::holds_alternative<LoadError>(result));
  CHECK(std::get<LoadError>(result).message == "cannot open '" + missing + "': No such file or directory");

  fs::remove_all(dir);
}
