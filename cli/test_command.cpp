#include "cli/test_command.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include "cli/explain.hpp"
#include "compiler/compiler.hpp"
#include "compiler/tests_file.hpp"
#include "runtime/platform.hpp"
#include "runtime/session.hpp"

namespace rb {

namespace {

std::optional<std::string> read_text_file(const std::string& path) {
  std::ifstream in(native_path(path), std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::optional<Rational> parse_value(const std::string& text) {
  auto slash = text.find('/');
  if (slash == std::string::npos) return parse_decimal(text);
  auto a = parse_decimal(text.substr(0, slash)), b = parse_decimal(text.substr(slash + 1));
  if (!a || !b || b->is_zero()) return std::nullopt;
  return *a / *b;
}

// What the tests exercised, gathered over every test and unit.
struct Coverage {
  std::vector<uint8_t> points;
  std::set<std::string> items_reached, caps_reached, substituted, kept_own, ranks_awarded;
  std::set<std::string> grades;   // the grade bands some assessed unit got
  bool assessed = false, not_assessed = false;

  void add(const TraceNode& n) {
    bool counted = false;
    for (const auto& a : n.accumulators)
      for (const auto& r : a.records) counted = counted || (r.counted && !r.amount.is_zero());
    if ((n.kind == "item" || n.kind == "veto") && (!n.value.is_zero() || counted)) items_reached.insert(n.name);
    if (n.before_cap) caps_reached.insert(n.name);
    (n.substituted ? substituted : kept_own).insert(n.name);
    if (n.ranked && n.rank > 0) ranks_awarded.insert(n.name);
    for (const auto& c : n.children) add(c);
  }
};

class Runner {
 public:
  Runner(const Program& p, std::string tests_path) : p_(p), tests_path_(std::move(tests_path)) {
    coverage_.points.assign(p.coverage.size(), 0);
  }

  bool run(const RulebookTest& t) {
    std::string text;
    for (const auto& r : t.records) text += r.json + "\n";
    Session session(p_, {}, true);
    std::vector<std::string> failures;
    try {
      session.read_text(t.name + ".jsonl", text);
    } catch (const RunError& e) {
      failures.push_back(run_error_message(p_, e));
      return report(t, failures);
    }
    const auto& errors = session.reader().errors();
    auto where = [&](uint32_t record) {
      return record >= 1 && record <= t.records.size() ? t.records[record - 1].line : t.line;
    };
    if (!t.errors.empty()) {
      for (const auto& want : t.errors) {
        bool found = std::any_of(errors.begin(), errors.end(), [&](const InputError& e) {
          return e.line == want.record && e.message.find(want.text) != std::string::npos;
        });
        if (!found) {
          std::string got;
          for (const auto& e : errors) got += fmt::format("\n      record {}: {}", e.line, e.message);
          failures.push_back(fmt::format("{}:{}: expected an error on record {} containing \"{}\"; got {}", tests_path_,
                                         want.line, want.record, want.text, got.empty() ? "no error" : got));
        }
      }
      return report(t, failures);
    }
    for (const auto& e : errors)
      failures.push_back(fmt::format("{}:{}: record {}: {}", tests_path_, where(e.line), e.line, e.message));
    if (!failures.empty()) return report(t, failures);

    Result result;
    try {
      result = session.finish();
    } catch (const RunError& e) {
      failures.push_back(run_error_message(p_, e));
      return report(t, failures);
    }
    const auto& covered = session.machine().covered();
    for (size_t i = 0; i < covered.size() && i < coverage_.points.size(); ++i) coverage_.points[i] |= covered[i];
    for (const auto& tr : result.traces) {
      coverage_.add(tr.score);
      for (const auto& ind : tr.indicators) coverage_.add(ind);
    }
    for (const auto& u : result.units) {
      (u.assessed ? coverage_.assessed : coverage_.not_assessed) = true;
      if (!u.grade.empty()) coverage_.grades.insert(u.grade);
    }

    for (const auto& want : t.expectations) {
      std::string unit = want.unit;
      for (const auto& [alias, u] : p_.aliases)
        if (alias == unit) unit = p_.units[u];
      auto u = std::find_if(result.units.begin(), result.units.end(), [&](const UnitResult& x) { return x.unit == unit; });
      if (u == result.units.end()) {
        failures.push_back(fmt::format("{}:{}: no unit {} in the rulebook", tests_path_, want.line, want.unit));
        continue;
      }
      if (want.node.empty()) {
        bool expect_veto = want.value == "否决";
        if (u->vetoed != expect_veto)
          failures.push_back(fmt::format("{}:{}: {}: expected {}, got {}", tests_path_, want.line, unit,
                                         expect_veto ? "否决" : "不否决", u->vetoed ? "否决" : "不否决"));
        continue;
      }
      auto got = value_of(*u, want.node);
      auto expected = parse_value(want.value);
      if (!got) {
        failures.push_back(fmt::format("{}:{}: no item, group or category {} in the rulebook", tests_path_, want.line, want.node));
        continue;
      }
      if (!expected) {
        failures.push_back(fmt::format("{}:{}: {} is not a number", tests_path_, want.line, want.value));
        continue;
      }
      if (!(*got == *expected)) {
        std::string message = fmt::format("{}:{}: {} {}: expected {}, got {}", tests_path_, want.line, unit, want.node,
                                          format_decimal(*expected, 4), format_decimal(*got, 4));
        const UnitTrace& trace = result.traces[static_cast<size_t>(u - result.units.begin())];
        if (const TraceNode* node = find_node(trace.score, want.node)) {
          std::string tree = explain_tree(trace, *node);
          std::string indented;
          std::istringstream lines(tree);
          for (std::string l; std::getline(lines, l);) indented += "\n      " + l;
          message += indented;
        }
        failures.push_back(message);
      }
    }
    return report(t, failures);
  }

  int report_coverage(const std::string& rules_path, double threshold) const {
    std::vector<const NodeDef*> items;
    for (const auto& n : p_.nodes)
      if (n.kind == NodeKind::Item) items.push_back(&n);
    struct Row {
      uint32_t line;
      std::string text;
      bool ok;
    };
    std::vector<Row> rows;
    size_t items_ok = 0;
    for (const NodeDef* n : items) {
      bool ok = coverage_.items_reached.count(n->name) > 0;
      items_ok += ok;
      rows.push_back({n->source_line, fmt::format("条目 {} gives points", n->name), ok});
    }
    size_t points_ok = 0;
    for (size_t i = 0; i < p_.coverage.size(); ++i) {
      bool ok = coverage_.points[i] != 0;
      points_ok += ok;
      rows.push_back({p_.coverage[i].line, fmt::format("{}: {}", p_.coverage[i].item, p_.coverage[i].what), ok});
    }
    size_t caps = 0, caps_ok = 0;
    for (const auto& n : p_.nodes) {
      if (!n.has_cap) continue;
      ++caps;
      bool ok = coverage_.caps_reached.count(n.name) > 0;
      caps_ok += ok;
      rows.push_back({n.source_line, fmt::format("{} reaches its cap {}", n.name, format_decimal(n.cap, 4)), ok});
    }
    size_t substitutions = 0, substitutions_ok = 0, ranks = 0, ranks_ok = 0;
    for (const auto& s : p_.steps) {
      const NodeDef& out = p_.nodes[s.output];
      if (s.kind == StepKind::Mean) {
        substitutions += 2;
        bool a = coverage_.substituted.count(out.name) > 0, b = coverage_.kept_own.count(out.name) > 0;
        substitutions_ok += a + b;
        uint32_t ln = p_.nodes[s.condition].source_line;
        rows.push_back({ln, fmt::format("{}: a unit gets the mean", out.name), a});
        rows.push_back({ln, fmt::format("{}: a unit keeps its own value", out.name), b});
      } else if (s.kind == StepKind::Rank) {
        ++ranks;
        std::string item = out.name.substr(0, out.name.rfind("(排名)"));
        bool ok = coverage_.ranks_awarded.count(item) > 0;
        ranks_ok += ok;
        rows.push_back({out.source_line, fmt::format("{}: a rank is awarded", item), ok});
      }
    }
    // Grade bands, and who is assessed: each side exercised by some test.
    size_t others = 0, others_ok = 0;
    auto other = [&](uint32_t line, std::string text, bool ok) {
      ++others;
      others_ok += ok;
      rows.push_back({line, std::move(text), ok});
    };
    for (const auto& band : p_.grades)
      other(band.line, fmt::format("等级 {}: a unit gets it", band.name), coverage_.grades.count(band.name) > 0);
    if (p_.assessed_node >= 0) {
      uint32_t ln = p_.nodes[static_cast<size_t>(p_.assessed_node)].source_line;
      other(ln, "不参与考核: a unit is assessed", coverage_.assessed);
      other(ln, "不参与考核: a unit is not assessed", coverage_.not_assessed);
    }
    std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.line < b.line; });
    auto pct = [](size_t a, size_t b) { return b == 0 ? 100.0 : 100.0 * static_cast<double>(a) / static_cast<double>(b); };
    std::cout << fmt::format("\ncoverage of {}:\n", rules_path);
    for (const auto& r : rows) std::cout << fmt::format("  {}:{:<5} {}  {}\n", rules_path, r.line, r.ok ? "✓" : "✗", r.text);
    std::cout << fmt::format("items {}/{} ({:.1f}%), amounts and time bounds {}/{} ({:.1f}%), caps {}/{}, substitutions {}/{}, rankings {}/{}{}\n",
                             items_ok, items.size(), pct(items_ok, items.size()), points_ok, p_.coverage.size(),
                             pct(points_ok, p_.coverage.size()), caps_ok, caps, substitutions_ok, substitutions, ranks_ok, ranks,
                             others ? fmt::format(", grades and who is assessed {}/{}", others_ok, others) : "");
    if (threshold >= 0 && pct(items_ok, items.size()) < threshold) {
      std::cout << fmt::format("item coverage {:.1f}% is below the threshold {}%\n", pct(items_ok, items.size()), threshold);
      return 1;
    }
    return 0;
  }

 private:
  bool report(const RulebookTest& t, const std::vector<std::string>& failures) {
    if (failures.empty()) {
      std::cout << fmt::format("ok   {}\n", t.name);
      return true;
    }
    std::cout << fmt::format("FAIL {} ({}:{})\n", t.name, tests_path_, t.line);
    for (const auto& f : failures) std::cout << "    " << f << "\n";
    return false;
  }

  const Program& p_;
  std::string tests_path_;
  Coverage coverage_;
};

}  // namespace

int test_command(const TestArgs& args) {
  Diagnostics diags;
  std::string source;
  auto program = compile_file(args.rules, diags, &source, true);
  for (const auto& d : diags.all()) std::cerr << render(d, source);
  if (!program) return 1;
  std::string tests_path = args.tests;
  if (tests_path.empty()) {
    tests_path = args.rules;
    auto dot = tests_path.rfind(".rules");
    if (dot != std::string::npos && dot + 6 == tests_path.size()) tests_path.erase(dot);
    tests_path += ".tests";
  }
  auto text = read_text_file(tests_path);
  if (!text) {
    std::cerr << fmt::format("{}: error: cannot read the tests (they live beside the rulebook, in {})\n", tests_path, tests_path);
    return 1;
  }
  Diagnostics test_diags;
  auto tests = parse_tests(tests_path, *text, test_diags);
  for (const auto& d : test_diags.all()) std::cerr << render(d, *text);
  if (!tests) return 1;
  if (tests->empty()) {
    std::cerr << fmt::format("{}: error: no tests\n", tests_path);
    return 1;
  }
  Runner runner(*program, tests_path);
  size_t passed = 0, failed = 0;
  for (const auto& t : *tests) (runner.run(t) ? passed : failed)++;
  int status = failed > 0 ? 1 : 0;
  if (args.coverage || args.threshold >= 0) status = std::max(status, runner.report_coverage(args.rules, args.threshold));
  std::cout << fmt::format("{} passed, {} failed\n", passed, failed);
  return status;
}

}  // namespace rb
