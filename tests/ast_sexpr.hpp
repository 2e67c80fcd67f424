// The AST (compiler/ast.hpp) as S-expressions, without spans, for the tests: a whole tree
// is compared in one assertion. `1 + 2 * 3` is "(+ 1 (* 2 3))"; keywords keep their
// Chinese spelling. tests/test_grammar.cpp checks expressions against exact strings;
// tests/test_fmt.cpp compares whole rulebooks, one declaration per line, between parses.
#pragma once

#include <fmt/format.h>

#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "../compiler/ast.hpp"

namespace rb::test {

inline std::string show(const ast::Expr& e);
inline std::string show(const ast::Member& m);

inline std::string show(const ast::ExprPtr& e) { return e ? show(*e) : std::string("null"); }

inline std::string show(const ast::StreamRef& s) {
  if (!s.exclusion && s.filters.empty()) return s.base.text;
  std::string out = "(" + s.base.text;
  if (s.exclusion) out += fmt::format(" 排除 {} {}", s.exclusion->field.text, s.exclusion->other.text);
  for (const auto& f : s.filters) out += fmt::format(" 其中 {}", show(f));
  return out + ")";
}

inline std::string show(const ast::DateLit& d) { return fmt::format("{:04}-{:02}-{:02}", d.year, d.month, d.day); }

// A list of names: "[a b c]".
inline std::string show(const std::vector<ast::Name>& names) {
  std::string out = "[";
  for (size_t i = 0; i < names.size(); ++i) out += fmt::format("{}{}", i ? " " : "", names[i].text);
  return out + "]";
}

inline const char* binary_op_text(ast::BinaryOp op) {
  switch (op) {
    case ast::BinaryOp::Add:
      return "+";
    case ast::BinaryOp::Sub:
      return "-";
    case ast::BinaryOp::Mul:
      return "*";
    case ast::BinaryOp::Div:
      return "/";
    case ast::BinaryOp::Lt:
      return "<";
    case ast::BinaryOp::Le:
      return "<=";
    case ast::BinaryOp::Gt:
      return ">";
    case ast::BinaryOp::Ge:
      return ">=";
    case ast::BinaryOp::Eq:
      return "=";
    case ast::BinaryOp::Ne:
      return "!=";
    case ast::BinaryOp::And:
      return "且";
    case ast::BinaryOp::Or:
      return "或";
  }
  return "?";
}

struct ExprShower {
  std::string operator()(const ast::Number& n) const { return n.text; }
  std::string operator()(const ast::DateLit& d) const { return show(d); }
  std::string operator()(const ast::Text& t) const { return "\"" + t.value + "\""; }
  std::string operator()(const ast::NameRef& r) const { return r.name.text; }
  std::string operator()(const ast::Unary& u) const {
    return fmt::format("({} {})", u.op == ast::UnaryOp::Neg ? "-" : "非", show(u.operand));
  }
  std::string operator()(const ast::Binary& b) const {
    return fmt::format("({} {} {})", binary_op_text(b.op), show(b.lhs), show(b.rhs));
  }
  std::string operator()(const ast::Conditional& c) const {
    return fmt::format("(若 {} {} {})", show(c.cond), show(c.then_expr), show(c.else_expr));
  }
  std::string operator()(const ast::Call& c) const {
    std::string out = "(" + c.function.text;
    for (const auto& a : c.args) out += fmt::format(" {}", show(a));
    return out + ")";
  }
  std::string operator()(const ast::ZeroFallback& z) const {
    return fmt::format("(分母为零时 {} {})", show(z.value), show(z.fallback));
  }
  std::string operator()(const ast::CrossUnit& c) const {
    std::string out = fmt::format("({} {}", c.word, show(c.value));
    if (c.own_class) out += " 本类";
    if (c.registry) out += " " + c.registry->text;
    if (c.filter) out += fmt::format(" 其中 {}", show(c.filter));
    return out + ")";
  }
  std::string operator()(const ast::InSet& s) const {
    std::string out = fmt::format("({} {} {{", s.negated ? "不属于" : "属于", show(s.value));
    for (size_t i = 0; i < s.members.size(); ++i) out += fmt::format("{}{}", i ? " " : "", show(s.members[i]));
    return out + "})";
  }
  std::string operator()(const ast::UnitIn& u) const {
    return fmt::format("(单位{} {})", u.negated ? "不属于" : "属于", u.registry.text);
  }
  std::string operator()(const ast::ByValue& b) const {
    std::string out = "(按 " + b.field.text;
    for (const auto& arm : b.arms) out += fmt::format(" {}:{}", arm.key.text, show(arm.amount));
    if (b.otherwise) out += fmt::format(" 其他:{}", show(b.otherwise));
    return out + ")";
  }
  std::string operator()(const ast::PerRecord& p) const {
    return fmt::format("(每条 {} {})", show(p.stream), show(p.amount));
  }
  std::string operator()(const ast::PerDistinct& p) const {
    return fmt::format("(每个不同 {} {} {})", p.key.text, show(p.stream), show(p.amount));
  }
  std::string operator()(const ast::TakeHighest& t) const {
    std::string out = "(取最高 " + t.key.text;
    for (const auto& arm : t.arms) out += fmt::format(" {}:{}", show(arm.stream), show(arm.amount));
    return out + ")";
  }
  std::string operator()(const ast::Count& c) const { return "(条数 " + show(c.stream) + ")"; }
  std::string operator()(const ast::CountDistinct& c) const {
    return fmt::format("(个数 {} {})", c.key.text, show(c.stream));
  }
  std::string operator()(const ast::Exists& e) const {
    return fmt::format("({} {})", e.negated ? "无" : "有", show(e.stream));
  }
  std::string operator()(const ast::Gaps& g) const {
    return fmt::format("(间隔 {} {} {} {})", g.table.text, show(g.stream), show(g.days), show(g.amount));
  }
  std::string operator()(const ast::Streak& s) const {
    return fmt::format("(连续 {} {} {} {} {} {})", s.table.text, show(s.stream), show(s.step_days), show(s.times),
                       show(s.cond), show(s.amount));
  }
  std::string operator()(const ast::Rank& r) const {
    std::string out = fmt::format("(排名 {} {}", show(r.value), r.descending ? "从高到低" : "从低到高");
    if (r.tie) out += *r.tie == ast::TieRule::Dense ? " 并列密集" : " 并列同名次";
    if (r.within_class) out += " 本类内";
    if (r.without_vetoed) out += " 不含否决单位";
    if (r.skip_value) out += fmt::format(" 不排 {}", show(*r.skip_value));
    for (const auto& a : r.awards) {
      std::string key = a.place == ast::Rank::Place::Rank     ? show(a.rank)
                        : a.place == ast::Rank::Place::Top    ? fmt::format("前{}名", a.count)
                        : a.place == ast::Rank::Place::Bottom ? fmt::format("后{}名", a.count)
                                                              : fmt::format("后{}%", a.count);
      out += fmt::format(" {}:{}", key, show(a.amount));
    }
    return out + ")";
  }
};

inline std::string show(const ast::Expr& e) { return std::visit(ExprShower{}, e.node); }

// The suffix " (适用 cond)" of a node with a substitution, or nothing.
inline std::string substitution_suffix(const std::optional<ast::Substitution>& s) {
  return s ? " (适用 " + show(s->cond) + ")" : "";
}

// The members of a category or group, each after a space.
inline std::string members_suffix(const std::vector<ast::Member>& members) {
  std::string out;
  for (const auto& m : members) out += fmt::format(" {}", show(m));
  return out;
}

inline std::string show(const ast::Item& item) {
  std::string out = fmt::format("(条目 {} \"{}\"", item.name.text, item.citation);
  if (item.from) out += fmt::format(" 自 {}", show(*item.from));
  if (item.until) out += fmt::format(" 至 {}", show(*item.until));
  if (item.only) out += " 仅 " + item.only->text;
  if (item.full) out += fmt::format(" 满分 {}", show(item.full));
  if (item.cap) out += fmt::format(" 上限 {}", show(item.cap));
  for (const auto& t : item.terms) out += fmt::format(" {}", show(t));
  return out + substitution_suffix(item.substitution) + ")";
}

inline std::string show(const ast::Member& m) {
  if (const auto* item = std::get_if<ast::Item>(&m)) return show(*item);
  const auto& group = *std::get<std::unique_ptr<ast::Group>>(m);
  return fmt::format("(分组 {} \"{}\" 上限 {}{}{})", group.name.text, group.citation, show(group.cap),
                     members_suffix(group.members), substitution_suffix(group.substitution));
}

struct DeclarationShower {
  std::string operator()(const ast::Title& t) const { return "(考核 \"" + t.text + "\")"; }
  std::string operator()(const ast::Period& p) const { return fmt::format("(考核期 {} {})", show(p.from), show(p.to)); }
  std::string operator()(const ast::BaseScore& b) const { return "(基础分 " + show(b.value) + ")"; }
  std::string operator()(const ast::ScoreRange& r) const {
    return fmt::format("(得分范围 {} {})", show(r.low), show(r.high));
  }
  std::string operator()(const ast::Param& p) const { return fmt::format("(参数 {} {})", p.name.text, show(p.value)); }
  std::string operator()(const ast::Units& u) const { return "(单位 " + show(u.names) + ")"; }
  std::string operator()(const ast::UnitGroup& g) const {
    return fmt::format("(单位组 {} {})", g.name.text, show(g.members));
  }
  std::string operator()(const ast::Alias& a) const { return fmt::format("(别名 {} {})", a.alias.text, a.target.text); }
  std::string operator()(const ast::Enum& e) const { return fmt::format("(枚举 {} {})", e.name.text, show(e.members)); }
  std::string operator()(const ast::Table& t) const {
    std::string out = fmt::format("(表 {} {}", t.name.text, show(t.key_columns));
    if (t.source_file) out += fmt::format(" 来自 \"{}\"", *t.source_file);
    for (const auto& row : t.rows) out += fmt::format(" ({} -> {})", show(row.keys), show(row.units));
    return out + ")";
  }
  std::string operator()(const ast::EventType& e) const {
    std::string out = "(事件 " + e.name.text;
    for (const auto& f : e.fields) {
      out += fmt::format(" ({}: {}{}{})", f.name.text, f.type.text, f.key_fields.empty() ? "" : show(f.key_fields),
                         f.optional ? " 可选" : "");
    }
    for (const auto& u : e.unique) out += fmt::format(" (唯一 {})", show(u));
    return out + ")";
  }
  std::string operator()(const ast::NamedStream& s) const {
    return fmt::format("(记录 {} {})", s.name.text, show(s.stream));
  }
  std::string operator()(const ast::Category& c) const {
    const char* kind = c.kind == ast::CategoryKind::Veto        ? "否决项"
                       : c.kind == ast::CategoryKind::Deduction ? "扣分"
                       : c.kind == ast::CategoryKind::Points    ? "计分"
                                                                : "加分";
    return fmt::format("({} {} 上限 {}{}{}{})", kind, c.name.text, show(c.cap), c.uncapped ? " 不设上限" : "",
                       members_suffix(c.members), substitution_suffix(c.substitution));
  }
  std::string operator()(const ast::Output& o) const { return fmt::format("(输出 {} {})", o.name.text, show(o.value)); }
  std::string operator()(const ast::Indicator& i) const {
    return fmt::format("(指标 {}{} {})", i.name.text, i.citation.empty() ? "" : " \"" + i.citation + "\"", show(i.value));
  }
  std::string operator()(const ast::Decimals& d) const { return "(小数位数 " + show(d.value) + ")"; }
  std::string operator()(const ast::UnitDate& d) const {
    return fmt::format("({} {} {})", d.closed ? "撤销" : "设立", d.unit.text, show(d.date));
  }
  std::string operator()(const ast::NotAssessed& n) const { return fmt::format("(不参与考核 {})", show(n.cond)); }
  std::string operator()(const ast::Grades& g) const {
    std::string out = "(等级";
    for (const auto& b : g.bands) out += fmt::format(" {}:{}", b.at_least ? *b.at_least + "以上" : "其他", b.name.text);
    return out + ")";
  }
};

inline std::string show(const ast::Declaration& d) { return std::visit(DeclarationShower{}, d); }

// A whole rulebook, one declaration per line.
inline std::string show(const ast::Rulebook& book) {
  std::string out;
  for (const auto& d : book.declarations) out += show(d) + "\n";
  return out;
}

}  // namespace rb::test
