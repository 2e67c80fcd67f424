// The grammar of a rulebook's test file (`X.tests` beside `X.rules`): named tests, each
// with a few input records and the outcome expected for named units and items.
//
//   测试 政策解读按级别扣分 {
//     记录 {"type": "interp_substandard", "date": "2022-03-01", "unit": "县教育局", "level": "province"}
//     预期 县教育局 政策解读不规范 = 5
//     预期 县统计局 否决
//     预期错误 2 "unknown unit"
//   }
//
// Names are the rulebook's own words (keywords such as 得分 are names here), or quoted.
#pragma once

#include "rulebook_grammar.hpp"

namespace rb::grammar::tests {

using namespace tao::pegtl;
using rb::grammar::name_char;
using rb::grammar::quoted;
using rb::grammar::sep;
using rb::grammar::word;

template <typename Rule>
inline constexpr rb::Msg message = no_message;

// (pegtl::raise named in full: the C library's raise() is in the global namespace too.)
template <typename Rule>
using required = sor<Rule, tao::pegtl::raise<Rule>>;
template <typename Rule>
using expect = seq<sep, required<Rule>>;

struct kw_test : seq<TAO_PEGTL_STRING("测试"), not_at<name_char>> {};
struct kw_record : seq<TAO_PEGTL_STRING("记录"), not_at<name_char>> {};
struct kw_expect_error : seq<TAO_PEGTL_STRING("预期错误"), not_at<name_char>> {};
struct kw_expect : seq<TAO_PEGTL_STRING("预期"), not_at<name_char>> {};
struct kw_vetoed : seq<TAO_PEGTL_STRING("否决"), not_at<name_char>> {};
struct kw_not_vetoed : seq<TAO_PEGTL_STRING("不否决"), not_at<name_char>> {};

struct test_name : sor<quoted, word> {};
struct unit_name : sor<quoted, word> {};
struct node_name : sor<quoted, word> {};

// A JSON object on the record line; its content is checked by the event reader.
struct json_string : seq<one<'"'>, star<sor<seq<one<'\\'>, not_one<'\n'>>, not_one<'"', '\n'>>>, one<'"'>> {};
struct json_object : seq<one<'{'>, star<sor<json_string, json_object, not_one<'{', '}', '"', '\n'>>>, one<'}'>> {};
struct record : seq<kw_record, expect<json_object>> {};

struct value : seq<opt<one<'-'>>, plus<digit>, opt<one<'.'>, plus<digit>>, opt<one<'/'>, plus<digit>>> {};
struct equals : one<'=', '>'> {};
struct vetoed : kw_vetoed {};
struct not_vetoed : kw_not_vetoed {};
struct expected_value : seq<node_name, expect<one<'='>>, expect<value>> {};
struct expectation_body : sor<not_vetoed, vetoed, expected_value> {};
struct expectation : seq<kw_expect, expect<unit_name>, expect<expectation_body>> {};

struct record_number : plus<digit> {};
struct error_text : quoted {};
struct expected_error : seq<kw_expect_error, expect<record_number>, expect<error_text>> {};

struct entry : sor<record, expected_error, expectation> {};
struct test_open : one<'{'> {};
struct test_close : one<'}'> {};
struct test : seq<kw_test, expect<test_name>, expect<test_open>, star<sep, entry>, expect<test_close>> {};
struct end_of_file : eof {};
struct file : seq<opt<TAO_PEGTL_STRING("\xEF\xBB\xBF")>, star<sep, test>, expect<end_of_file>> {};

// clang-format off
template <> inline constexpr auto message<test_name> = rb::Msg::syntax_test_name;
template <> inline constexpr auto message<test_open> = rb::Msg::syntax_test_open;
template <> inline constexpr auto message<test_close> = rb::Msg::syntax_test_close;
template <> inline constexpr auto message<json_object> = rb::Msg::syntax_test_record;
template <> inline constexpr auto message<unit_name> = rb::Msg::syntax_test_unit;
template <> inline constexpr auto message<expectation_body> = rb::Msg::syntax_test_expectation;
template <> inline constexpr auto message<one<'='>> = rb::Msg::syntax_test_equals;
template <> inline constexpr auto message<value> = rb::Msg::syntax_test_value;
template <> inline constexpr auto message<record_number> = rb::Msg::syntax_test_record_number;
template <> inline constexpr auto message<error_text> = rb::Msg::syntax_test_error_text;
template <> inline constexpr auto message<end_of_file> = rb::Msg::syntax_test_file;
// clang-format on

// The quoted-name rules shared with the rulebook grammar keep their messages.
template <typename Rule>
struct test_messages {
  static constexpr rb::Msg value = tests::message<Rule> != no_message ? tests::message<Rule> : error_message<Rule>;
};

template <typename Rule>
using control = raising<test_messages>::control<Rule>;

}  // namespace rb::grammar::tests
