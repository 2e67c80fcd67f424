// Parsing: runs the PEGTL grammar declaration by declaration, keeps the parse-tree nodes
// the AST needs, converts them into the typed AST and turns PEGTL's exceptions into
// diagnostics, resuming after each error so that one run reports all of them.
#include "parser.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string_view>
#include <tao/pegtl/contrib/parse_tree.hpp>
#include <utility>
#include <vector>

#include "../grammar/rulebook_grammar.hpp"
#include "runtime/messages.hpp"
#include "runtime/rational.hpp"

namespace rb {
namespace {

namespace g = grammar;
namespace pegtl = tao::pegtl;
namespace pt = tao::pegtl::parse_tree;
// A parse-tree node. PEGTL makes one on the heap for every selected rule it tries and
// drops it again when the rule does not match, and a registry of thousands of units has a
// node per name: the nodes come from a free list kept per thread, not one malloc each.
struct Node : pt::basic_node<Node> {
  static void* operator new(std::size_t size) {
    if (size != sizeof(Node)) return ::operator new(size);
    Pool& pool = pool_of();
    if (pool.free == nullptr) pool.refill();
    FreeNode* f = pool.free;
    pool.free = f->next;
    ++pool.live;
    return f;
  }
  static void operator delete(void* p, std::size_t size) noexcept {
    if (p == nullptr) return;
    if (size != sizeof(Node)) return ::operator delete(p);
    Pool& pool = pool_of();
    auto* f = static_cast<FreeNode*>(p);
    f->next = pool.free;
    pool.free = f;
    // The last node of a parse tree gone: the memory goes back, for what the compiler builds
    // next (the registry's tables, the program), as it would with malloc.
    if (--pool.live == 0) pool.release();
  }

 private:
  struct FreeNode {
    FreeNode* next;
  };
  struct Pool {
    static constexpr std::size_t per_block = 1024;
    FreeNode* free = nullptr;
    std::size_t live = 0;
    std::vector<std::unique_ptr<unsigned char[]>> blocks;
    void release() {
      free = nullptr;
      blocks.clear();
    }
    void refill() {
      constexpr std::size_t stride = (sizeof(Node) + alignof(Node) - 1) / alignof(Node) * alignof(Node);
      static_assert(stride >= sizeof(FreeNode) && alignof(Node) >= alignof(FreeNode));
      // new unsigned char[] is aligned for any type of its size (max_align_t).
      auto& block = blocks.emplace_back(new unsigned char[stride * per_block]);
      for (std::size_t i = per_block; i-- > 0;) {
        auto* f = reinterpret_cast<FreeNode*>(block.get() + i * stride);
        f->next = free;
        free = f;
      }
    }
  };
  static Pool& pool_of() {
    static thread_local Pool pool;
    return pool;
  }
};

// ------------------------------------------------------------------ parse-tree selection

// Replaces a node that has a single child by that child, so precedence levels that did not
// apply vanish: `1` becomes a Number, not Or(And(...(1))). Unlike PEGTL's fold_one it keeps
// the content, and so the span, of a node that is not folded.
struct fold_single : pt::apply<fold_single> {
  template <typename N, typename... States>
  static void transform(std::unique_ptr<N>& n, States&&... /*unused*/) {
    if (n->children.size() == 1) n = std::move(n->children.front());
  }
};

// The nodes the AST is built from. Every other rule leaves no node; its selected
// descendants become children of the nearest selected ancestor.
template <typename Rule>
using selector = pt::selector<
    Rule,
    pt::store_content::on<
        // Names and literals.
        g::identifier, g::quoted, g::title_text, g::citation_text, g::source_file, g::display_name, g::unit_type,
        g::date_word,
        g::score_word, g::number, g::date,
        // Operators and the words that change a construct's meaning.
        g::negative_sign, g::negation, g::multiply, g::divide, g::plus_sign, g::minus_sign, g::less_equal,
        g::greater_equal, g::not_equal, g::less, g::greater, g::equal, g::in_word, g::not_in_word, g::presence,
        g::absence, g::descending, g::ascending, g::tie_competition, g::tie_dense, g::function_name, g::uncapped,
        g::optional_mark, g::aggregate_word, g::own_class, g::scope_filter, g::within_class, g::without_vetoed,
        g::top_places, g::bottom_places, g::bottom_percent, g::award_count, g::zero_fallback, g::full_marks,
        g::band_other, g::band_bound, g::grade_band, g::sub_periods, g::period_word, g::period_cap, g::period_mean,
        g::with_records, g::existing, g::item_only,
        // Expressions and streams.
        g::paren_expr, g::conditional, g::call, g::unit_in, g::by_value, g::value_arm, g::otherwise_arm, g::per_record,
        g::distinct_expr, g::per_distinct_tail, g::take_highest_tail, g::highest_arm, g::count, g::count_distinct,
        g::exists, g::per_table_expr, g::gaps_tail, g::streak_tail, g::rank, g::rank_skip, g::award, g::in_set_tail,
        g::stream, g::exclusion, g::filter, g::cross_unit,
        // Declarations and their parts.
        g::title, g::period, g::base_score, g::score_range, g::param, g::units, g::unit_group, g::alias, g::enum_decl,
        g::table, g::key_columns, g::table_source, g::table_row, g::row_keys, g::row_units, g::event_type, g::field,
        g::key_fields, g::unique_clause, g::named_stream, g::veto_category, g::deduction_category, g::bonus_category,
        g::cap, g::citation, g::item_from, g::item_until, g::item, g::group, g::substitution, g::output,
        g::points_category, g::indicator, g::not_assessed, g::grades, g::unit_set_up, g::unit_closed, g::decimals>,
    fold_single::on<g::or_expr, g::and_expr, g::not_expr, g::cmp_expr, g::add_expr, g::mul_expr, g::unary_expr>>;

template <typename... Rules>
bool is(const Node& n) {
  return (n.is_type<Rules>() || ...);
}

// --------------------------------------------------------------------- spans and text

size_t code_points(std::string_view utf8) {
  return static_cast<size_t>(std::count_if(
      utf8.begin(), utf8.end(), [](char byte) { return (static_cast<unsigned char>(byte) & 0xC0) != 0x80; }));
}

ast::Span span_of(const Node& n) {
  // PEGTL counts the column in bytes; the node's text still points into the source, so the
  // line's start is that many bytes before it.
  const std::string_view before(n.m_begin.data - (n.m_begin.column - 1), n.m_begin.column - 1);
  return {static_cast<uint32_t>(n.m_begin.line), char_column(before, n.m_begin.line),
          static_cast<uint32_t>(n.m_begin.byte), static_cast<uint32_t>(n.m_end.byte - n.m_begin.byte)};
}

// The span from the start of `first` to the end of `last`.
ast::Span cover(const ast::Span& first, const ast::Span& last) {
  return {first.line, first.col, first.offset, last.offset + last.length - first.offset};
}

// The text of a quoted string without its quotes; the grammar admits only \" and \\.
std::string unquote(std::string_view quoted) {
  std::string text;
  for (size_t i = 1; i + 1 < quoted.size(); ++i) {
    if (quoted[i] == '\\') ++i;
    text += quoted[i];
  }
  return text;
}

// The spelling of a keyword rule, read from its type so that no list is kept twice.
template <char32_t... Cs>
std::string spelling(const g::keyword<Cs...>* /*unused*/) {
  std::string text;
  (append_utf8(text, Cs), ...);
  return text;
}

template <typename... Keywords>
std::vector<std::string> spellings(pegtl::type_list<Keywords...> /*unused*/) {
  return {spelling(static_cast<const Keywords*>(nullptr))...};
}

// ------------------------------------------------------------------------- AST building

// An expression tree deeper than this is refused. The grammar already bounds nesting by
// parentheses and sub-expressions; this also bounds left-leaning operator chains such as
// `1 + 1 + ... + 1`, which the grammar reads in a loop but which become one tree level per
// operator, so that later passes may recurse over expressions freely.
constexpr uint64_t max_expression_depth = 1000;

// Thrown while building when an expression exceeds max_expression_depth; caught per
// declaration, which is then dropped with a diagnostic.
struct ExpressionTooDeep {
  ast::Span span;
};

template <typename T>
ast::ExprPtr make_expr(T node, ast::Span span) {
  auto e = std::make_unique<ast::Expr>();
  e->node = std::move(node);
  e->span = span;
  return e;
}

// Builds the AST of one declaration from its parse tree. The grammar fixes the order of the
// children of every selected node, optional ones included, which the code below relies on.
// `depth` arguments are the depth at which the built expression will sit in its tree.
class AstBuilder {
 public:
  ast::Declaration declaration(const Node& n);

