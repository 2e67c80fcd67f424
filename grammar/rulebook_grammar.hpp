// The grammar of rulebook files as PEGTL rules, and nothing else: it recognises text and
// says what was expected where it fails. The parser (compiler/parser.cpp) selects the
// nodes it needs from PEGTL's parse tree, builds the typed AST and reports diagnostics.
//
// Conventions that keep spans exact and errors precise:
// - A rule never consumes blanks after its last token; blanks are skipped *before* a token
//   inside a rule (`expect<R>`, `opt<sep, R>`, `star<sep, R>`), so every parse-tree node
//   begins at its first token and ends at its last.
// - `expect<R>` marks a commit point: once the rule got this far, R is required, and its
//   failure raises `error_message<R>` at the place where R should have started.
// - Rules that only exist to carry a message (`amount`, `category_open`, ...) derive from
//   the rule they stand for, so the same token can be explained differently in each place.
//   Such a rule runs its base's matching code directly, so in the parse tree it is the
//   derived rule, not the base, that can be selected as a node (`title_text`, not `quoted`).
#pragma once

#include <bitset>
#include <cstddef>
#include <tao/pegtl.hpp>
#include <tao/pegtl/contrib/analyze_traits.hpp>

#include "runtime/messages.hpp"

namespace rb::grammar {

using namespace tao::pegtl;

// The message raised when a required rule fails (see `required` below): an entry of the
// message catalogue (runtime/messages/compiler.def), so the parser can say it in the
// user's language. The specializations are at the end of this file; `control` refuses to
// compile a required rule without one.
inline constexpr rb::Msg no_message = rb::Msg::count_;
template <typename Rule>
inline constexpr rb::Msg error_message = no_message;

// What a required rule's failure throws: a parse_error (its text in the current language)
// that also carries the message, for the parser to look up again or compare.
struct syntax_error : parse_error {
  template <typename ParseInput>
  syntax_error(rb::Msg m, const ParseInput& in) : parse_error(rb::tr(m), in), message_id(m) {}
  rb::Msg message_id;
};

// ------------------------------------------------------------------------ nesting limit

// Expressions and groups nest by recursion, and each level costs a few kilobytes of parser
// stack, so deeper input is rejected with an error instead of exhausting the stack.
inline constexpr std::size_t max_nesting_depth = 200;

// The parse state that counts how deeply expressions and groups are nested. Pass one to
// tao::pegtl::parse (or parse_tree::parse); without it the depth is not limited.
struct nesting {
  std::size_t depth = 0;
};

inline nesting* find_nesting(nesting* /*found*/, nesting& candidate) noexcept { return &candidate; }
template <typename State>
nesting* find_nesting(nesting* found, const State& /*other*/) noexcept {
  return found;
}

// Matches Rule one nesting level deeper, raising error_message<Tag> beyond the limit. It
// derives from seq<Rule> so that analyze() and the parse tree see it as plain Rule.
template <typename Tag, typename Rule>
struct depth_limited : seq<Rule> {
  template <apply_mode A, rewind_mode M, template <typename...> class Action, template <typename...> class Control,
            typename ParseInput, typename... States>
  [[nodiscard]] static bool match(ParseInput& in, States&&... st) {
    nesting* counter = nullptr;
    ((counter = find_nesting(counter, st)), ...);
    if (counter == nullptr) return tao::pegtl::match<Rule, A, M, Action, Control>(in, st...);
    if (counter->depth >= max_nesting_depth) throw syntax_error(error_message<Tag>, in);
    struct level {
      nesting& n;
      explicit level(nesting& counted) : n(counted) { ++n.depth; }
      ~level() { --n.depth; }
    } entered(*counter);
    return tao::pegtl::match<Rule, A, M, Action, Control>(in, st...);
  }
};

struct expression_too_deep {};
struct groups_too_deep {};

// ------------------------------------------------------------------------------ lexical

// Blanks: ASCII white space and the ideographic space U+3000 that Chinese input methods
// produce. A comment runs from '#' to the end of the line, whatever its bytes.
struct blank : sor<one<' ', '\t', '\n', '\r', '\f', '\v'>, utf8::one<0x3000>> {};
struct comment : seq<one<'#'>, until<eolf>> {};
struct sep : star<sor<blank, comment>> {};

// Requires Rule: when it does not match, error_message<Rule> is raised. This is must<Rule>
// except for the position: must<> matches with rewind_mode::dontcare and so reports where
// the failed attempt stopped, mid-token for a half-written date (`2022-1-31`) or a keyword
// run into a name (`则1`); here the input is rewound first, so the error points at the
// start of what should have been Rule.
// (pegtl::raise named in full: the C library's raise() is in the global namespace too.)
template <typename Rule>
using required = sor<Rule, tao::pegtl::raise<Rule>>;

// Skips blanks, then requires Rule: the commit point of every construct below.
template <typename Rule>
using expect = seq<sep, required<Rule>>;

// A name is a maximal run of name characters not starting with an ASCII digit. Non-ASCII
// code points are name characters except Chinese punctuation, the ideographic space and the
// comparison signs, which therefore separate names like ASCII punctuation does.
struct ascii_name_char : ranges<'a', 'z', 'A', 'Z', '0', '9', '_'> {};
struct wide_punctuation : utf8::one<U'，', U'。', U'：', U'；', U'（', U'）', U'【', U'】', U'、', U'“', U'”', U'‘',
                                    U'’', U'《', U'》', U'！', U'？', 0x3000, U'≤', U'≥', U'≠'> {};
struct wide_name_char : seq<not_at<wide_punctuation>, utf8::range<0x80, 0x10FFFF>> {};
struct name_char : sor<ascii_name_char, wide_name_char> {};
struct word : seq<not_at<digit>, plus<name_char>> {};

// A keyword is a reserved word standing alone: `有 app_case` starts with the keyword 有,
// `有app_case` is one name. Because of that boundary a keyword never matches a prefix of a
// longer one (每 in 每个不同, 否则 in 否则取平均).
template <char32_t... Cs>
struct keyword : seq<utf8::string<Cs...>, not_at<name_char>> {};

struct kw_assessment : keyword<U'考', U'核'> {};
struct kw_period : keyword<U'考', U'核', U'期'> {};
struct kw_to : keyword<U'至'> {};
struct kw_from : keyword<U'自'> {};
struct kw_base_score : keyword<U'基', U'础', U'分'> {};
struct kw_score_range : keyword<U'得', U'分', U'范', U'围'> {};
struct kw_param : keyword<U'参', U'数'> {};
struct kw_unit : keyword<U'单', U'位'> {};
struct kw_unit_group : keyword<U'单', U'位', U'组'> {};
struct kw_alias : keyword<U'别', U'名'> {};
struct kw_enum : keyword<U'枚', U'举'> {};
struct kw_table : keyword<U'表'> {};
struct kw_source : keyword<U'来', U'自'> {};
struct kw_event : keyword<U'事', U'件'> {};
struct kw_optional : keyword<U'可', U'选'> {};
struct kw_unique : keyword<U'唯', U'一'> {};
struct kw_stream : keyword<U'记', U'录'> {};
struct kw_exclude : keyword<U'排', U'除'> {};
struct kw_same : keyword<U'同'> {};
struct kw_of : keyword<U'的'> {};
struct kw_veto : keyword<U'否', U'决', U'项'> {};
struct kw_deduction : keyword<U'扣', U'分'> {};
struct kw_bonus : keyword<U'加', U'分'> {};
struct kw_cap : keyword<U'上', U'限'> {};
struct kw_uncapped : keyword<U'不', U'设', U'上', U'限'> {};
struct kw_group : keyword<U'分', U'组'> {};
struct kw_item : keyword<U'条', U'目'> {};
struct kw_cite : keyword<U'引', U'用'> {};
struct kw_substitute : keyword<U'适', U'用'> {};
struct kw_else_average : keyword<U'否', U'则', U'取', U'平', U'均'> {};
struct kw_each_record : keyword<U'每', U'条'> {};
struct kw_each_case : keyword<U'每', U'件'> {};
struct kw_each_time : keyword<U'每', U'次'> {};
struct kw_each_article : keyword<U'每', U'篇'> {};
struct kw_each_distinct : keyword<U'每', U'个', U'不', U'同'> {};
struct kw_each : keyword<U'每', U'个'> {};
struct kw_each_over : keyword<U'每', U'超'> {};
struct kw_every : keyword<U'每'> {};
struct kw_take_highest : keyword<U'取', U'最', U'高'> {};
struct kw_deduct : keyword<U'扣'> {};
struct kw_add : keyword<U'加'> {};
struct kw_count_as : keyword<U'计'> {};
struct kw_by : keyword<U'按'> {};
struct kw_other : keyword<U'其', U'他'> {};
struct kw_count : keyword<U'条', U'数'> {};
struct kw_number_of : keyword<U'个', U'数'> {};
struct kw_distinct : keyword<U'不', U'同'> {};
struct kw_has : keyword<U'有'> {};
struct kw_has_no : keyword<U'无'> {};
struct kw_gap : keyword<U'间', U'隔'> {};
struct kw_days : keyword<U'天'> {};
struct kw_consecutive : keyword<U'连', U'续'> {};
struct kw_times : keyword<U'次'> {};
struct kw_rank : keyword<U'排', U'名'> {};
struct kw_descending : keyword<U'从', U'高', U'到', U'低'> {};
struct kw_ascending : keyword<U'从', U'低', U'到', U'高'> {};
struct kw_tie_competition : keyword<U'并', U'列', U'同', U'名', U'次'> {};
struct kw_tie_dense : keyword<U'并', U'列', U'密', U'集'> {};
struct kw_skip : keyword<U'不', U'排'> {};
struct kw_if : keyword<U'若'> {};
struct kw_then : keyword<U'则'> {};
struct kw_else : keyword<U'否', U'则'> {};
struct kw_and : keyword<U'且'> {};
struct kw_or : keyword<U'或'> {};
struct kw_not : keyword<U'非'> {};
struct kw_in : keyword<U'属', U'于'> {};
struct kw_not_in : keyword<U'不', U'属', U'于'> {};
struct kw_where : keyword<U'其', U'中'> {};
struct kw_output : keyword<U'输', U'出'> {};
struct kw_max : keyword<U'最', U'大'> {};
struct kw_min : keyword<U'最', U'小'> {};
struct kw_score : keyword<U'得', U'分'> {};
struct kw_date : keyword<U'日', U'期'> {};
struct kw_indicator : keyword<U'指', U'标'> {};
struct kw_mean : keyword<U'平', U'均'> {};
struct kw_highest : keyword<U'最', U'高'> {};
struct kw_lowest : keyword<U'最', U'低'> {};
struct kw_total : keyword<U'合', U'计'> {};
struct kw_unit_count : keyword<U'单', U'位', U'数'> {};
struct kw_own_class : keyword<U'本', U'类'> {};
struct kw_within_class : keyword<U'本', U'类', U'内'> {};
struct kw_without_vetoed : keyword<U'不', U'含', U'否', U'决', U'单', U'位'> {};
struct kw_round : keyword<U'四', U'舍', U'五', U'入'> {};
struct kw_round_up : keyword<U'向', U'上', U'取', U'整'> {};
struct kw_round_down : keyword<U'向', U'下', U'取', U'整'> {};
struct kw_if_zero : keyword<U'分', U'母', U'为', U'零', U'时'> {};
struct kw_full : keyword<U'满', U'分'> {};
struct kw_points : keyword<U'计', U'分'> {};
struct kw_not_assessed : keyword<U'不', U'参', U'与', U'考', U'核'> {};
struct kw_grades : keyword<U'等', U'级'> {};
struct kw_weekly : keyword<U'按', U'周'> {};
struct kw_monthly : keyword<U'按', U'月'> {};
struct kw_quarterly : keyword<U'按', U'季'> {};
struct kw_half_yearly : keyword<U'按', U'半', U'年'> {};
struct kw_period_cap : keyword<U'每', U'期', U'上', U'限'> {};
struct kw_period_mean : keyword<U'取', U'各', U'期', U'平', U'均'> {};
struct kw_with_records : keyword<U'仅', U'有', U'记', U'录', U'的', U'期'> {};
struct kw_existing : keyword<U'仅', U'存', U'续', U'的', U'期'> {};
struct kw_set_up : keyword<U'设', U'立'> {};
struct kw_closed : keyword<U'撤', U'销'> {};
struct kw_only : keyword<U'仅'> {};
struct kw_decimals : keyword<U'小', U'数', U'位', U'数'> {};

// Any of the keywords Kws: sor<Kws...>, tried only when the input starts with the first
// character of one of them. Names are read all over a rulebook (a registry has one per unit
// and account), each first checked not to be a keyword, and trying a hundred keywords in turn
// at every name was most of the time a large rulebook took to parse.
template <char32_t C, char32_t... Cs>
constexpr char32_t first_character(const keyword<C, Cs...>* /*unused*/) {
  return C;
}

template <typename... Kws>
struct one_of_keywords {
  using rule_t = one_of_keywords;
  using subs_t = type_list<Kws...>;

