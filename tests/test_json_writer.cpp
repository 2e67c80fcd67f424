// The streaming JSON writer against nlohmann's dump(2, ' ', false, replace): the result and
// trace JSON were nlohmann's before, and must stay byte for byte what it wrote.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "cli/json_writer.hpp"
#include "runtime/rational.hpp"

using rb::JsonWriter;
using ordered_json = nlohmann::ordered_json;

namespace {

std::string dumped(const ordered_json& j) { return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace); }

// The same document through the writer, walking nlohmann's tree.
void write(JsonWriter& w, const ordered_json& j) {
  switch (j.type()) {
    case ordered_json::value_t::object:
      w.begin_object();
      for (const auto& [k, v] : j.items()) {
        w.key(k);
        write(w, v);
      }
      w.end_object();
      break;
    case ordered_json::value_t::array:
      w.begin_array();
      for (const auto& v : j) write(w, v);
      w.end_array();
      break;
    case ordered_json::value_t::string: w.value(j.get_ref<const std::string&>()); break;
    case ordered_json::value_t::boolean: w.value(j.get<bool>()); break;
    case ordered_json::value_t::number_integer: w.value(j.get<int64_t>()); break;
    case ordered_json::value_t::number_unsigned: w.value(j.get<uint64_t>()); break;
    case ordered_json::value_t::number_float: w.value(j.get<double>()); break;
    default: w.null(); break;
  }
}

std::string written(const ordered_json& j) {
  std::string out;
  JsonWriter w(out);
  write(w, j);
  return out;
}

std::string as_string(std::string_view s) {
  std::string out;
  rb::append_json_string(out, s);
  return out;
}

const std::vector<std::string> kTricky = {
    "",
    "plain",
    "quote \" and backslash \\ and slash / end",
    std::string("nul \0 inside", 12),
    "\b\f\n\r\t",
    "\x01\x02\x07\x0b\x0e\x1b\x1f\x7f",
    "县教育局 考核 〇一二 “引号” ‘单’ 、。",
    "emoji 😀 and 𠀀 (four bytes)",
    "\u2028\u2029\ufeff",
    "\xff",                  // never a UTF-8 byte
    "\x80 lone continuation",
    "\xc3",                  // cut off at the end
    "\xc3(",                 // a second byte that is not one
    "\xe4\xb8",              // three-byte sequence cut off
    "\xe4\xb8(\xe4\xb8\xad", // cut off, then whole
    "\xc0\xaf overlong /",
    "\xe0\x80\xaf overlong",
    "\xed\xa0\x80 surrogate",
    "\xf4\x90\x80\x80 past U+10FFFF",
    "\xf5\x80\x80\x80",
    "\xf0\x9f\x98 cut emoji",
    "\xf0\x9f\x98",
    "mixed \xe4\xb8\xad\xff\"\\\n\xce\xb1",
};

}  // namespace

TEST_CASE("json writer: strings as nlohmann escapes them, invalid UTF-8 as U+FFFD") {
  for (const auto& s : kTricky) {
    INFO(dumped(ordered_json(s)));
    CHECK(as_string(s) == dumped(ordered_json(s)));
    // And as keys.
    ordered_json o = ordered_json::object();
    o[s] = 1;
    CHECK(written(o) == dumped(o));
  }
}

TEST_CASE("json writer: random bytes escape as nlohmann escapes them") {
  std::mt19937 rng(20221231);
  // Bytes around the boundaries the decoder cares about, so that damaged sequences are common.
  const std::vector<unsigned char> alphabet = {0x00, 0x01, 0x08, 0x09, 0x0a, 0x0c, 0x0d, 0x1f, 0x20, '"', '\\', '/', 'a',
                                               0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0,
                                               0xe1, 0xe4, 0xec, 0xed, 0xee, 0xef, 0xf0, 0xf1, 0xf3, 0xf4, 0xf5, 0xff};
  for (int n = 0; n < 200000; ++n) {
    std::string s(rng() % 12, ' ');
    for (auto& c : s) c = static_cast<char>(alphabet[rng() % alphabet.size()]);
    const std::string mine = as_string(s), theirs = dumped(ordered_json(s));
    if (mine != theirs) {
      std::string hex;
      for (unsigned char c : s) hex += "0123456789abcdef"[c >> 4], hex += "0123456789abcdef"[c & 0xF], hex += ' ';
      INFO("bytes: " << hex << " nlohmann: " << theirs << " writer: " << mine);
      REQUIRE(mine == theirs);
    }
  }
}