 private:
  using Children = std::vector<std::unique_ptr<Node>>;

  static ast::Name name(const Node& n);
  static std::vector<ast::Name> names(const Children& nodes, size_t from = 0);
  static ast::DateLit date(const Node& n);

  ast::ExprPtr expr(const Node& n, uint64_t depth);
  ast::ExprPtr fold_left(const std::vector<const Node*>& operands, const std::vector<ast::BinaryOp>& ops,
                         uint64_t depth);
  ast::ExprPtr binary_chain(const Node& n, uint64_t depth);
  ast::ExprPtr prefixed(const Node& n, uint64_t depth);
  ast::ExprPtr comparison(const Node& n, uint64_t depth);
  ast::ExprPtr primary(const Node& n, uint64_t depth);
  ast::ExprPtr by_value(const Node& n, uint64_t depth);
  ast::ExprPtr per_key(const Node& n, uint64_t depth);
  ast::ExprPtr per_table(const Node& n, uint64_t depth);
  ast::ExprPtr rank(const Node& n, uint64_t depth);
  ast::StreamRef stream(const Node& n, uint64_t depth);

  ast::Substitution substitution(const Node& n);
  ast::SubPeriods sub_periods(const Node& n);
  ast::Item item(const Node& n);
  std::unique_ptr<ast::Group> group(const Node& n);
  ast::Member member(const Node& n);
  ast::Category category(const Node& n, ast::CategoryKind kind);
  ast::Table table(const Node& n);
  ast::EventType event_type(const Node& n);
  ast::Enum enumeration(const Node& n);
};

ast::Name AstBuilder::name(const Node& n) {
  if (is<g::quoted, g::title_text, g::citation_text, g::source_file, g::display_name>(n))
    return {unquote(n.string_view()), span_of(n)};
  return {n.string(), span_of(n)};  // An identifier, or one of the words 单位, 日期 and 得分.
}

std::vector<ast::Name> AstBuilder::names(const Children& nodes, size_t from) {
  std::vector<ast::Name> out;
  for (size_t i = from; i < nodes.size(); ++i) out.push_back(name(*nodes[i]));
  return out;
}

ast::DateLit AstBuilder::date(const Node& n) {
  // The grammar guarantees the shape DDDD-DD-DD; the checker validates the calendar date.
  const std::string_view text = n.string_view();
  auto digits = [&](size_t from, size_t count) {
    int32_t value = 0;
    for (size_t i = from; i < from + count; ++i) value = value * 10 + (text[i] - '0');
    return value;
  };
  return {digits(0, 4), digits(5, 2), digits(8, 2)};
}

ast::ExprPtr AstBuilder::expr(const Node& n, uint64_t depth) {
  if (depth > max_expression_depth) throw ExpressionTooDeep{span_of(n)};
  if (is<g::or_expr, g::and_expr, g::add_expr, g::mul_expr>(n)) return binary_chain(n, depth);
  if (is<g::not_expr, g::unary_expr>(n)) return prefixed(n, depth);
  if (is<g::cmp_expr>(n)) return comparison(n, depth);
  return primary(n, depth);
}

// Builds a left-associative chain. The first operand ends up deepest, one level below each
// operator, so the depth is checked before anything is built.
ast::ExprPtr AstBuilder::fold_left(const std::vector<const Node*>& operands, const std::vector<ast::BinaryOp>& ops,
                                   uint64_t depth) {
  const uint64_t levels = ops.size();
  if (depth + levels > max_expression_depth)
    throw ExpressionTooDeep{cover(span_of(*operands.front()), span_of(*operands.back()))};
  ast::ExprPtr result = expr(*operands.front(), depth + levels);
  for (size_t i = 0; i < ops.size(); ++i) {
    ast::ExprPtr rhs = expr(*operands[i + 1], depth + levels - i);
    const ast::Span span = cover(result->span, rhs->span);
    result = make_expr(ast::Binary{ops[i], std::move(result), std::move(rhs)}, span);
  }
  return result;
}

// 或 and 且 chains hold only operands; + - * / chains alternate operands and operators.
ast::ExprPtr AstBuilder::binary_chain(const Node& n, uint64_t depth) {
  std::vector<const Node*> operands;
  std::vector<ast::BinaryOp> ops;
  const Node* fallback = nullptr;
  for (const auto& child : n.children) {
    if (is<g::zero_fallback>(*child))
      fallback = child->children[0].get();
    else if (is<g::plus_sign>(*child))
      ops.push_back(ast::BinaryOp::Add);
    else if (is<g::minus_sign>(*child))
      ops.push_back(ast::BinaryOp::Sub);
    else if (is<g::multiply>(*child))
      ops.push_back(ast::BinaryOp::Mul);
    else if (is<g::divide>(*child))
      ops.push_back(ast::BinaryOp::Div);
    else
      operands.push_back(child.get());
  }
  if (is<g::or_expr, g::and_expr>(n)) {
    ops.assign(operands.size() - 1, is<g::or_expr>(n) ? ast::BinaryOp::Or : ast::BinaryOp::And);
  }
  if (fallback) {
    ast::ExprPtr value = operands.size() == 1 ? expr(*operands[0], depth + 1) : fold_left(operands, ops, depth + 1);
    return make_expr(ast::ZeroFallback{std::move(value), expr(*fallback, depth + 1)}, span_of(n));
  }
  return fold_left(operands, ops, depth);
}

// 非 非 x and - - x: the operators come first, the operand last.
ast::ExprPtr AstBuilder::prefixed(const Node& n, uint64_t depth) {
  const size_t count = n.children.size() - 1;
  if (depth + count > max_expression_depth) throw ExpressionTooDeep{span_of(n)};
  ast::ExprPtr result = expr(*n.children.back(), depth + count);
  for (size_t i = count; i-- > 0;) {
    const Node& op = *n.children[i];
    const ast::Span span = cover(span_of(op), result->span);
    const auto kind = is<g::negation>(op) ? ast::UnaryOp::Not : ast::UnaryOp::Neg;
    result = make_expr(ast::Unary{kind, std::move(result)}, span);
  }
  return result;
}

ast::ExprPtr AstBuilder::comparison(const Node& n, uint64_t depth) {
  const Children& c = n.children;
  if (is<g::in_set_tail>(*c[1])) {
    const Children& tail = c[1]->children;
    ast::InSet set{expr(*c[0], depth + 1), is<g::not_in_word>(*tail[0]), {}};
    for (size_t i = 1; i < tail.size(); ++i) {
      const Node& m = *tail[i];
      if (is<g::quoted>(m))
        set.members.push_back(make_expr(ast::Text{unquote(m.string_view())}, span_of(m)));
      else
        set.members.push_back(make_expr(ast::NameRef{name(m)}, span_of(m)));
    }
    return make_expr(std::move(set), span_of(n));
  }
  const Node& op = *c[1];
  ast::BinaryOp kind = ast::BinaryOp::Eq;
  if (is<g::less>(op))
    kind = ast::BinaryOp::Lt;
  else if (is<g::less_equal>(op))
    kind = ast::BinaryOp::Le;
  else if (is<g::greater>(op))
    kind = ast::BinaryOp::Gt;
  else if (is<g::greater_equal>(op))
    kind = ast::BinaryOp::Ge;
  else if (is<g::not_equal>(op))
    kind = ast::BinaryOp::Ne;
  return make_expr(ast::Binary{kind, expr(*c[0], depth + 1), expr(*c[2], depth + 1)}, span_of(n));
}

ast::ExprPtr AstBuilder::primary(const Node& n, uint64_t depth) {
  const Children& c = n.children;
  const ast::Span span = span_of(n);
  const uint64_t below = depth + 1;
  if (is<g::paren_expr>(n)) {
    // Parentheses leave no node of their own; the inner expression takes their span.
    ast::ExprPtr inner = expr(*c[0], depth);
    inner->span = span;
    return inner;
  }
  if (is<g::identifier, g::score_word, g::date_word>(n)) return make_expr(ast::NameRef{name(n)}, span);
  if (is<g::quoted>(n)) return make_expr(ast::Text{unquote(n.string_view())}, span);
  if (is<g::number>(n)) return make_expr(ast::Number{n.string()}, span);
  if (is<g::date>(n)) return make_expr(date(n), span);
  if (is<g::conditional>(n)) {
    return make_expr(ast::Conditional{expr(*c[0], below), expr(*c[1], below), expr(*c[2], below)}, span);
  }
  if (is<g::call>(n)) {
    ast::Call call{name(*c[0]), {}};
    for (size_t i = 1; i < c.size(); ++i) call.args.push_back(expr(*c[i], below));
    return make_expr(std::move(call), span);
  }
  if (is<g::unit_in>(n)) return make_expr(ast::UnitIn{is<g::not_in_word>(*c[0]), name(*c[1])}, span);
  if (is<g::cross_unit>(n)) {
    ast::CrossUnit cu;
    cu.word = c[0]->string();
    cu.agg = cu.word == "平均"   ? ast::Aggregate::Mean
             : cu.word == "最高" ? ast::Aggregate::Max
             : cu.word == "最低" ? ast::Aggregate::Min
             : cu.word == "合计" ? ast::Aggregate::Sum
                                 : ast::Aggregate::Count;
    cu.value = expr(*c[1], below);
    for (size_t i = 2; i < c.size(); ++i) {
      if (is<g::own_class>(*c[i])) cu.own_class = true;
      else if (is<g::scope_filter>(*c[i])) cu.filter = expr(*c[i]->children[0], below);
      else cu.registry = name(*c[i]);
    }
    return make_expr(std::move(cu), span);
  }
  if (is<g::by_value>(n)) return by_value(n, depth);
  if (is<g::per_record>(n)) return make_expr(ast::PerRecord{stream(*c[0], below), expr(*c[1], below)}, span);
  if (is<g::distinct_expr>(n)) return per_key(n, depth);
  if (is<g::count>(n)) return make_expr(ast::Count{stream(*c[0], below)}, span);
  if (is<g::count_distinct>(n)) return make_expr(ast::CountDistinct{name(*c[0]), stream(*c[1], below)}, span);
  if (is<g::exists>(n)) return make_expr(ast::Exists{stream(*c[1], below), is<g::absence>(*c[0])}, span);
  if (is<g::per_table_expr>(n)) return per_table(n, depth);
  return rank(n, depth);  // The only primary left.
}

// 按 FIELD { KEY: AMOUNT ... 其他: AMOUNT }
ast::ExprPtr AstBuilder::by_value(const Node& n, uint64_t depth) {
  const Children& c = n.children;
  ast::ByValue by{name(*c[0]), {}, nullptr};
  for (size_t i = 1; i < c.size(); ++i) {
    const Children& arm = c[i]->children;
    if (is<g::otherwise_arm>(*c[i]))
      by.otherwise = expr(*arm[0], depth + 1);
    else
      by.arms.push_back({name(*arm[0]), expr(*arm[1], depth + 1)});
  }
  return make_expr(std::move(by), span_of(n));
}

// 每个不同 KEY 的 STREAM 扣 AMOUNT, or 每个不同 KEY 取最高 { STREAM: AMOUNT ... }
ast::ExprPtr AstBuilder::per_key(const Node& n, uint64_t depth) {
  const Node& tail = *n.children[1];
  const Children& c = tail.children;
  if (is<g::per_distinct_tail>(tail)) {
    return make_expr(ast::PerDistinct{name(*n.children[0]), stream(*c[0], depth + 1), expr(*c[1], depth + 1)},
                     span_of(n));
  }
  ast::TakeHighest highest{name(*n.children[0]), {}};
  for (const auto& arm : c) {
    highest.arms.push_back({stream(*arm->children[0], depth + 1), expr(*arm->children[1], depth + 1)});
  }
  return make_expr(std::move(highest), span_of(n));
}

// 每个 TABLE 的 STREAM 间隔 每超 DAYS 天 扣 AMOUNT, or
// 每个 TABLE 的 STREAM 每 STEP 天 连续 TIMES 次 COND 扣 AMOUNT
ast::ExprPtr AstBuilder::per_table(const Node& n, uint64_t depth) {
  const uint64_t below = depth + 1;
  const Children& c = n.children;
  const Children& tail = c[2]->children;
  if (is<g::gaps_tail>(*c[2])) {
    return make_expr(ast::Gaps{name(*c[0]), stream(*c[1], below), expr(*tail[0], below), expr(*tail[1], below)},
                     span_of(n));
  }
  return make_expr(ast::Streak{name(*c[0]), stream(*c[1], below), expr(*tail[0], below), expr(*tail[1], below),
                               expr(*tail[2], below), expr(*tail[3], below)},
                   span_of(n));
}

// 排名 VALUE ORDER [TIE] [不排 V] { RANK: AMOUNT ... }
ast::ExprPtr AstBuilder::rank(const Node& n, uint64_t depth) {
  const uint64_t below = depth + 1;
  const Children& c = n.children;
  ast::Rank rank{expr(*c[0], below), is<g::descending>(*c[1]), std::nullopt, std::nullopt, false, false, {}};
  size_t i = 2;
  if (i < c.size() && is<g::tie_competition, g::tie_dense>(*c[i])) {
    rank.tie = is<g::tie_dense>(*c[i]) ? ast::TieRule::Dense : ast::TieRule::Competition;
    ++i;
  }
  if (i < c.size() && is<g::within_class>(*c[i])) {
    rank.within_class = true;
    ++i;
  }
  if (i < c.size() && is<g::without_vetoed>(*c[i])) {
    rank.without_vetoed = true;
    ++i;
  }
  if (i < c.size() && is<g::rank_skip>(*c[i])) rank.skip_value = expr(*c[i++]->children[0], below);
  for (; i < c.size(); ++i) {
    const Node& key = *c[i]->children[0];
    ast::Rank::Award award;
    award.span = span_of(key);
    if (is<g::top_places, g::bottom_places, g::bottom_percent>(key)) {
      award.place = is<g::top_places>(key)      ? ast::Rank::Place::Top
                    : is<g::bottom_places>(key) ? ast::Rank::Place::Bottom
                                                : ast::Rank::Place::BottomPercent;
      const std::string digits = key.children[0]->string();
      award.count = digits.size() > 9 ? 1000000000 : std::stoll(digits);
    } else {
      award.rank = expr(key, below);
    }
    award.amount = expr(*c[i]->children[1], below);
    rank.awards.push_back(std::move(award));
  }
  return make_expr(std::move(rank), span_of(n));
}

// NAME [排除 同 FIELD 的 OTHER] (其中 COND)*; the filters sit one level below `depth`.
ast::StreamRef AstBuilder::stream(const Node& n, uint64_t depth) {
  const Children& c = n.children;
  ast::StreamRef ref{name(*c[0]), {}, std::nullopt, span_of(n)};
  for (size_t i = 1; i < c.size(); ++i) {
    const Node& part = *c[i];
    if (is<g::exclusion>(part)) {
      ref.exclusion = ast::Exclusion{name(*part.children[0]), name(*part.children[1]), span_of(part)};
    } else {
      ref.filters.push_back(expr(*part.children[0], depth + 1));
    }
  }
  return ref;
}

ast::Substitution AstBuilder::substitution(const Node& n) { return {expr(*n.children[0], 0), span_of(n)}; }

// 按周|按月|按季|按半年 [每期上限 N] [取各期平均 [仅有记录的期 | 仅存续的期]]
ast::SubPeriods AstBuilder::sub_periods(const Node& n) {
  ast::SubPeriods p;
  p.span = span_of(n);
  const std::string word = n.children[0]->string();
  p.word = word == "按周" ? ast::PeriodWord::Week : word == "按季" ? ast::PeriodWord::Quarter
           : word == "按半年" ? ast::PeriodWord::Half : ast::PeriodWord::Month;
  for (size_t i = 1; i < n.children.size(); ++i) {
    const Node& part = *n.children[i];
    if (is<g::period_cap>(part)) {
      p.cap = expr(*part.children[0], 0);
    } else {
      p.mean = part.children.empty() ? ast::PeriodMean::All
               : is<g::with_records>(*part.children[0]) ? ast::PeriodMean::WithRecords
                                                        : ast::PeriodMean::Existing;
    }
  }
  return p;
}

// 条目 NAME 引用 "CITE" [自 DATE] [至 DATE] { TERM... [适用 ...] }
ast::Item AstBuilder::item(const Node& n) {
  const Children& c = n.children;
  ast::Item item;
  item.name = name(*c[0]);
  item.citation = unquote(c[1]->children[0]->string_view());
  item.span = span_of(n);
  size_t i = 2;
  if (i < c.size() && is<g::item_only>(*c[i])) item.only = name(*c[i++]->children[0]);
  if (i < c.size() && is<g::item_from>(*c[i])) {
    const Node& when = *c[i++]->children[0];
    item.from = date(when);
    item.from_span = span_of(when);
  }
  if (i < c.size() && is<g::item_until>(*c[i])) {
    const Node& when = *c[i++]->children[0];
    item.until = date(when);
    item.until_span = span_of(when);
  }
  if (i < c.size() && is<g::sub_periods>(*c[i])) item.periods = sub_periods(*c[i++]);
  if (i < c.size() && is<g::full_marks>(*c[i])) item.full = expr(*c[i++]->children[0], 0);
  if (i < c.size() && is<g::cap>(*c[i])) item.cap = expr(*c[i++]->children[0], 0);
  for (; i < c.size(); ++i) {
    if (is<g::substitution>(*c[i]))
      item.substitution = substitution(*c[i]);
    else
      item.terms.push_back(expr(*c[i], 0));
  }
  return item;
}

// 分组 NAME [引用 "CITE"] [上限 N] { MEMBER... [适用 ...] }
std::unique_ptr<ast::Group> AstBuilder::group(const Node& n) {
  const Children& c = n.children;
  auto group = std::make_unique<ast::Group>();
  group->name = name(*c[0]);
  group->span = span_of(n);
  size_t i = 1;
  if (i < c.size() && is<g::citation>(*c[i])) group->citation = unquote(c[i++]->children[0]->string_view());
  if (i < c.size() && is<g::sub_periods>(*c[i])) group->periods = sub_periods(*c[i++]);
  if (i < c.size() && is<g::cap>(*c[i])) group->cap = expr(*c[i++]->children[0], 0);
  for (; i < c.size(); ++i) {
    if (is<g::substitution>(*c[i]))
      group->substitution = substitution(*c[i]);
    else
      group->members.push_back(member(*c[i]));
  }
  return group;
}

ast::Member AstBuilder::member(const Node& n) {
  if (is<g::group>(n)) return group(n);
  return item(n);
}

// 否决项|扣分|加分 NAME [上限 N | 不设上限] { MEMBER... [适用 ...] }
ast::Category AstBuilder::category(const Node& n, ast::CategoryKind kind) {
  const Children& c = n.children;
  ast::Category category{kind, name(*c[0]), nullptr, false, {}, std::nullopt, span_of(n)};
  size_t i = 1;
  if (i < c.size() && is<g::cap>(*c[i])) {
    category.cap = expr(*c[i++]->children[0], 0);
  } else if (i < c.size() && is<g::uncapped>(*c[i])) {
    category.uncapped = true;
    ++i;
  }
  for (; i < c.size(); ++i) {
    if (is<g::substitution>(*c[i]))
      category.substitution = substitution(*c[i]);
    else
      category.members.push_back(member(*c[i]));
  }
  return category;
}

// 表 NAME (COLUMNS) -> 单位 { ROWS } or -> 单位 来自 "FILE"
ast::Table AstBuilder::table(const Node& n) {
  const Children& c = n.children;
  ast::Table table;
  table.name = name(*c[0]);
  table.key_columns = names(c[1]->children);
  table.span = span_of(n);
  for (size_t i = 2; i < c.size(); ++i) {
    const Node& part = *c[i];
    if (is<g::table_source>(part)) {
      table.source_file = name(*part.children[0]).text;
      table.source_span = span_of(*part.children[0]);
    } else {
      table.rows.push_back({names(part.children[0]->children), names(part.children[1]->children), span_of(part)});
    }
  }
  return table;
}

// 枚举 NAME { MEMBER ["DISPLAY"] ... }
ast::Enum AstBuilder::enumeration(const Node& n) {
  const Children& c = n.children;
  ast::Enum e{name(*c[0]), {}, span_of(n), {}};
  for (size_t i = 1; i < c.size(); ++i) {
    if (is<g::display_name>(*c[i])) {
      e.displays.back() = name(*c[i]).text;
      continue;
    }
    e.members.push_back(name(*c[i]));
    e.displays.emplace_back();
  }
  return e;
}

// 事件 NAME ["DISPLAY"] { NAME ["DISPLAY"]: TYPE [(KEYS)] [可选] ... 唯一 (FIELDS) ... }
ast::EventType AstBuilder::event_type(const Node& n) {
  const Children& c = n.children;
  ast::EventType event{name(*c[0]), {}, {}, span_of(n), {}};
  size_t i = 1;
  if (i < c.size() && is<g::display_name>(*c[i])) event.display = name(*c[i++]).text;
  for (; i < c.size(); ++i) {
    const Node& part = *c[i];
    if (is<g::unique_clause>(part)) {
      event.unique.push_back(names(part.children));
      continue;
    }
    const Children& fc = part.children;
    const size_t type_at = is<g::display_name>(*fc[1]) ? 2 : 1;
    ast::Field field{name(*fc[0]), name(*fc[type_at]), {}, false, span_of(part), {}};
    if (type_at == 2) field.display = name(*fc[1]).text;
    for (size_t k = type_at + 1; k < fc.size(); ++k) {
      const Node& extra = *part.children[k];
      if (is<g::key_fields>(extra))
        field.key_fields = names(extra.children);
      else
        field.optional = true;
    }
    event.fields.push_back(std::move(field));
  }
  return event;
}

ast::Declaration AstBuilder::declaration(const Node& n) {
  const Children& c = n.children;
  const ast::Span span = span_of(n);
  if (is<g::title>(n)) return ast::Title{name(*c[0]).text, span};
  if (is<g::period>(n)) return ast::Period{date(*c[0]), date(*c[1]), span};
  if (is<g::base_score>(n)) return ast::BaseScore{expr(*c[0], 0), span};
  if (is<g::score_range>(n)) return ast::ScoreRange{expr(*c[0], 0), expr(*c[1], 0), span};
  if (is<g::param>(n)) return ast::Param{name(*c[0]), expr(*c[1], 0), span};
  if (is<g::decimals>(n)) return ast::Decimals{expr(*c[0], 0), span};
  if (is<g::units>(n)) return ast::Units{names(c), span};
  if (is<g::unit_group>(n)) return ast::UnitGroup{name(*c[0]), names(c, 1), span};
  if (is<g::alias>(n)) return ast::Alias{name(*c[0]), name(*c[1]), span};
  if (is<g::enum_decl>(n)) return enumeration(n);
  if (is<g::table>(n)) return table(n);
  if (is<g::event_type>(n)) return event_type(n);
  if (is<g::named_stream>(n)) return ast::NamedStream{name(*c[0]), stream(*c[1], 0), span};
  if (is<g::veto_category>(n)) return category(n, ast::CategoryKind::Veto);
  if (is<g::deduction_category>(n)) return category(n, ast::CategoryKind::Deduction);
  if (is<g::bonus_category>(n)) return category(n, ast::CategoryKind::Bonus);
  if (is<g::points_category>(n)) return category(n, ast::CategoryKind::Points);
  if (is<g::indicator>(n)) {
    ast::Indicator ind{name(*c[0]), {}, nullptr, span, std::nullopt};
    size_t i = 1;
    if (is<g::citation>(*c[i])) ind.citation = unquote(c[i++]->children[0]->string_view());
    if (is<g::sub_periods>(*c[i])) ind.periods = sub_periods(*c[i++]);
    ind.value = expr(*c[i], 0);
    return ind;
  }
  if (is<g::unit_set_up, g::unit_closed>(n)) return ast::UnitDate{name(*c[0]), date(*c[1]), is<g::unit_closed>(n), span};
  if (is<g::not_assessed>(n)) {
    if (c.size() == 2) return ast::NotAssessed{unquote(c[0]->children[0]->string_view()), expr(*c[1], 0), span};
    return ast::NotAssessed{{}, expr(*c[0], 0), span};
  }
  if (is<g::grades>(n)) {
    ast::Grades grades{{}, span};
    for (const auto& band : c) {
      ast::Grades::Band b;
      b.span = span_of(*band);
      const Node& bound = *band->children[0];
      if (is<g::band_bound>(bound)) b.at_least = bound.string();
      b.name = name(*band->children[1]);
      grades.bands.push_back(std::move(b));
    }
    return grades;
  }
  return ast::Output{name(*c[0]), expr(*c[1], 0), span};  // The only declaration left.
}

// ------------------------------------------------------------------- the parsing driver

// Parses one file declaration by declaration and reports every syntax error in it.
class RulebookParser {
 public:
  RulebookParser(const std::string& path, const std::string& source, Diagnostics& diags)
      : path_(path), source_(source), diags_(diags) {
    line_starts_.push_back(0);
    for (size_t i = 0; i < source_.size(); ++i) {
      if (source_[i] == '\n') line_starts_.push_back(i + 1);
    }
  }