  // False only when no keyword can match here: the input starts with a code point of one,
  // two or three bytes that begins none of them. Anything else (four bytes, invalid UTF-8,
  // the end of the input) is left to sor<Kws...>.
  static bool may_start(const char* p, std::size_t n) {
    static const std::bitset<0x10000> first = [] {
      std::bitset<0x10000> b;
      ((first_character(static_cast<const Kws*>(nullptr)) < 0x10000
            ? static_cast<void>(b.set(first_character(static_cast<const Kws*>(nullptr))))
            : static_cast<void>(0)),
       ...);
      return b;
    }();
    auto byte = [p](std::size_t i) { return static_cast<unsigned char>(p[i]); };
    auto continuation = [&](std::size_t i) { return (byte(i) & 0xC0) == 0x80; };
    if (n == 0) return true;
    char32_t c;
    if (byte(0) < 0x80) c = byte(0);
    else if (byte(0) >= 0xC0 && byte(0) < 0xE0 && n >= 2 && continuation(1))
      c = (char32_t{byte(0) & 0x1Fu} << 6) | (byte(1) & 0x3Fu);
    else if (byte(0) >= 0xE0 && byte(0) < 0xF0 && n >= 3 && continuation(1) && continuation(2))
      c = (char32_t{byte(0) & 0x0Fu} << 12) | (char32_t{byte(1) & 0x3Fu} << 6) | (byte(2) & 0x3Fu);
    else return true;
    return first.test(c);
  }