TEST_CASE("json writer: numbers as the result has them") {
  std::vector<double> values = {0.0, -0.0, 1.0, -1.0, 0.5, -0.25, 100.0, 92.0, 88.5, -3.75, 0.1, 0.2, 0.3, 1.0 / 3,
                                2.0 / 3, 1e-6, -1e-6, 123456.654321, 1e15, 1e16, 1e17, 1e21, 1e22, 1e-4, 1e-5, 99.99,
                                1234567890123.0, std::numeric_limits<double>::max(), std::numeric_limits<double>::min(),
                                std::numeric_limits<double>::denorm_min()};
  // Rounded as the result rounds them: to 2, 4 and 6 decimals of exact fractions.
  for (int64_t num : std::vector<int64_t>{1, 7, 22, 355, -1, -99, 1000001, -123457, 5000000001}) {
    for (int64_t den : {1, 3, 7, 9, 100, 113, 1024}) {
      for (int d : {0, 2, 4, 6}) values.push_back(rb::to_double_rounded(rb::Rational::make(num, den), d));
    }
  }
  std::mt19937_64 rng(7);
  for (int n = 0; n < 20000; ++n) {
    const int64_t cents = static_cast<int64_t>(rng() % 2000000) - 1000000;
    values.push_back(static_cast<double>(cents) / 100.0);
    values.push_back(static_cast<double>(cents) / 1e6);
  }
  for (double v : values) {
    INFO(v);
    CHECK(written(ordered_json(v)) == dumped(ordered_json(v)));
  }
  CHECK(written(ordered_json(std::nan(""))) == "null");
  CHECK(written(ordered_json(std::numeric_limits<double>::infinity())) == "null");
  for (int64_t i : {int64_t{0}, int64_t{-1}, int64_t{42}, std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()})
    CHECK(written(ordered_json(i)) == dumped(ordered_json(i)));
  for (uint64_t u : {uint64_t{0}, uint64_t{3000}, std::numeric_limits<uint64_t>::max()})
    CHECK(written(ordered_json(u)) == dumped(ordered_json(u)));
}

TEST_CASE("json writer: nesting, indentation, empty containers and null") {
  ordered_json doc;
  doc["rulebook"] = "云和县 2022 年度 \"政务公开\" 考核";
  doc["period"] = {{"from", "2022-01-01"}, {"to", "2022-12-31"}};
  doc["params"] = ordered_json::object();
  doc["empty_array"] = ordered_json::array();
  doc["nothing"] = nullptr;
  ordered_json units = ordered_json::array();
  for (int i = 0; i < 3; ++i) {
    ordered_json u;
    u["unit"] = "县单位" + std::to_string(i);
    u["score"] = i == 1 ? ordered_json(nullptr) : ordered_json(90.5 - i);
    u["vetoed"] = i == 2;
    u["categories"] = {{"平台建设", -2.5}, {"加分", 0.0}};
    u["vetoes"] = std::vector<std::string>{};
    u["items"] = ordered_json::object();
    u["ranks"] = {{"排名", {{"rank", int64_t{2}}, {"of", size_t{3}}, {"within", "乡镇"}}}};
    u["nested"] = ordered_json::array({ordered_json::array(), ordered_json::object(), ordered_json::array({1, ordered_json::array({2})}),
                                       ordered_json::object({{"a", ordered_json::object({{"b", ordered_json::array()}})}})});
    u["notes"] = std::vector<std::string>{"封顶 5", "a\tb", "\xff"};
    units.push_back(u);
  }
  doc["units"] = units;
  CHECK(written(doc) == dumped(doc));
  CHECK(written(ordered_json::object()) == "{}");
  CHECK(written(ordered_json::array()) == "[]");
  CHECK(written(ordered_json(nullptr)) == "null");
  CHECK(written(ordered_json::array({nullptr, true, false, "x"})) == dumped(ordered_json::array({nullptr, true, false, "x"})));
}

TEST_CASE("json writer: a name given twice keeps its first place and its last value, as obj[name] = v did") {
  const std::vector<std::vector<std::pair<std::string, double>>> cases = {
      {},
      {{"a", 1}},
      {{"a", 1}, {"b", 2}, {"a", 3}},
      {{"x", 1}, {"x", 2}, {"x", 3}},
      {{"b", 1}, {"a", 2}, {"c", 3}, {"a", 4}, {"b", 5}},
  };
  std::vector<std::vector<std::pair<std::string, double>>> all = cases;
  std::vector<std::pair<std::string, double>> many;  // past the small-object path
  for (int i = 0; i < 100; ++i) many.emplace_back("单位" + std::to_string(i % 37), i * 0.5);
  all.push_back(many);
  for (const auto& pairs : all) {
    ordered_json j = ordered_json::object();
    for (const auto& [k, v] : pairs) j[k] = v;
    std::string out;
    JsonWriter w(out);
    w.begin_object();
    rb::write_members(
        w, pairs.size(), [&](size_t i) { return std::string_view(pairs[i].first); }, [&](size_t i) { w.value(pairs[i].second); });
    w.end_object();
    CHECK(out == dumped(j));
  }
}