  std::vector<ast::Declaration> declarations() {
    std::vector<ast::Declaration> out;
    size_t offset = byte_order_mark_length();
    while (offset < source_.size()) {
      pegtl::memory_input in = input_at(offset);
      (void)pegtl::parse<g::sep>(in);
      if (in.empty()) break;
      const size_t start = consumed(in);
      try {
        g::nesting nesting;
        const auto root = pt::parse<g::declaration, Node, selector, pegtl::nothing, g::control>(in, nesting);
        if (!root) {
          report(g::error_message<g::end_of_rulebook>, start, start);
          offset = resume_point(start, start);
          continue;
        }
        offset = consumed(in);
        out.push_back(AstBuilder().declaration(*root->children.front()));
      } catch (const g::syntax_error& e) {
        const size_t at = e.positions().empty() ? start : e.positions().front().byte;
        report(e.message_id, at, start);
        offset = resume_point(start, at);
      } catch (const ExpressionTooDeep& e) {
        diags_.error(path_, e.span, tr(Msg::syntax_expression_too_deep),
                     tr(Msg::parse_expression_depth_hint, max_expression_depth));
      }
    }
    return out;
  }

 private:
  // An input over the rest of the file that reports positions as in the whole file.
  pegtl::memory_input<> input_at(size_t offset) const {
    const size_t line = line_index(offset);
    return {source_.data() + offset,        source_.data() + source_.size(), path_, offset, line + 1,
            offset - line_starts_[line] + 1};
  }

