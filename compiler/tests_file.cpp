#include "tests_file.hpp"

#include <tao/pegtl.hpp>

#include "grammar/tests_grammar.hpp"
#include "runtime/messages.hpp"

namespace rb {

namespace {

namespace g = rb::grammar::tests;
namespace pegtl = tao::pegtl;

struct State {
  std::vector<RulebookTest> tests;
  std::string unit;
};

std::string unquote(const std::string& s) {
  if (s.size() < 2 || s.front() != '"') return s;
  std::string out;
  for (size_t i = 1; i + 1 < s.size(); ++i) {
    if (s[i] == '\\' && i + 2 < s.size()) ++i;
    out += s[i];
  }
  return out;
}

template <typename Rule>
struct action : pegtl::nothing<Rule> {};

template <>
struct action<g::test_name> {
  template <typename Input>
  static void apply(const Input& in, State& s) {
    RulebookTest t;
    t.name = unquote(in.string());
    t.line = static_cast<uint32_t>(in.position().line);
    s.tests.push_back(std::move(t));
  }
};

template <>
struct action<g::json_object> {
  template <typename Input>
  static void apply(const Input& in, State& s) {
    s.tests.back().records.push_back({in.string(), static_cast<uint32_t>(in.position().line)});
  }
};

template <>
struct action<g::unit_name> {
  template <typename Input>
  static void apply(const Input& in, State& s) {
    s.unit = unquote(in.string());
  }
};

template <>
struct action<g::node_name> {
  template <typename Input>
  static void apply(const Input& in, State& s) {
    s.tests.back().expectations.push_back({s.unit, unquote(in.string()), "", static_cast<uint32_t>(in.position().line)});
  }
};

template <>
struct action<g::value> {
  template <typename Input>
  static void apply(const Input& in, State& s) {
    s.tests.back().expectations.back().value = in.string();
  }
};

template <>
struct action<g::vetoed> {
  template <typename Input>
  static void apply(const Input& in, State& s) {
    s.tests.back().expectations.push_back({s.unit, "", "否决", static_cast<uint32_t>(in.position().line)});
  }
};

template <>
struct action<g::not_vetoed> {
  template <typename Input>
  static void apply(const Input& in, State& s) {
    s.tests.back().expectations.push_back({s.unit, "", "不否决", static_cast<uint32_t>(in.position().line)});
  }
};

template <>
struct action<g::record_number> {
  template <typename Input>
  static void apply(const Input& in, State& s) {
    RulebookTest::ExpectedError e;
    e.record = static_cast<uint32_t>(std::stoul(in.string().substr(0, 6)));
    e.line = static_cast<uint32_t>(in.position().line);
    s.tests.back().errors.push_back(e);
  }
};

template <>
struct action<g::error_text> {
  template <typename Input>
  static void apply(const Input& in, State& s) {
    s.tests.back().errors.back().text = unquote(in.string());
  }
};

}  // namespace

std::optional<std::vector<RulebookTest>> parse_tests(const std::string& path, const std::string& source,
                                                     Diagnostics& diags) {
  State state;
  pegtl::memory_input in(source, path);
  try {
    pegtl::parse<g::file, action, g::control>(in, state);
  } catch (const grammar::syntax_error& e) {
    const auto& pos = e.positions().front();
    const std::string_view before = std::string_view(source).substr(pos.byte - (pos.column - 1), pos.column - 1);
    diags.error(path, {static_cast<uint32_t>(pos.line), char_column(before, pos.line),
                       static_cast<uint32_t>(pos.byte), 1},
                tr(e.message_id));
    return std::nullopt;
  }
  return std::move(state.tests);
}

}  // namespace rb
