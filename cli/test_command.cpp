#include "cli/test_command.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <algorithm>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include "cli/console.hpp"
#include "cli/explain.hpp"
#include "compiler/compiler.hpp"
#include "compiler/tests_file.hpp"
#include "runtime/messages.hpp"
#include "runtime/output_file.hpp"
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
  std::set<std::string> period_caps_reached;              // a sub-period's value reached its cap
  std::set<std::pair<std::string, int32_t>> ranked_in;    // (ranked item, unit class) with a rank
  std::set<std::string> only_outside;                     // 仅 items with records of a unit outside
  std::map<std::string, const NodeDef*> defs;             // nodes by name (the trace names them)

  void add(const Program& p, const TraceNode& n, uint32_t unit) {
    bool counted = false, records = false;
    for (const auto& a : n.accumulators)
      for (const auto& r : a.records) {
        counted = counted || (r.counted && !r.amount.is_zero());
        records = true;
      }
    if ((n.kind == "item" || n.kind == "veto") && (!n.value.is_zero() || counted)) items_reached.insert(n.name);
    if (n.before_cap) caps_reached.insert(n.name);
    (n.substituted ? substituted : kept_own).insert(n.name);
    if (n.ranked && n.rank > 0) {
      ranks_awarded.insert(n.name);
      ranked_in.insert({n.name, unit < p.unit_class.size() ? p.unit_class[unit] : -1});
    }
    if (auto d = defs.find(n.name); d != defs.end()) {
      const NodeDef& def = *d->second;
      if (def.has_period_cap)
        for (const auto& period : n.periods)
          if (period.second >= def.period_cap) period_caps_reached.insert(n.name);
      if (def.only >= 0 && records) {
        const auto& members = p.unit_sets[static_cast<size_t>(def.only)].units;
        if (std::find(members.begin(), members.end(), unit) == members.end()) only_outside.insert(n.name);
      }
    }
    for (const auto& c : n.children) add(p, c, unit);
  }
};

double percent(size_t a, size_t b) { return b == 0 ? 100.0 : 100.0 * static_cast<double>(a) / static_cast<double>(b); }

// The coverage report: what the tests exercised, line by line, and the counts.
struct CoverageReport {
  struct Row {
    uint32_t line;
    std::string text;
    bool ok;
  };
  std::vector<Row> rows;
  size_t items = 0, items_ok = 0, points = 0, points_ok = 0, caps = 0, caps_ok = 0;
  size_t substitutions = 0, substitutions_ok = 0, ranks = 0, ranks_ok = 0, others = 0, others_ok = 0;
  size_t periods = 0, periods_ok = 0, groups = 0, groups_ok = 0;  // sub-period caps; per-group ranks and 仅

  double item_percent() const { return percent(items_ok, items); }
  bool below(double threshold) const { return threshold >= 0 && item_percent() < threshold; }
};

// One test's result: its failures, none when it passed.
struct TestOutcome {
  std::string name;
  uint32_t line;
  std::vector<std::string> failures;
};