  size_t consumed(const pegtl::memory_input<>& in) const { return static_cast<size_t>(in.current() - source_.data()); }

  size_t line_index(size_t offset) const {
    return static_cast<size_t>(std::upper_bound(line_starts_.begin(), line_starts_.end(), offset) -
                               line_starts_.begin()) -
           1;
  }

  ast::Span span_at(size_t offset, size_t length) const {
    const size_t line = line_index(offset);
    const std::string_view before = std::string_view(source_).substr(line_starts_[line], offset - line_starts_[line]);
    return {static_cast<uint32_t>(line + 1), char_column(before, line + 1), static_cast<uint32_t>(offset),
            static_cast<uint32_t>(length)};
  }

  size_t byte_order_mark_length() const {
    pegtl::memory_input in = input_at(0);
    return pegtl::parse<pegtl::utf8::bom>(in) ? consumed(in) : 0;
  }

  // How many bytes of `Rule` start at `offset`, or 0 when it does not match there.
  template <typename Rule>
  size_t match_length(size_t offset) const {
    pegtl::memory_input in = input_at(offset);
    return pegtl::parse<Rule>(in) ? consumed(in) - offset : 0;
  }

  // The extent of the token an error points at, for the caret: a whole name or number,
  // otherwise one character.
  size_t token_length(size_t offset) const {
    if (offset >= source_.size()) return 0;
    if (const size_t word = match_length<pegtl::plus<g::name_char>>(offset)) return word;
    if (const size_t character = match_length<pegtl::utf8::any>(offset)) return character;
    return 1;
  }

