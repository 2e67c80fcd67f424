// The general constructs (indicators, values across units, rankings per class, sub-periods,
// who is assessed, grades) through the bytecode file and the verifier: what the compiler
// makes of the language tests round-trips exactly, and the verifier refuses programs that
// would index periodic values or classes wrongly.
#include <catch2/catch.hpp>
#include <filesystem>
#include <functional>

#include "compiler/compiler.hpp"
#include "runtime/disasm.hpp"
#include "runtime/rbc_file.hpp"

using namespace rb;

namespace {

Program compile_lang(const std::string& name) {
  Diagnostics diags;
  auto p = compile_file((std::filesystem::path(RB_SOURCE_DIR) / "tests" / "lang" / name).string(), diags);
  REQUIRE(p.has_value());
  return std::move(*p);
}

// The first instruction with opcode `op` in the program's code, as a byte offset.
size_t find_op(const Program& p, Op op) {
  for (uint32_t pc = 0; pc < p.code.size();) {
    Instruction ins;
    if (decode_instruction(p.code, pc, static_cast<uint32_t>(p.code.size()), ins) != DecodeStatus::Ok) break;
    if (ins.op == op) return pc;
    pc = ins.next();
  }
  FAIL("no such instruction");
  return 0;
}

// What the verifier says of `good` once `tamper` has changed it.
std::vector<std::string> problems_after(const Program& good, const std::function<void(Program&)>& tamper) {
  Program p = good;
  tamper(p);
  return verify(p);
}

bool mentions(const std::vector<std::string>& problems, const std::string& text) {
  for (const auto& p : problems)
    if (p.find(text) != std::string::npos) return true;
  return false;
}

}  // namespace

TEST_CASE("programs with the general constructs round-trip through .rbc and verify") {
  for (const char* name : {"40_indicators.rules", "41_cross_unit.rules", "42_rank_general.rules", "43_points.rules",
                           "44_not_assessed.rules", "46_grades.rules", "50_sub_periods.rules"}) {
    INFO(name);
    Program p = compile_lang(name);
    CHECK(verify(p).empty());
    auto bytes = serialize(p);
    auto loaded = deserialize(bytes.data(), bytes.size());
    REQUIRE(std::holds_alternative<Program>(loaded));
    CHECK(serialize(std::get<Program>(loaded)) == bytes);
    CHECK(disassemble(std::get<Program>(loaded)) == disassemble(p));
  }
}

TEST_CASE("the verifier refuses periodic values used out of their sub-periods") {
  const Program good = compile_lang("50_sub_periods.rules");
  auto problems_after = [&](const std::function<void(Program&)>& tamper) { return ::problems_after(good, tamper); };
  SECTION("a periodic read in code run once per unit") {
    auto v = problems_after([](Program& p) {
      for (auto& s : p.steps) s.period = PeriodKind::None;
    });
    CHECK(mentions(v, "PERIOD_ACC needs code run per sub-period"));
    CHECK(mentions(v, "PERIOD_STORE needs code run per sub-period"));
  }
  SECTION("a periodic accumulator made plain") {
    auto v = problems_after([](Program& p) {
      for (auto& a : p.accumulators) a.period = PeriodKind::None;
    });
    CHECK(mentions(v, "ACC_ADD_P needs a periodic accumulator"));
  }
  SECTION("sub-periods of another kind") {
    auto v = problems_after([](Program& p) {
      for (auto& s : p.steps)
        if (s.period == PeriodKind::Month) s.period = PeriodKind::Week;
    });
    CHECK(mentions(v, "an accumulator of the same sub-periods"));
  }
  SECTION("an unknown mean mode") {
    auto v = problems_after([](Program& p) { p.code[find_op(p, Op::PERIOD_MEAN) + 3] = 7; });
    CHECK(mentions(v, "sub-period mean mode 7 is unknown"));
  }
  SECTION("unit dates for some units only") {
    auto v = problems_after([](Program& p) { p.unit_from.pop_back(); });
    CHECK(mentions(v, "the units' dates"));
  }
}

TEST_CASE("the verifier refuses bad classes, scopes and rounding") {
  const Program good = compile_lang("42_rank_general.rules");
  auto problems_after = [&](const std::function<void(Program&)>& tamper) { return ::problems_after(good, tamper); };
  CHECK(mentions(problems_after([](Program& p) { p.unit_class.pop_back(); }), "the unit classes"));
  CHECK(mentions(problems_after([](Program& p) { p.unit_class[0] = 99; }), "unit set 99 is out of range"));
  CHECK(mentions(problems_after([](Program& p) {
                   for (auto& s : p.steps)
                     if (s.kind == StepKind::Rank) s.rank_node = 9999;
                 }),
                 "rank: node 9999 is out of range"));
  const Program rounding = compile_lang("40_indicators.rules");
  Program p = rounding;
  p.code[find_op(p, Op::ROUND) + 3] = 9;
  CHECK(mentions(verify(p), "9 decimals is more than ROUND keeps"));
  p = rounding;
  p.code[find_op(p, Op::ROUND) + 1] = 5;
  CHECK(mentions(verify(p), "rounding mode 5 is unknown"));
}