  template <apply_mode A, rewind_mode M, template <typename...> class Action, template <typename...> class Control,
            typename ParseInput, typename... States>
  [[nodiscard]] static bool match(ParseInput& in, States&&... st) {
    if (!may_start(in.current(), in.size(4))) return false;
    return tao::pegtl::match<sor<Kws...>, A, M, Action, Control>(in, st...);
  }
};

}  // namespace rb::grammar

// For pegtl::analyze (the grammar test checks the grammar has no rule that can loop without
// consuming input): one_of_keywords matches what sor<Kws...> matches, or less.
template <typename Name, typename... Kws>
struct tao::pegtl::analyze_traits<Name, rb::grammar::one_of_keywords<Kws...>>
    : analyze_traits<Name, typename tao::pegtl::sor<Kws...>::rule_t> {};

namespace rb::grammar {

struct any_keyword
    : one_of_keywords<kw_assessment, kw_period, kw_to, kw_from, kw_base_score, kw_score_range, kw_param, kw_unit, kw_unit_group,
          kw_alias, kw_enum, kw_table, kw_source, kw_event, kw_optional, kw_unique, kw_stream, kw_exclude, kw_same,
          kw_of, kw_veto, kw_deduction, kw_bonus, kw_cap, kw_uncapped, kw_group, kw_item, kw_cite, kw_substitute,
          kw_else_average, kw_each_record, kw_each_case, kw_each_time, kw_each_article, kw_each_distinct, kw_each,
          kw_each_over, kw_every, kw_take_highest, kw_deduct, kw_add, kw_count_as, kw_by, kw_other, kw_count,
          kw_number_of, kw_distinct, kw_has, kw_has_no, kw_gap, kw_days, kw_consecutive, kw_times, kw_rank,
          kw_descending, kw_ascending, kw_tie_competition, kw_tie_dense, kw_skip, kw_if, kw_then, kw_else, kw_and,
          kw_or, kw_not, kw_in, kw_not_in, kw_where, kw_output, kw_max, kw_min, kw_score, kw_date, kw_indicator,
          kw_mean, kw_highest, kw_lowest, kw_total, kw_unit_count, kw_own_class, kw_within_class, kw_without_vetoed,
          kw_round, kw_round_up, kw_round_down, kw_if_zero, kw_full, kw_points, kw_not_assessed, kw_grades,
          kw_weekly, kw_monthly, kw_quarterly, kw_half_yearly, kw_period_cap, kw_period_mean, kw_with_records,
          kw_existing, kw_set_up, kw_closed, kw_only, kw_decimals> {};

// The keywords that start a declaration; error recovery resumes at a line starting with one.
struct top_level_keyword
    : sor<kw_assessment, kw_period, kw_base_score, kw_score_range, kw_param, kw_unit, kw_unit_group, kw_alias, kw_enum,
          kw_table, kw_event, kw_stream, kw_veto, kw_deduction, kw_bonus, kw_output, kw_indicator, kw_points,
          kw_not_assessed, kw_grades, kw_set_up, kw_closed, kw_decimals> {};

// Punctuation. The full-width colon and comma are accepted because Chinese input methods
// produce them.
struct colon : sor<one<':'>, utf8::one<U'：'>> {};
struct comma : sor<one<','>, utf8::one<U'，'>> {};
struct assign : one<'='> {};
struct arrow : string<'-', '>'> {};
struct open_brace : one<'{'> {};
struct close_brace : one<'}'> {};
struct open_paren : one<'('> {};
struct close_paren : one<')'> {};

// Literals. A number or a date may not run straight into a name (`5分`): that is reported
// rather than read as two tokens.
struct literal_end : not_at<name_char> {};
struct number : seq<plus<digit>, opt<one<'.'>, plus<digit>>, required<literal_end>> {};
struct date : seq<rep<4, digit>, one<'-'>, rep<2, digit>, one<'-'>, rep<2, digit>, required<literal_end>> {};

// A double-quoted string on one line; \" and \\ are its only escapes.
struct escaped_char : one<'"', '\\'> {};
struct escape : seq<one<'\\'>, required<escaped_char>> {};
struct string_char : sor<escape, utf8::not_one<'"', '\\', '\n', '\r'>> {};
struct closing_quote : one<'"'> {};
struct quoted : seq<one<'"'>, star<string_char>, required<closing_quote>> {};

// ------------------------------------------------------------------------------- names

struct identifier : seq<not_at<any_keyword>, word> {};
struct name : sor<quoted, identifier> {};

// A name where a keyword would be a mistake: a keyword here raises "is a keyword" instead
// of failing, while any other non-name simply does not match (a closing '}', say).
struct not_keyword : not_at<any_keyword> {};
struct strict_name : seq<required<not_keyword>, name> {};

// The words 单位 and 日期 are keywords that also name a field type; 得分 and 日期 are read
// as names in expressions.
struct unit_type : kw_unit {};
struct date_word : kw_date {};
struct score_word : kw_score {};

struct field_ref : sor<date_word, strict_name> {};
struct stream_name : strict_name {};
struct table_ref : strict_name {};
struct registry_ref : strict_name {};

// ------------------------------------------------------------------------- expressions

struct expression;

// Expressions that stand in a particular place, so errors can say what was expected there.
struct amount;
struct condition;
struct day_count;
struct times_count;
struct rank_value;

// A stream of records: NAME [排除 同 FIELD 的 OTHER] (其中 COND)*.
struct exclusion : seq<kw_exclude, expect<kw_same>, expect<field_ref>, expect<kw_of>, expect<stream_name>> {};
struct filter : seq<kw_where, expect<condition>> {};
struct stream : seq<stream_name, opt<sep, exclusion>, star<sep, filter>> {};

// 扣, 加 and 计 all introduce an amount; the sign comes from the category.
struct verb : sor<kw_deduct, kw_add, kw_count_as> {};

struct paren_expr : seq<open_paren, expect<expression>, expect<close_paren>> {};

struct else_branch : kw_else {};
struct conditional
    : seq<kw_if, expect<condition>, expect<kw_then>, expect<expression>, expect<else_branch>, expect<expression>> {};

struct function_name : sor<kw_max, kw_min, kw_round, kw_round_up, kw_round_down> {};
struct call_open : open_paren {};
struct call_close : close_paren {};
struct call : seq<function_name, expect<call_open>, expect<expression>, star<sep, comma, expect<expression>>,
                  expect<call_close>> {};

// 平均(VALUE [, SCOPE]): a value across units. SCOPE is 本类 (the unit's own unit group), a
// table or unit group, and/or 其中 COND (the units for which COND holds).
struct aggregate_word : sor<kw_mean, kw_highest, kw_lowest, kw_total, kw_unit_count> {};
struct own_class : kw_own_class {};
struct scope_filter : seq<kw_where, expect<condition>> {};
struct scope : sor<seq<own_class, opt<sep, scope_filter>>, scope_filter, seq<registry_ref, opt<sep, scope_filter>>> {};
struct scope_comma : comma {};
struct cross_unit : seq<aggregate_word, expect<call_open>, expect<expression>, opt<sep, scope_comma, expect<scope>>,
                        expect<call_close>> {};

struct in_word : kw_in {};
struct not_in_word : kw_not_in {};
struct membership : sor<in_word, not_in_word> {};
struct unit_in : seq<kw_unit, expect<membership>, expect<registry_ref>> {};

struct arms_open : open_brace {};
struct arms_close : close_brace {};
struct arm_colon : colon {};
struct value_arm : seq<strict_name, expect<arm_colon>, expect<amount>> {};
struct otherwise_arm : seq<kw_other, expect<arm_colon>, expect<amount>> {};
struct by_value : seq<kw_by, expect<field_ref>, expect<arms_open>, star<sep, not_at<kw_other>, value_arm>,
                      opt<sep, otherwise_arm>, expect<arms_close>> {};

struct per_record_word : sor<kw_each_record, kw_each_case, kw_each_time, kw_each_article> {};
struct per_record : seq<per_record_word, expect<stream>, expect<verb>, expect<amount>> {};

// 每个不同 KEY starts two constructs; the word after the key tells them apart.
struct highest_arm : seq<stream, expect<arm_colon>, expect<amount>> {};
struct per_distinct_tail : seq<kw_of, expect<stream>, expect<verb>, expect<amount>> {};
struct take_highest_tail
    : seq<kw_take_highest, expect<arms_open>, expect<highest_arm>, star<sep, highest_arm>, expect<arms_close>> {};
struct distinct_tail : sor<per_distinct_tail, take_highest_tail> {};
struct distinct_expr : seq<kw_each_distinct, expect<field_ref>, expect<distinct_tail>> {};

struct count : seq<kw_count, expect<stream>> {};
struct count_distinct : seq<kw_number_of, expect<kw_distinct>, expect<field_ref>, expect<kw_of>, expect<stream>> {};

struct presence : kw_has {};
struct absence : kw_has_no {};
struct exists : seq<sor<presence, absence>, expect<stream>> {};

// 每个 TABLE 的 STREAM starts the gap and the streak rules.
struct gaps_tail : seq<kw_gap, expect<kw_each_over>, expect<day_count>, expect<kw_days>, expect<verb>, expect<amount>> {
};
struct streak_tail : seq<kw_every, expect<day_count>, expect<kw_days>, expect<kw_consecutive>, expect<times_count>,
                         expect<kw_times>, expect<condition>, expect<verb>, expect<amount>> {};
struct per_table_tail : sor<gaps_tail, streak_tail> {};
struct per_table_expr : seq<kw_each, expect<table_ref>, expect<kw_of>, expect<stream>, expect<per_table_tail>> {};

struct descending : kw_descending {};
struct ascending : kw_ascending {};
struct rank_order : sor<descending, ascending> {};
struct tie_competition : kw_tie_competition {};
struct tie_dense : kw_tie_dense {};
struct tie_rule : sor<tie_competition, tie_dense> {};
struct rank_skip : seq<kw_skip, expect<expression>> {};
struct within_class : kw_within_class {};
struct without_vetoed : kw_without_vetoed {};
// Awards by position: 前3名 (ranks 1 to 3), 后2名 (the last two), 后10% (the last tenth); blanks
// between the parts are allowed. They are tried before a plain rank number.
struct award_count : plus<digit> {};
struct place_word : utf8::one<U'名'> {};
struct top_places : seq<utf8::one<U'前'>, sep, award_count, sep, place_word> {};
struct bottom_places : seq<utf8::one<U'后'>, sep, award_count, sep, place_word> {};
struct bottom_percent : seq<utf8::one<U'后'>, sep, award_count, sep, one<'%'>> {};
struct award_key : sor<top_places, bottom_percent, bottom_places, expression> {};
struct award : seq<award_key, expect<arm_colon>, expect<amount>> {};
struct rank : seq<kw_rank, expect<rank_value>, expect<rank_order>, opt<sep, tie_rule>, opt<sep, within_class>,
                  opt<sep, without_vetoed>, opt<sep, rank_skip>, expect<arms_open>, expect<award>, star<sep, award>,
                  expect<arms_close>> {};

// Alternatives starting with a keyword come before names and literals; a date is tried
// before a number because both start with digits.
struct primary : sor<paren_expr, conditional, call, cross_unit, unit_in, by_value, per_record, distinct_expr, count,
                     count_distinct, exists, per_table_expr, rank, date, number, quoted, score_word, date_word,
                     identifier> {};

// Prefix operators are repeated with star<> rather than recursion, so a long run of them
// cannot exhaust the stack. Each precedence level below is required in exactly one
// place, right after an operator, which is what its error message describes.
struct negative_sign : seq<one<'-'>, not_at<one<'>'>>> {};
struct unary_expr : sor<seq<plus<negative_sign, sep>, required<primary>>, primary> {};

struct multiply : one<'*'> {};
struct divide : one<'/'> {};
// A product or quotient may say its value for when a divisor is 0: `a / b 分母为零时 100`.
struct zero_fallback : seq<kw_if_zero, expect<unary_expr>> {};
struct mul_expr : seq<unary_expr, star<sep, sor<multiply, divide>, expect<unary_expr>>, opt<sep, zero_fallback>> {};

struct plus_sign : one<'+'> {};
struct minus_sign : seq<one<'-'>, not_at<one<'>'>>> {};
struct add_expr : seq<mul_expr, star<sep, sor<plus_sign, minus_sign>, expect<mul_expr>>> {};

struct less_equal : sor<string<'<', '='>, utf8::one<U'≤'>> {};
struct greater_equal : sor<string<'>', '='>, utf8::one<U'≥'>> {};
struct not_equal : sor<string<'!', '='>, utf8::one<U'≠'>> {};
struct less : one<'<'> {};
struct greater : one<'>'> {};
struct equal : one<'='> {};
struct comparison_op : sor<less_equal, greater_equal, not_equal, less, greater, equal> {};

struct set_open : open_brace {};
struct set_close : close_brace {};
struct set_member : strict_name {};
struct in_set_tail : seq<membership, expect<set_open>, opt<sep, set_member, star<sep, opt<comma, sep>, set_member>>,
                         expect<set_close>> {};

// A comparison does not chain: `a < b < c` is an error rather than a surprise.
struct comparison_tail : seq<comparison_op, expect<add_expr>> {};
struct chained_comparison : sor<comparison_op, membership> {};
struct cmp_expr : seq<add_expr, opt<sep, sor<comparison_tail, in_set_tail>,
                                    opt<at<sep, chained_comparison>, sep, tao::pegtl::raise<chained_comparison>>>> {};

struct negation : kw_not {};
struct not_expr : sor<seq<plus<negation, sep>, required<cmp_expr>>, cmp_expr> {};
struct and_expr : seq<not_expr, star<sep, kw_and, expect<not_expr>>> {};
struct or_expr : seq<and_expr, star<sep, kw_or, expect<and_expr>>> {};

struct expression : depth_limited<expression_too_deep, or_expr> {};
struct amount : expression {};
struct condition : expression {};
struct day_count : expression {};
struct times_count : expression {};
struct rank_value : expression {};

// ------------------------------------------------------------------------- declarations

struct title_text : quoted {};
struct title : seq<kw_assessment, expect<title_text>> {};

struct range_to : kw_to {};
struct period : seq<kw_period, expect<date>, expect<range_to>, expect<date>> {};
struct base_score : seq<kw_base_score, expect<expression>> {};
struct score_range : seq<kw_score_range, expect<expression>, expect<range_to>, expect<expression>> {};
struct param : seq<kw_param, expect<strict_name>, expect<assign>, expect<expression>> {};
// 小数位数 N: how many decimals the outputs show (2 when not said).
struct decimals : seq<kw_decimals, expect<expression>> {};

struct list_open : open_brace {};
struct list_close : close_brace {};
struct units : seq<kw_unit, expect<list_open>, star<sep, strict_name>, expect<list_close>> {};
struct unit_group
    : seq<kw_unit_group, expect<strict_name>, expect<list_open>, star<sep, strict_name>, expect<list_close>> {};
struct alias : seq<kw_alias, expect<strict_name>, expect<assign>, expect<strict_name>> {};
// A display name: the quoted words that forms, column headers and records may use for an
// event type, a field or an enum member instead of its code (`province "省政府办公厅"`).
struct display_name : quoted {};
// An enum member's display name follows it. A quoted member has none, so that `{ "a" "b" }`
// stays two members.
struct enum_member : seq<required<not_keyword>, sor<seq<identifier, opt<sep, display_name>>, quoted>> {};
struct enum_decl : seq<kw_enum, expect<strict_name>, expect<list_open>, star<sep, enum_member>, expect<list_close>> {};

// 表 NAME (COLUMN, ...) -> 单位 { KEY... -> UNIT, ... } or -> 单位 来自 "file.csv". Rows are
// not line-based: a row ends after its comma-separated units, and the next name starts the
// next row.
struct names_open : open_paren {};
struct names_close : close_paren {};
struct key_columns : seq<names_open, expect<strict_name>, star<sep, comma, expect<strict_name>>, expect<names_close>> {
};
struct table_target : kw_unit {};
struct source_file : quoted {};
struct table_source : seq<kw_source, expect<source_file>> {};
struct row_keys : seq<strict_name, star<sep, strict_name>> {};
struct row_units : seq<strict_name, star<sep, comma, expect<strict_name>>> {};
struct table_row : seq<row_keys, expect<arrow>, expect<row_units>> {};
struct rows_open : open_brace {};
struct rows_close : close_brace {};
struct table_rows : seq<rows_open, star<sep, table_row>, expect<rows_close>> {};
struct table_body : sor<table_source, table_rows> {};
struct table
    : seq<kw_table, expect<strict_name>, expect<key_columns>, expect<arrow>, expect<table_target>, expect<table_body>> {
};

// 事件 NAME ["DISPLAY"] { FIELD... 唯一 (FIELD, ...) } with
// FIELD = NAME ["DISPLAY"]: TYPE [(KEY, ...)] [可选].
struct field_list : seq<names_open, expect<field_ref>, star<sep, comma, expect<field_ref>>, expect<names_close>> {};
struct key_fields : field_list {};
struct optional_mark : kw_optional {};
struct field_type : sor<unit_type, date_word, strict_name> {};
struct field_colon : colon {};
struct field
    : seq<strict_name, opt<sep, display_name>, expect<field_colon>, expect<field_type>, opt<sep, key_fields>,
          opt<sep, optional_mark>> {};
struct unique_fields : field_list {};
struct unique_clause : seq<kw_unique, expect<unique_fields>> {};
struct fields_open : open_brace {};
struct fields_close : close_brace {};
struct event_type : seq<kw_event, expect<strict_name>, opt<sep, display_name>, expect<fields_open>,
                        star<sep, sor<unique_clause, field>>, expect<fields_close>> {};

struct named_stream : seq<kw_stream, expect<strict_name>, expect<assign>, expect<stream>> {};

// Scoring: categories hold items and groups; a substitution (适用 ... 否则取平均) comes last.
struct citation_text : quoted {};
struct citation : seq<kw_cite, expect<citation_text>> {};
struct cap : seq<kw_cap, expect<expression>> {};
struct uncapped : kw_uncapped {};
struct substitution : seq<kw_substitute, expect<condition>, expect<kw_else_average>> {};

struct item_from : seq<kw_from, expect<date>> {};
struct item_until : seq<kw_to, expect<date>> {};
struct item_open : open_brace {};
struct item_close : close_brace {};
struct term : expression {};
struct full_marks : seq<kw_full, expect<expression>> {};

// 按月 [每期上限 N] [取各期平均 [仅有记录的期 | 仅存续的期]]: scored per sub-period, each
// capped on its own, then summed, or averaged over all, or some, of the sub-periods.
struct period_word : sor<kw_weekly, kw_monthly, kw_quarterly, kw_half_yearly> {};
struct period_cap : seq<kw_period_cap, expect<expression>> {};
struct with_records : kw_with_records {};
struct existing : kw_existing {};
struct period_mean : seq<kw_period_mean, opt<sep, sor<with_records, existing>>> {};
struct sub_periods : seq<period_word, opt<sep, period_cap>, opt<sep, period_mean>> {};
// 仅 GROUP: the item applies to the units of one unit group (or table) only.
struct item_only : seq<kw_only, expect<registry_ref>> {};
struct item : seq<kw_item, expect<strict_name>, expect<citation>, opt<sep, item_only>, opt<sep, item_from>,
                  opt<sep, item_until>,
                  opt<sep, sub_periods>, opt<sep, full_marks>, opt<sep, cap>, expect<item_open>, expect<term>,
                  star<sep, term>,
                  opt<sep, substitution>, expect<item_close>> {};

struct group;
struct member : sor<item, group> {};
struct members : star<sep, member> {};
struct group_open : open_brace {};
struct group_close : close_brace {};
struct group_body : seq<kw_group, expect<strict_name>, opt<sep, citation>, opt<sep, sub_periods>, opt<sep, cap>,
                        expect<group_open>, members, opt<sep, substitution>, expect<group_close>> {};
struct group : depth_limited<groups_too_deep, group_body> {};

struct category_open : open_brace {};
struct category_close : close_brace {};
struct veto_close : close_brace {};
struct veto_category : seq<kw_veto, expect<strict_name>, expect<category_open>, members, expect<veto_close>> {};
struct deduction_category : seq<kw_deduction, expect<strict_name>, opt<sep, sor<cap, uncapped>>, expect<category_open>,
                                members, opt<sep, substitution>, expect<category_close>> {};
struct bonus_category : seq<kw_bonus, expect<strict_name>, opt<sep, sor<cap, uncapped>>, expect<category_open>, members,
                            opt<sep, substitution>, expect<category_close>> {};

struct points_category : seq<kw_points, expect<strict_name>, opt<sep, sor<cap, uncapped>>, expect<category_open>,
                              members, opt<sep, substitution>, expect<category_close>> {};

struct output : seq<kw_output, expect<strict_name>, expect<assign>, expect<expression>> {};
struct indicator : seq<kw_indicator, expect<strict_name>, opt<sep, citation>, opt<sep, sub_periods>, expect<assign>,
                        expect<expression>> {};

// 设立 UNIT DATE / 撤销 UNIT DATE: a unit set up or closed during the period.
struct unit_set_up : seq<kw_set_up, expect<strict_name>, expect<date>> {};
struct unit_closed : seq<kw_closed, expect<strict_name>, expect<date>> {};

// 不参与考核 [引用 "..."] 若 COND: units for which COND holds are not assessed.
struct assessed_if : kw_if {};
struct not_assessed : seq<kw_not_assessed, opt<sep, citation>, expect<assessed_if>, expect<condition>> {};

// 等级 { 90 以上: 优秀  80分以上: 良好  其他: 不合格 }: the first band whose bound the score
// reaches. `分` may follow the bound, and 以上 (at least, as in law) may follow it directly.
struct band_bound : seq<plus<digit>, opt<one<'.'>, plus<digit>>> {};
struct band_at_least : seq<band_bound, sep, opt<utf8::one<U'分'>, sep>, required<utf8::string<U'以', U'上'>>> {};
struct band_other : kw_other {};
struct grade_band : seq<sor<band_other, band_at_least>, expect<arm_colon>, expect<strict_name>> {};
struct grades_open : open_brace {};
struct grades_close : close_brace {};
struct grades : seq<kw_grades, expect<grades_open>, star<sep, grade_band>, expect<grades_close>> {};

struct declaration : sor<title, period, base_score, score_range, param, decimals, units, unit_group, alias, enum_decl, table,
                         event_type, named_stream, veto_category, deduction_category, bonus_category, points_category,
                         output, indicator, not_assessed, grades, unit_set_up, unit_closed> {};

struct end_of_rulebook : eof {};
struct rulebook : seq<opt<utf8::bom>, sep, star<declaration, sep>, required<end_of_rulebook>> {};

// ----------------------------------------------------------------------- error messages

// clang-format off
template <> inline constexpr auto error_message<expression_too_deep> = rb::Msg::syntax_expression_too_deep;
template <> inline constexpr auto error_message<groups_too_deep> = rb::Msg::syntax_groups_too_deep;

template <> inline constexpr auto error_message<literal_end> = rb::Msg::syntax_literal_end;
template <> inline constexpr auto error_message<escaped_char> = rb::Msg::syntax_escaped_char;
template <> inline constexpr auto error_message<closing_quote> = rb::Msg::syntax_closing_quote;
template <> inline constexpr auto error_message<not_keyword> = rb::Msg::syntax_not_keyword;
template <> inline constexpr auto error_message<strict_name> = rb::Msg::syntax_strict_name;
template <> inline constexpr auto error_message<field_ref> = rb::Msg::syntax_field_ref;
template <> inline constexpr auto error_message<stream_name> = rb::Msg::syntax_stream_name;
template <> inline constexpr auto error_message<table_ref> = rb::Msg::syntax_table_ref;
template <> inline constexpr auto error_message<registry_ref> = rb::Msg::syntax_registry_ref;
template <> inline constexpr auto error_message<date> = rb::Msg::syntax_date;

template <> inline constexpr auto error_message<kw_same> = rb::Msg::syntax_kw_same;
template <> inline constexpr auto error_message<kw_of> = rb::Msg::syntax_kw_of;
template <> inline constexpr auto error_message<stream> = rb::Msg::syntax_stream_name;
template <> inline constexpr auto error_message<verb> = rb::Msg::syntax_verb;
template <> inline constexpr auto error_message<expression> = rb::Msg::syntax_expression;
template <> inline constexpr auto error_message<amount> = rb::Msg::syntax_amount;
template <> inline constexpr auto error_message<condition> = rb::Msg::syntax_condition;
template <> inline constexpr auto error_message<day_count> = rb::Msg::syntax_day_count;
template <> inline constexpr auto error_message<times_count> = rb::Msg::syntax_times_count;
template <> inline constexpr auto error_message<scope> = rb::Msg::syntax_scope;
template <> inline constexpr auto error_message<assessed_if> = rb::Msg::syntax_assessed_if;
template <> inline constexpr auto error_message<grades_open> = rb::Msg::syntax_grades_open;
template <> inline constexpr auto error_message<grades_close> = rb::Msg::syntax_grades_close;
template <> inline constexpr auto error_message<utf8::string<U'以', U'上'>> = rb::Msg::syntax_at_least;
template <> inline constexpr auto error_message<rank_value> = rb::Msg::syntax_rank_value;
template <> inline constexpr auto error_message<close_paren> = rb::Msg::syntax_close_paren;
template <> inline constexpr auto error_message<kw_then> = rb::Msg::syntax_kw_then;
template <> inline constexpr auto error_message<else_branch> = rb::Msg::syntax_else_branch;
template <> inline constexpr auto error_message<call_open> = rb::Msg::syntax_call_open;
template <> inline constexpr auto error_message<call_close> = rb::Msg::syntax_call_close;
template <> inline constexpr auto error_message<membership> = rb::Msg::syntax_membership;
template <> inline constexpr auto error_message<arms_open> = rb::Msg::syntax_arms_open;
template <> inline constexpr auto error_message<arms_close> = rb::Msg::syntax_arms_close;
template <> inline constexpr auto error_message<arm_colon> = rb::Msg::syntax_arm_colon;
template <> inline constexpr auto error_message<highest_arm> = rb::Msg::syntax_highest_arm;
template <> inline constexpr auto error_message<distinct_tail> = rb::Msg::syntax_distinct_tail;
template <> inline constexpr auto error_message<kw_distinct> = rb::Msg::syntax_kw_distinct;
template <> inline constexpr auto error_message<kw_each_over> = rb::Msg::syntax_kw_each_over;
template <> inline constexpr auto error_message<kw_days> = rb::Msg::syntax_kw_days;
template <> inline constexpr auto error_message<kw_consecutive> = rb::Msg::syntax_kw_consecutive;
template <> inline constexpr auto error_message<kw_times> = rb::Msg::syntax_kw_times;
template <> inline constexpr auto error_message<per_table_tail> = rb::Msg::syntax_per_table_tail;
template <> inline constexpr auto error_message<rank_order> = rb::Msg::syntax_rank_order;
template <> inline constexpr auto error_message<award> = rb::Msg::syntax_award;
template <> inline constexpr auto error_message<primary> = rb::Msg::syntax_after_minus;
template <> inline constexpr auto error_message<unary_expr> = rb::Msg::syntax_after_mul;
template <> inline constexpr auto error_message<mul_expr> = rb::Msg::syntax_after_add;
template <> inline constexpr auto error_message<add_expr> = rb::Msg::syntax_after_comparison;
template <> inline constexpr auto error_message<chained_comparison> = rb::Msg::syntax_chained_comparison;
template <> inline constexpr auto error_message<set_open> = rb::Msg::syntax_set_open;
template <> inline constexpr auto error_message<set_close> = rb::Msg::syntax_set_close;
template <> inline constexpr auto error_message<cmp_expr> = rb::Msg::syntax_after_not;
template <> inline constexpr auto error_message<not_expr> = rb::Msg::syntax_after_and;
template <> inline constexpr auto error_message<and_expr> = rb::Msg::syntax_after_or;

template <> inline constexpr auto error_message<title_text> = rb::Msg::syntax_title_text;
template <> inline constexpr auto error_message<range_to> = rb::Msg::syntax_range_to;
template <> inline constexpr auto error_message<assign> = rb::Msg::syntax_assign;
template <> inline constexpr auto error_message<list_open> = rb::Msg::syntax_list_open;
template <> inline constexpr auto error_message<list_close> = rb::Msg::syntax_list_close;
template <> inline constexpr auto error_message<key_columns> = rb::Msg::syntax_key_columns;
template <> inline constexpr auto error_message<names_close> = rb::Msg::syntax_names_close;
template <> inline constexpr auto error_message<arrow> = rb::Msg::syntax_arrow;
template <> inline constexpr auto error_message<table_target> = rb::Msg::syntax_table_target;
template <> inline constexpr auto error_message<source_file> = rb::Msg::syntax_source_file;
template <> inline constexpr auto error_message<table_body> = rb::Msg::syntax_table_body;
template <> inline constexpr auto error_message<row_units> = rb::Msg::syntax_row_units;
template <> inline constexpr auto error_message<rows_close> = rb::Msg::syntax_rows_close;
template <> inline constexpr auto error_message<field_type> = rb::Msg::syntax_field_type;
template <> inline constexpr auto error_message<field_colon> = rb::Msg::syntax_field_colon;
template <> inline constexpr auto error_message<unique_fields> = rb::Msg::syntax_unique_fields;
template <> inline constexpr auto error_message<fields_open> = rb::Msg::syntax_fields_open;
template <> inline constexpr auto error_message<fields_close> = rb::Msg::syntax_fields_close;
template <> inline constexpr auto error_message<citation> = rb::Msg::syntax_citation;
template <> inline constexpr auto error_message<citation_text> = rb::Msg::syntax_citation_text;
template <> inline constexpr auto error_message<kw_else_average> = rb::Msg::syntax_kw_else_average;
template <> inline constexpr auto error_message<item_open> = rb::Msg::syntax_item_open;
template <> inline constexpr auto error_message<term> = rb::Msg::syntax_term;
template <> inline constexpr auto error_message<item_close> = rb::Msg::syntax_item_close;
template <> inline constexpr auto error_message<group_open> = rb::Msg::syntax_group_open;
template <> inline constexpr auto error_message<group_close> = rb::Msg::syntax_group_close;
template <> inline constexpr auto error_message<category_open> = rb::Msg::syntax_category_open;
template <> inline constexpr auto error_message<category_close> = rb::Msg::syntax_category_close;
template <> inline constexpr auto error_message<veto_close> = rb::Msg::syntax_veto_close;
template <> inline constexpr auto error_message<end_of_rulebook> = rb::Msg::syntax_declaration;
// clang-format on

// Raises error_message<Rule> for required rules; other failures just backtrack. `Messages`
// gives the message of each rule (the rulebook's, or the test files' own).
template <template <typename> class Messages>
struct raising {
  template <typename Rule>
  struct control : normal<Rule> {
    template <typename ParseInput, typename... States>
    [[noreturn]] static void raise(const ParseInput& in, States&&... /*st*/) {
      static_assert(Messages<Rule>::value != no_message, "a required rule needs an error message");
      throw syntax_error(Messages<Rule>::value, in);
    }
  };
};

template <typename Rule>
struct rulebook_messages {
  static constexpr rb::Msg value = error_message<Rule>;
};

template <typename Rule>
using control = raising<rulebook_messages>::control<Rule>;

}  // namespace rb::grammar