  void report(Msg message, size_t at, size_t declaration_start) {
    // At the end of the file, point just after the last token rather than at an empty line.
    if (at == source_.size()) {
      while (at > 0 && std::string_view(" \t\r\n").find(source_[at - 1]) != std::string_view::npos) --at;
    }
    const ast::Span span = span_at(at, token_length(at));
    if (at < source_.size() && match_length<pegtl::utf8::any>(at) == 0) {
      diags_.error(path_, span, text(Msg::parse_invalid_utf8), text(Msg::parse_invalid_utf8_hint));
      return;
    }
    const std::string_view token = std::string_view(source_).substr(at, span.length);
    const std::optional<size_t> open = open_brace(declaration_start, at);
    if (message == g::error_message<g::not_keyword>) {
      const std::string keyword(token.substr(0, match_length<g::any_keyword>(at)));
      const ast::Span where = span_at(at, keyword.size());
      const std::string what = tr(Msg::parse_keyword_as_name, keyword);
      // A declaration keyword where a name was expected usually means the block before it
      // lacks its closing '}'.
      if (match_length<g::top_level_keyword>(at) > 0 && open) {
        diags_.error(path_, where, what, tr(Msg::parse_close_before_keyword, keyword, line_index(*open) + 1));
        return;
      }
      // 自 or 至 and a date after a unit's name: the unit's dates have declarations of their own.
      if ((keyword == "自" || keyword == "至") && match_length<g::date>(skip_blanks(at + keyword.size())) > 0) {
        const std::string unit = word_before(at);
        const std::string date(std::string_view(source_).substr(
            skip_blanks(at + keyword.size()), match_length<g::date>(skip_blanks(at + keyword.size()))));
        diags_.error(path_, where, what,
                     tr(keyword == "自" ? Msg::parse_unit_set_up_hint : Msg::parse_unit_closed_hint,
                        unit.empty() ? tr(Msg::parse_unit_placeholder) : unit, date));
        return;
      }
      diags_.error(path_, where, what, tr(Msg::parse_quote_keyword, keyword));
      return;
    }
    std::string hint;
    const std::string number = number_before(at);
    if (const std::string half = halfwidth(token); !half.empty()) {
      // （）｛｝５ from a Chinese input method: name the half-width character to write.
      hint = tr(Msg::parse_fullwidth_hint, token, half);
    } else if (!number.empty() && token.substr(0, std::string_view("分").size()) == "分") {
      hint = tr(Msg::parse_points_suffix_hint, number);
    } else if (!number.empty() && token == "%") {
      const auto value = parse_decimal(number);
      hint = tr(Msg::parse_percent_hint, number, value ? format_decimal(*value / Rational(int64_t{100}), 8) : number + "/100");
    } else if (match_length<g::word>(at) > 0 && match_length<g::any_keyword>(at) == 0) {
      // `则1`, `无annual_report`: a keyword run into what follows reads as one name. When
      // what follows is Chinese the word may rather be a misspelt keyword (扣份 for 扣分),
      // which gets a suggestion; a one-character word is too short to tell a misspelling
      // from anything else.
      const std::string keyword = keyword_prefix(token);
      const bool ascii_after = !keyword.empty() && static_cast<unsigned char>(token[keyword.size()]) < 0x80;
      const std::string close =
          ascii_after || code_points(token) < 2 ? std::string() : nearest(token, keyword_candidates(message));
      if (!close.empty() && close != token)
        hint = tr(Msg::compiler_did_you_mean, close);
      else if (!keyword.empty())
        hint = tr(Msg::parse_space_after_keyword, keyword, token.substr(keyword.size()));
    }
    std::string what = tr(message);
    if (open && closes_block(message)) what = tr(Msg::syntax_opened_on, what, line_index(*open) + 1);
    diags_.error(path_, span, what, hint);
  }

