// The verifier is the only thing between a crafted .rbc and the VM: whatever it accepts must
// run, trace, explain and disassemble without touching memory it should not (the sanitizer
// build runs this file too). Here indices, counts, days and enum-like numbers of every kind
// (up to six of each kind, spread over the program) in real compiled programs (the bundled
// rulebook, and the 信访 example with sub-periods, unit groups, grades, 设立 dates, 仅 and
// indicators) are set to the edges of their range, one at a time; each crafted program is
// either refused by verify() with a reason or runs to the end over the example's records.
#include <catch2/catch.hpp>
#include <climits>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "cli/explain.hpp"
#include "compiler/compiler.hpp"
#include "runtime/disasm.hpp"
#include "runtime/rbc_file.hpp"
#include "runtime/session.hpp"

using namespace rb;

namespace {

// One number of a program that a crafted file can set: where it is, and how to set it.
struct Slot {
  std::string where;
  std::function<void(Program&, int64_t)> set;
  int64_t size = 0;  // the size of what it indexes (or a natural bound), for the edge values
};

template <class T>
void set_clamped(T& field, int64_t v) {
  if constexpr (std::is_signed_v<T>) {
    field = static_cast<T>(std::clamp<int64_t>(v, std::numeric_limits<T>::min(), std::numeric_limits<T>::max()));
  } else {
    field = static_cast<T>(std::clamp<int64_t>(v, 0, static_cast<int64_t>(std::numeric_limits<T>::max())));
  }
}

template <class E>
void set_enum(E& field, int64_t v) {
  using U = std::underlying_type_t<E>;
  U raw{};
  set_clamped(raw, v);
  field = static_cast<E>(raw);
}

// Every index-like number of `p`, each with the size of what it refers to.
std::vector<Slot> slots_of(const Program& p) {
  std::vector<Slot> s;
  const auto nodes = static_cast<int64_t>(p.nodes.size());
  const auto units = static_cast<int64_t>(p.units.size());
  const auto sets = static_cast<int64_t>(p.unit_sets.size());
  const auto accs = static_cast<int64_t>(p.accumulators.size());
  const auto add = [&](std::string where, int64_t size, std::function<void(Program&, int64_t)> set) {
    s.push_back({std::move(where), std::move(set), size});
  };
  add("score_node", nodes, [](Program& q, int64_t v) { set_clamped(q.score_node, v); });
  add("vetoed_node", nodes, [](Program& q, int64_t v) { set_clamped(q.vetoed_node, v); });
  add("assessed_node", nodes, [](Program& q, int64_t v) { set_clamped(q.assessed_node, v); });
  add("decimals", 7, [](Program& q, int64_t v) { set_clamped(q.decimals, v); });
  add("period_from", p.period_to, [](Program& q, int64_t v) { set_clamped(q.period_from, v); });
  add("period_to", p.period_to, [](Program& q, int64_t v) { set_clamped(q.period_to, v); });
  for (size_t i = 0; i < p.categories.size(); ++i)
    add("categories", nodes, [i](Program& q, int64_t v) { set_clamped(q.categories[i], v); });
  for (size_t i = 0; i < p.outputs.size(); ++i)
    add("outputs", nodes, [i](Program& q, int64_t v) { set_clamped(q.outputs[i], v); });
  for (size_t i = 0; i < p.indicators.size(); ++i)
    add("indicators", nodes, [i](Program& q, int64_t v) { set_clamped(q.indicators[i], v); });
  for (size_t i = 0; i < p.unit_class.size(); ++i)
    add("unit_class", sets, [i](Program& q, int64_t v) { set_clamped(q.unit_class[i], v); });
  for (size_t i = 0; i < p.unit_from.size(); ++i) {
    add("unit_from", p.period_to, [i](Program& q, int64_t v) { set_clamped(q.unit_from[i], v); });
    add("unit_until", p.period_to, [i](Program& q, int64_t v) { set_clamped(q.unit_until[i], v); });
  }
  for (size_t i = 0; i < p.aliases.size(); ++i)
    add("alias", units, [i](Program& q, int64_t v) { set_clamped(q.aliases[i].second, v); });
  for (size_t i = 0; i < p.params.size(); ++i)
    add("param", p.period_to, [i](Program& q, int64_t v) { q.params[i].value = Rational(v); });
  for (size_t i = 0; i < p.grades.size(); ++i)
    add("grade", 100, [i](Program& q, int64_t v) {
      q.grades[i].has_low = v >= 0;
      q.grades[i].low = Rational(v);
    });
  for (size_t t = 0; t < p.tables.size(); ++t)
    for (size_t r = 0; r < p.tables[t].rows.size() && r < 3; ++r) {
      for (size_t k = 0; k < p.tables[t].rows[r].keys.size(); ++k)
        add("table key", static_cast<int64_t>(p.symbols.size()),
            [t, r, k](Program& q, int64_t v) { set_clamped(q.tables[t].rows[r].keys[k], v); });
      for (size_t k = 0; k < p.tables[t].rows[r].units.size(); ++k)
        add("table unit", units, [t, r, k](Program& q, int64_t v) { set_clamped(q.tables[t].rows[r].units[k], v); });
    }
  for (size_t i = 0; i < p.unit_sets.size(); ++i)
    for (size_t k = 0; k < p.unit_sets[i].units.size() && k < 3; ++k)
      add("unit set member", units, [i, k](Program& q, int64_t v) { set_clamped(q.unit_sets[i].units[k], v); });
  for (size_t e = 0; e < p.events.size(); ++e) {
    const auto fields = static_cast<int64_t>(p.events[e].fields.size());
    add("event unit_field", fields, [e](Program& q, int64_t v) { set_clamped(q.events[e].unit_field, v); });
    add("event key_field", fields, [e](Program& q, int64_t v) { set_clamped(q.events[e].key_field, v); });
    for (size_t f = 0; f < p.events[e].fields.size(); ++f) {
      add("field ref", std::max(p.enums.size(), p.tables.size()),
          [e, f](Program& q, int64_t v) { set_clamped(q.events[e].fields[f].ref, v); });
      add("field kind", 6, [e, f](Program& q, int64_t v) { set_enum(q.events[e].fields[f].kind, v); });
    }
    for (size_t u = 0; u < p.events[e].unique.size(); ++u)
      for (size_t k = 0; k < p.events[e].unique[u].size(); ++k)
        add("unique slot", fields, [e, u, k](Program& q, int64_t v) { set_clamped(q.events[e].unique[u][k], v); });
  }
  for (size_t a = 0; a < p.accumulators.size(); ++a) {
    add("acc exclude", accs, [a](Program& q, int64_t v) { set_clamped(q.accumulators[a].exclude, v); });
    add("acc table", static_cast<int64_t>(p.tables.size()),
        [a](Program& q, int64_t v) { set_clamped(q.accumulators[a].table, v); });
    add("acc days", 366, [a](Program& q, int64_t v) { q.accumulators[a].days = v; });
    add("acc times", 366, [a](Program& q, int64_t v) { q.accumulators[a].times = v; });
    add("acc period", 5, [a](Program& q, int64_t v) { set_enum(q.accumulators[a].period, v); });
  }
  for (size_t n = 0; n < p.nodes.size(); ++n) {
    add("node parent", nodes, [n](Program& q, int64_t v) { set_clamped(q.nodes[n].parent, v); });
    add("node before_cap", nodes, [n](Program& q, int64_t v) { set_clamped(q.nodes[n].before_cap, v); });
    add("node per_period", nodes, [n](Program& q, int64_t v) { set_clamped(q.nodes[n].per_period, v); });
    add("node only", sets, [n](Program& q, int64_t v) { set_clamped(q.nodes[n].only, v); });
    add("node period", 5, [n](Program& q, int64_t v) { set_enum(q.nodes[n].period, v); });
    add("node combine", 4, [n](Program& q, int64_t v) { set_enum(q.nodes[n].combine, v); });
    add("node kind", 9, [n](Program& q, int64_t v) { set_enum(q.nodes[n].kind, v); });
    add("node role", 5, [n](Program& q, int64_t v) { set_enum(q.nodes[n].role, v); });
    add("node from", p.period_to, [n](Program& q, int64_t v) {
      q.nodes[n].has_from = true;
      set_clamped(q.nodes[n].from, v);
    });
    add("node until", p.period_to, [n](Program& q, int64_t v) {
      q.nodes[n].has_until = true;
      set_clamped(q.nodes[n].until, v);
    });
  }
  for (size_t i = 0; i < p.steps.size(); ++i) {
    add("step kind", 4, [i](Program& q, int64_t v) { set_enum(q.steps[i].kind, v); });
    add("step period", 5, [i](Program& q, int64_t v) { set_enum(q.steps[i].period, v); });
    add("step input", nodes, [i](Program& q, int64_t v) { set_clamped(q.steps[i].input, v); });
    add("step output", nodes, [i](Program& q, int64_t v) { set_clamped(q.steps[i].output, v); });
    add("step condition", nodes, [i](Program& q, int64_t v) { set_clamped(q.steps[i].condition, v); });
    add("step filter", nodes, [i](Program& q, int64_t v) { set_clamped(q.steps[i].filter, v); });
    add("step rank_node", nodes, [i](Program& q, int64_t v) { set_clamped(q.steps[i].rank_node, v); });
    add("step scope", 3, [i](Program& q, int64_t v) { set_enum(q.steps[i].scope, v); });
    add("step scope_set", sets, [i](Program& q, int64_t v) { set_clamped(q.steps[i].scope_set, v); });
    add("step agg", 5, [i](Program& q, int64_t v) { set_enum(q.steps[i].agg, v); });
    add("step tie", 2, [i](Program& q, int64_t v) { set_enum(q.steps[i].tie, v); });
    add("step code begin", static_cast<int64_t>(p.code.size()),
        [i](Program& q, int64_t v) { set_clamped(q.steps[i].code.begin, v); });
    for (size_t a = 0; a < p.steps[i].awards.size(); ++a) {
      add("award n", 100, [i, a](Program& q, int64_t v) { q.steps[i].awards[a].n = v; });
      add("award kind", 4, [i, a](Program& q, int64_t v) { set_enum(q.steps[i].awards[a].kind, v); });
    }
  }
  return s;
}

std::vector<int64_t> edges(int64_t size) {
  return {-1, 0, size - 1, size, size + 1, INT32_MAX, INT32_MIN, INT64_MIN};
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The first `lines` lines of a JSON Lines file.
std::string head(const std::string& text, size_t lines) {
  size_t at = 0;
  for (size_t i = 0; i < lines && at != std::string::npos; ++i) at = text.find('\n', at + 1);
  return at == std::string::npos ? text : text.substr(0, at + 1);
}

// Runs a verified program as `rulebook run --trace` and `explain` would, over `events`.
void run_all_the_way(const Program& p, const std::string& events) {
  CHECK_FALSE(disassemble(p).empty());
  try {
    Session session(p, {}, true);
    session.read_text("events.jsonl", events);
    Result result = session.finish();
    // The explanations of one unit (every unit's trace was built by finish()).
    for (size_t u = 0; u < result.traces.size() && u < 1; ++u) {
      const UnitTrace& t = result.traces[u];
      CHECK_FALSE(explain_tree(t, t.score).empty());
      CHECK_FALSE(explain_prose(t, t.score).empty());
    }
  } catch (const RunError&) {
    // A run error is a message for the user: allowed.
  }
}

struct Tally {
  size_t refused = 0, ran = 0;
};

Tally craft_every_slot(const std::string& rules, const std::string& events_file, size_t event_lines) {
  Diagnostics diags;
  auto program = compile_file(std::string(RB_SOURCE_DIR) + "/" + rules, diags);
  REQUIRE(program.has_value());
  REQUIRE(verify(*program) == std::vector<std::string>{});
  const std::string events = head(read_file(std::string(RB_SOURCE_DIR) + "/" + events_file), event_lines);
  // At most kPerKind slots of each kind (every node's parent, ...), spread over the program,
  // so that the sanitizer build runs this in minutes.
  constexpr size_t kPerKind = 6;
  const std::vector<Slot> all = slots_of(*program);
  std::map<std::string, std::vector<const Slot*>> kinds;
  for (const Slot& slot : all) kinds[slot.where].push_back(&slot);
  std::vector<const Slot*> chosen;
  for (const auto& [where, list] : kinds)
    for (size_t i = 0; i < std::min(kPerKind, list.size()); ++i) chosen.push_back(list[i * list.size() / std::min(kPerKind, list.size())]);
  Tally tally;
  for (const Slot* chosen_slot : chosen) {
    const Slot& slot = *chosen_slot;
    for (int64_t v : edges(slot.size)) {
      Program crafted = *program;
      slot.set(crafted, v);
      INFO(rules << ": " << slot.where << " = " << v);
      // As a crafted file would come: written, then loaded (decoded and verified).
      const std::vector<uint8_t> bytes = serialize(crafted);
      auto loaded = deserialize(bytes.data(), bytes.size());
      if (const auto* error = std::get_if<LoadError>(&loaded)) {
        ++tally.refused;
        CHECK_FALSE(error->message.empty());
        continue;
      }
      ++tally.ran;
      run_all_the_way(std::get<Program>(loaded), events);
      continue;
    }
  }
  return tally;
}

}  // namespace

TEST_CASE("verifier: indices of every kind in the bundled rulebook, set to the edges, are refused or run") {
  const Tally t = craft_every_slot("rules/yunhe-2022.rules", "examples/yunhe-2022/events.jsonl", 30);
  CHECK(t.refused > 500);
  CHECK(t.ran > 50);
}

TEST_CASE("verifier: indices of every kind in a program with sub-periods, groups and grades are refused or run") {
  const Tally t = craft_every_slot("examples/xinfang-2022/xinfang-2022.rules", "examples/xinfang-2022/events.jsonl", 30);
  CHECK(t.refused > 500);
  CHECK(t.ran > 50);
}