class Runner {
 public:
  Runner(const Program& p, std::string tests_path) : p_(p), tests_path_(std::move(tests_path)) {
    coverage_.points.assign(p.coverage.size(), 0);
    for (const auto& n : p.nodes)
      if (n.has_period_cap || n.only >= 0) coverage_.defs[n.name] = &n;
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
      // An expected error is written in either language: the messages are read in the other too.
      std::vector<InputError> either = errors;
      const Lang lang = language();
      set_language(lang == Lang::Zh ? Lang::En : Lang::Zh);
      Session other(p_, {}, false);
      try {
        other.read_text(t.name + ".jsonl", text);
      } catch (const RunError&) {
      }
      set_language(lang);
      either.insert(either.end(), other.reader().errors().begin(), other.reader().errors().end());
      for (const auto& want : t.errors) {
        bool found = std::any_of(either.begin(), either.end(), [&](const InputError& e) {
          return e.line == want.record && e.message.find(want.text) != std::string::npos;
        });
        if (!found) {
          std::string got;
          for (const auto& e : errors) got += tr(Msg::test_record_error_listed, e.line, e.message);
          failures.push_back(tr(Msg::test_expected_error, tests_path_, want.line, want.record, want.text,
                                got.empty() ? rb::text(Msg::test_no_error) : got));
        }
      }
      return report(t, failures);
    }
    for (const auto& e : errors) failures.push_back(tr(Msg::test_record_error, tests_path_, where(e.line), e.line, e.message));
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
      auto u = std::find(p_.units.begin(), p_.units.end(), tr.unit);
      const auto unit = static_cast<uint32_t>(u - p_.units.begin());
      coverage_.add(p_, tr.score, unit);
      for (const auto& ind : tr.indicators) coverage_.add(p_, ind, unit);
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
        failures.push_back(tr(Msg::test_no_unit, tests_path_, want.line, want.unit));
        continue;
      }
      if (want.node.empty()) {
        bool expect_veto = want.value == "否决";
        if (u->vetoed != expect_veto)
          failures.push_back(tr(Msg::test_veto_mismatch, tests_path_, want.line, unit, expect_veto ? "否决" : "不否决",
                                u->vetoed ? "否决" : "不否决"));
        continue;
      }
      auto got = value_of(result, *u, want.node);
      auto expected = parse_value(want.value);
      if (!got) {
        failures.push_back(tr(Msg::test_no_node, tests_path_, want.line, want.node));
        continue;
      }
      if (!expected) {
        failures.push_back(tr(Msg::test_not_number, tests_path_, want.line, want.value));
        continue;
      }
      if (!(*got == *expected)) {
        std::string message = tr(Msg::test_value_mismatch, tests_path_, want.line, unit, want.node,
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

  // What the tests exercised, line by line of the rulebook, and the counts.
  CoverageReport coverage() const {
    CoverageReport c;
    std::vector<const NodeDef*> items;
    for (const auto& n : p_.nodes)
      if (n.kind == NodeKind::Item) items.push_back(&n);
    auto& rows = c.rows;
    c.items = items.size();
    for (const NodeDef* n : items) {
      bool ok = coverage_.items_reached.count(n->name) > 0;
      c.items_ok += ok;
      rows.push_back({n->source_line, tr(Msg::coverage_item, n->name), ok});
    }
    c.points = p_.coverage.size();
    for (size_t i = 0; i < p_.coverage.size(); ++i) {
      bool ok = coverage_.points[i] != 0;
      c.points_ok += ok;
      rows.push_back({p_.coverage[i].line, fmt::format("{}: {}", p_.coverage[i].item, p_.coverage[i].what.shown()), ok});
    }
    for (const auto& n : p_.nodes) {
      if (!n.has_cap) continue;
      ++c.caps;
      bool ok = coverage_.caps_reached.count(n.name) > 0;
      c.caps_ok += ok;
      rows.push_back({n.source_line, tr(Msg::coverage_cap, n.name, format_decimal(n.cap, 4)), ok});
    }
    for (const auto& s : p_.steps) {
      const NodeDef& out = p_.nodes[s.output];
      if (s.kind == StepKind::Mean) {
        c.substitutions += 2;
        bool a = coverage_.substituted.count(out.name) > 0, b = coverage_.kept_own.count(out.name) > 0;
        c.substitutions_ok += a + b;
        uint32_t ln = p_.nodes[s.condition].source_line;
        rows.push_back({ln, tr(Msg::coverage_mean, out.name), a});
        rows.push_back({ln, tr(Msg::coverage_own, out.name), b});
      } else if (s.kind == StepKind::Rank) {
        ++c.ranks;
        std::string item = out.name.substr(0, out.name.rfind("(排名)"));
        bool ok = coverage_.ranks_awarded.count(item) > 0;
        c.ranks_ok += ok;
        rows.push_back({out.source_line, tr(Msg::coverage_rank, item), ok});
        if (s.scope == ScopeKind::OwnClass) {
          // Ranked within each unit group: each group with units has a rank awarded.
          std::set<int32_t> classes(p_.unit_class.begin(), p_.unit_class.end());
          for (int32_t k : classes) {
            ++c.groups;
            bool in = coverage_.ranked_in.count({item, k}) > 0;
            c.groups_ok += in;
            const std::string group = k >= 0 && static_cast<size_t>(k) < p_.unit_sets.size()
                                          ? p_.unit_sets[static_cast<size_t>(k)].name
                                          : rb::text(Msg::coverage_no_group);
            rows.push_back({out.source_line, tr(Msg::coverage_rank_in, item, group), in});
          }
        }
      }
    }
    // Caps per sub-period, and items for one unit group only (仅).
    for (const auto& n : p_.nodes) {
      if (n.has_period_cap) {
        ++c.periods;
        bool ok = coverage_.period_caps_reached.count(n.name) > 0;
        c.periods_ok += ok;
        rows.push_back({n.source_line, tr(Msg::coverage_period_cap, n.name, format_decimal(n.period_cap, 4)), ok});
      }
      if (n.only >= 0 && n.kind == NodeKind::Item) {
        ++c.groups;
        bool ok = coverage_.only_outside.count(n.name) > 0;
        c.groups_ok += ok;
        rows.push_back({n.source_line, tr(Msg::coverage_only_outside, n.name, p_.unit_sets[static_cast<size_t>(n.only)].name), ok});
      }
    }
    // Grade bands, and who is assessed: each side exercised by some test.
    auto other = [&](uint32_t line, std::string text, bool ok) {
      ++c.others;
      c.others_ok += ok;
      rows.push_back({line, std::move(text), ok});
    };
    for (const auto& band : p_.grades)
      other(band.line, tr(Msg::coverage_grade, band.name), coverage_.grades.count(band.name) > 0);
    if (p_.assessed_node >= 0) {
      uint32_t ln = p_.nodes[static_cast<size_t>(p_.assessed_node)].source_line;
      other(ln, rb::text(Msg::coverage_assessed), coverage_.assessed);
      other(ln, rb::text(Msg::coverage_not_assessed), coverage_.not_assessed);
    }
    std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.line < b.line; });
    return c;
  }

  const std::vector<TestOutcome>& outcomes() const { return outcomes_; }

 private:
  bool report(const RulebookTest& t, const std::vector<std::string>& failures) {
    outcomes_.push_back({t.name, t.line, failures});
    return failures.empty();
  }

  const Program& p_;
  std::string tests_path_;
  Coverage coverage_;
  std::vector<TestOutcome> outcomes_;
};