  static const std::vector<std::string>& keywords() {
    static const std::vector<std::string> all = spellings(g::any_keyword::subs_t());
    return all;
  }

  // The keywords a misspelt word at an error is compared with: those that may stand where
  // the message says something was expected, or any keyword.
  static const std::vector<std::string>& keyword_candidates(Msg message) {
    static const std::vector<std::string> starters = spellings(g::top_level_keyword::subs_t());
    static const std::vector<std::string> members = {"条目", "分组", "适用"};
    static const std::vector<std::string> headers = {"上限", "不设上限"};
    if (message == g::error_message<g::end_of_rulebook>) return starters;
    if (message == g::error_message<g::category_close> || message == g::error_message<g::group_close> ||
        message == g::error_message<g::veto_close>)
      return members;
    if (message == g::error_message<g::category_open>) return headers;
    return keywords();
  }

  // The longest keyword that a word at an error begins with and runs into (`则` of `则1`),
  // or empty.
  static std::string keyword_prefix(std::string_view token) {
    std::string best;
    for (const auto& k : keywords())
      if (token.size() > k.size() && token.substr(0, k.size()) == k && k.size() > best.size()) best = k;
    return best;
  }

  // Whether a message says a block lacks its closing '}'.
  static bool closes_block(Msg message) {
    for (Msg m : {g::error_message<g::grades_close>, g::error_message<g::arms_close>, g::error_message<g::set_close>,
                  g::error_message<g::list_close>, g::error_message<g::rows_close>, g::error_message<g::fields_close>,
                  g::error_message<g::item_close>, g::error_message<g::group_close>,
                  g::error_message<g::category_close>, g::error_message<g::veto_close>})
      if (m == message) return true;
    return false;
  }

  // The innermost '{' between `from` and `to` that is not closed before `to`, skipping
  // strings and comments.
  std::optional<size_t> open_brace(size_t from, size_t to) const {
    std::vector<size_t> opened;
    for (size_t i = from; i < to && i < source_.size(); ++i) {
      const char c = source_[i];
      if (c == '#') {
        while (i < to && source_[i] != '\n') ++i;
      } else if (c == '"') {
        for (++i; i < to && source_[i] != '"' && source_[i] != '\n'; ++i)
          if (source_[i] == '\\') ++i;
      } else if (c == '{') {
        opened.push_back(i);
      } else if (c == '}' && !opened.empty()) {
        opened.pop_back();
      }
    }
    if (opened.empty()) return std::nullopt;
    return opened.back();
  }

  // The number written just before `offset` (`95` of `95%`, `5` of `5 分`), or empty.
  std::string number_before(size_t offset) const {
    while (offset > 0 && (source_[offset - 1] == ' ' || source_[offset - 1] == '\t')) --offset;
    size_t start = offset;
    while (start > 0 && (std::isdigit(static_cast<unsigned char>(source_[start - 1])) || source_[start - 1] == '.')) --start;
    if (start == offset || !std::isdigit(static_cast<unsigned char>(source_[start]))) return {};
    return source_.substr(start, offset - start);
  }