std::string one_decimal(double x) { return fmt::format("{:.1f}", x); }

// The report for people: each test, its failures, and the coverage when asked for.
std::string text_report(const std::vector<TestOutcome>& outcomes, const std::string& tests_path,
                        const std::optional<CoverageReport>& coverage, const std::string& rules_path, double threshold) {
  std::string out;
  for (const auto& t : outcomes) {
    if (t.failures.empty()) {
      out += tr(Msg::test_ok, t.name) + "\n";
      continue;
    }
    out += tr(Msg::test_failed, t.name, tests_path, t.line) + "\n";
    for (const auto& f : t.failures) out += "    " + f + "\n";
  }
  if (coverage) {
    const CoverageReport& c = *coverage;
    out += tr(Msg::coverage_title, rules_path);
    for (const auto& r : c.rows) out += fmt::format("  {}:{:<5} {}  {}\n", rules_path, r.line, r.ok ? "✓" : "✗", r.text);
    auto of = [](size_t a, size_t b) { return fmt::format("{}/{}", a, b); };
    out += tr(Msg::coverage_summary, of(c.items_ok, c.items), one_decimal(c.item_percent()), of(c.points_ok, c.points),
              one_decimal(percent(c.points_ok, c.points)), of(c.caps_ok, c.caps), of(c.substitutions_ok, c.substitutions),
              of(c.ranks_ok, c.ranks),
              (c.periods ? tr(Msg::coverage_summary_periods, of(c.periods_ok, c.periods)) : "") +
                  (c.groups ? tr(Msg::coverage_summary_groups, of(c.groups_ok, c.groups)) : "") +
                  (c.others ? tr(Msg::coverage_summary_others, of(c.others_ok, c.others)) : "")) +
           "\n";
    if (c.below(threshold)) out += tr(Msg::coverage_below, one_decimal(c.item_percent()), threshold) + "\n";
  }
  return out;
}

// The report as data: each test with its failures, and the coverage when asked for.
std::string json_report(const std::vector<TestOutcome>& outcomes, const std::string& rules_path,
                        const std::string& tests_path, const std::optional<CoverageReport>& coverage, double threshold) {
  nlohmann::ordered_json out;
  out["rulebook"] = rules_path;
  out["tests"] = tests_path;
  size_t failed = 0;
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const auto& t : outcomes) {
    failed += !t.failures.empty();
    list.push_back({{"name", t.name}, {"line", t.line}, {"ok", t.failures.empty()}, {"failures", t.failures}});
  }
  out["passed"] = outcomes.size() - failed;
  out["failed"] = failed;
  out["results"] = list;
  if (coverage) {
    const CoverageReport& c = *coverage;
    nlohmann::ordered_json cov;
    cov["items"] = {{"covered", c.items_ok}, {"total", c.items}};
    cov["amounts_and_time_bounds"] = {{"covered", c.points_ok}, {"total", c.points}};
    cov["caps"] = {{"covered", c.caps_ok}, {"total", c.caps}};
    cov["substitutions"] = {{"covered", c.substitutions_ok}, {"total", c.substitutions}};
    cov["rankings"] = {{"covered", c.ranks_ok}, {"total", c.ranks}};
    cov["period_caps"] = {{"covered", c.periods_ok}, {"total", c.periods}};
    cov["groups"] = {{"covered", c.groups_ok}, {"total", c.groups}};
    cov["grades_and_assessed"] = {{"covered", c.others_ok}, {"total", c.others}};
    cov["item_percent"] = c.item_percent();
    if (threshold >= 0) cov["threshold"] = threshold;
    nlohmann::ordered_json rows = nlohmann::ordered_json::array();
    for (const auto& r : c.rows) rows.push_back({{"line", r.line}, {"what", r.text}, {"covered", r.ok}});
    cov["lines"] = rows;
    out["coverage"] = cov;
  }
  return out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