  size_t skip_blanks(size_t offset) const {
    while (offset < source_.size() && std::string_view(" \t").find(source_[offset]) != std::string_view::npos) ++offset;
    return offset;
  }

  // The name written just before `offset` on its line (blanks between), or empty.
  std::string word_before(size_t offset) const {
    const size_t begin = line_starts_[line_index(offset)];
    size_t end = offset;
    while (end > begin && std::string_view(" \t").find(source_[end - 1]) != std::string_view::npos) --end;
    size_t start = end;
    while (start > begin) {
      size_t previous = start - 1;
      while (previous > begin && (static_cast<unsigned char>(source_[previous]) & 0xC0) == 0x80) --previous;
      if (match_length<g::name_char>(previous) == 0) break;
      start = previous;
    }
    return source_.substr(start, end - start);
  }

  // Where to carry on after a syntax error: the first line after the failed declaration's
  // start, and not before the error's line, that begins with a declaration keyword.
  size_t resume_point(size_t declaration_start, size_t error_at) const {
    for (size_t line = line_index(error_at); line < line_starts_.size(); ++line) {
      const size_t begin = line_starts_[line];
      if (begin > declaration_start && match_length<g::top_level_keyword>(begin) > 0) return begin;
    }
    return source_.size();
  }

  const std::string& path_;
  const std::string& source_;
  Diagnostics& diags_;
  std::vector<size_t> line_starts_;  // The byte offset at which each line begins.
};

}  // namespace

std::optional<ast::Rulebook> parse_rulebook(std::string path, std::string source, Diagnostics& diags) {
  const size_t errors_before = diags.error_count();
  ast::Rulebook book{std::move(path), std::move(source), {}};
  // Spans hold 32-bit offsets.
  if (book.source.size() > std::numeric_limits<uint32_t>::max()) {
    diags.error(book.path, {}, tr(Msg::parse_file_too_large), tr(Msg::parse_file_too_large_hint));
    return std::nullopt;
  }
  book.declarations = RulebookParser(book.path, book.source, diags).declarations();
  if (diags.error_count() > errors_before) return std::nullopt;
  return book;
}

}  // namespace rb