// Text for an XML attribute or element; the control characters XML 1.0 cannot hold (a
// message may quote a damaged record) become U+FFFD.
std::string xml_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '&') out += "&amp;";
    else if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else if (c == '"') out += "&quot;";
    else if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r') out += "\xEF\xBF\xBD";
    else out += c;
  }
  return out;
}

// JUnit XML, as CI systems read it: one test case per test, and one for the item coverage
// when a threshold is set.
std::string junit_report(const std::vector<TestOutcome>& outcomes, const std::string& rules_path,
                         const std::string& tests_path, const std::optional<CoverageReport>& coverage, double threshold) {
  size_t failed = 0;
  std::string cases;
  for (const auto& t : outcomes) {
    cases += fmt::format("    <testcase name=\"{}\" classname=\"{}\" file=\"{}\" line=\"{}\"", xml_escape(t.name),
                         xml_escape(rules_path), xml_escape(tests_path), t.line);
    if (t.failures.empty()) {
      cases += "/>\n";
      continue;
    }
    ++failed;
    std::string all;
    for (const auto& f : t.failures) all += f + "\n";
    cases += fmt::format(">\n      <failure message=\"{}\">{}</failure>\n    </testcase>\n",
                         xml_escape(t.failures.front().substr(0, t.failures.front().find('\n'))), xml_escape(all));
  }
  size_t count = outcomes.size();
  if (coverage && threshold >= 0) {
    ++count;
    const std::string name = fmt::format("coverage {}%", threshold);
    cases += fmt::format("    <testcase name=\"{}\" classname=\"{}\"", xml_escape(name), xml_escape(rules_path));
    if (coverage->below(threshold)) {
      ++failed;
      const std::string why = tr(Msg::coverage_below, one_decimal(coverage->item_percent()), threshold);
      cases += fmt::format(">\n      <failure message=\"{0}\">{0}</failure>\n    </testcase>\n", xml_escape(why));
    } else {
      cases += "/>\n";
    }
  }
  return fmt::format(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<testsuites tests=\"{0}\" failures=\"{1}\">\n"
      "  <testsuite name=\"{2}\" tests=\"{0}\" failures=\"{1}\" errors=\"0\">\n{3}  </testsuite>\n</testsuites>\n",
      count, failed, xml_escape(tests_path), cases);
}

}  // namespace

int test_command(const TestArgs& args) {
  Diagnostics diags;
  std::string source;
  auto program = compile_file(args.rules, diags, &source, true);
  for (const auto& d : diags.all()) std::cerr << paint(render(d, source));
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
    std::cerr << error_line(tests_path, tr(Msg::test_cannot_read, tests_path));
    return 1;
  }
  Diagnostics test_diags;
  auto tests = parse_tests(tests_path, *text, test_diags);
  for (const auto& d : test_diags.all()) std::cerr << paint(render(d, *text));
  if (!tests) return 1;
  if (tests->empty()) {
    std::cerr << error_line(tests_path, rb::text(Msg::test_none));
    return 1;
  }
  Runner runner(*program, tests_path);
  size_t passed = 0, failed = 0;
  for (const auto& t : *tests) (runner.run(t) ? passed : failed)++;
  int status = failed > 0 ? 1 : 0;
  std::optional<CoverageReport> coverage;
  if (args.coverage || args.threshold >= 0) {
    coverage = runner.coverage();
    if (coverage->below(args.threshold)) status = 1;
  }
  std::string report;
  if (args.format == "json") {
    report = json_report(runner.outcomes(), args.rules, tests_path, coverage, args.threshold);
  } else if (args.format == "junit") {
    report = junit_report(runner.outcomes(), args.rules, tests_path, coverage, args.threshold);
  } else {
    report = text_report(runner.outcomes(), tests_path, coverage, args.rules, args.threshold) +
             tr(Msg::test_summary, passed, failed) + "\n";
  }
  if (args.output.empty()) {
    std::cout << report;
  } else if (std::string error; !write_file_atomically(args.output, report, error)) {
    std::cerr << error_line("", error);
    return 1;
  } else if (args.format != "text") {
    std::cerr << tr(Msg::test_summary, passed, failed) << "\n";
  }
  return status;
}

}  // namespace rb
