#include "rulebook_diff.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string_view>

#include "runtime/messages.hpp"
#include "runtime/session.hpp"

namespace rb {

namespace {

// ======================================================================== names

const std::set<std::string>& keywords() {
  static const std::set<std::string> words = {
      "考核", "考核期", "至", "自", "基础分", "得分范围", "参数", "单位", "单位组", "别名", "枚举", "表", "来自",
      "事件", "可选", "唯一", "记录", "排除", "同", "的", "否决项", "扣分", "加分", "上限", "不设上限", "分组",
      "条目", "引用", "适用", "否则取平均", "每条", "每件", "每次", "每篇", "每个不同", "每个", "每超", "每",
      "取最高", "扣", "加", "计", "按", "其他", "条数", "个数", "不同", "有", "无", "间隔", "天", "连续", "次",
      "排名", "从高到低", "从低到高", "并列同名次", "并列密集", "不排", "若", "则", "否则", "且", "或", "非",
      "属于", "不属于", "其中", "输出", "最大", "最小", "得分", "日期"};
  return words;
}

// The code point at s[i], advancing i; malformed bytes count as one (invalid) code point.
char32_t next_code_point(std::string_view s, size_t& i) {
  auto c = static_cast<unsigned char>(s[i]);
  int len = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
  char32_t cp = len == 1 ? c : c & (0x3F >> (len - 1));
  for (int k = 1; k < len && i + static_cast<size_t>(k) < s.size(); ++k)
    cp = (cp << 6) | (static_cast<unsigned char>(s[i + static_cast<size_t>(k)]) & 0x3F);
  i += static_cast<size_t>(len);
  return cp;
}

bool name_char(char32_t cp) {
  if (cp < 0x80) return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9') || cp == '_';
  static const std::u32string punctuation = U"，。：；（）【】、“”‘’《》！？\u3000≤≥≠";
  return punctuation.find(cp) == std::u32string::npos;
}

bool plain_name(const std::string& s) {
  if (s.empty() || (s[0] >= '0' && s[0] <= '9')) return false;
  for (size_t i = 0; i < s.size();)
    if (!name_char(next_code_point(s, i))) return false;
  return keywords().count(s) == 0;
}

std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// A field reference: 日期 is written bare although it is a keyword.
std::string field_name(const std::string& s) { return s == "日期" ? s : source_name(s); }

std::string date_text(const ast::DateLit& d) { return fmt::format("{:04}-{:02}-{:02}", d.year, d.month, d.day); }

// ======================================================================== printing

// A number or date written in a rule (or a parameter standing for one). When two versions
// of a rule differ only in these, the change is described value by value.
struct LeafValue {
  enum Kind { Number, Date, Other } kind = Other;
  Rational number;
  int32_t days = 0;
  std::string shown;
};

struct Leaf {
  std::string written;  // as written: "5", "2022-01-31", or a parameter's name
  std::optional<LeafValue> value;
  std::string param;    // the parameter's name when the leaf is one
  // How to describe a change of this leaf: PREFIX OLD → NEW SUFFIX, or, for the arms of one
  // 按 (same group), "GROUP_LABEL ARM OLD → NEW, ARM OLD → NEW".
  std::string prefix, suffix;
  int group = -1;
  std::string group_label, arm;
};

struct Ctx {
  std::string prefix, suffix;
  int group = -1;
  std::string group_label, arm;
};

std::optional<LeafValue> literal_value(const ast::Expr& e) {
  if (const auto* n = std::get_if<ast::Number>(&e.node)) {
    auto v = parse_decimal(n->text);
    if (!v) return std::nullopt;
    return LeafValue{LeafValue::Number, *v, 0, n->text};
  }
  if (const auto* d = std::get_if<ast::DateLit>(&e.node)) {
    if (!valid_date(d->year, d->month, d->day)) return LeafValue{LeafValue::Other, {}, 0, date_text(*d)};
    return LeafValue{LeafValue::Date, {}, days_from_civil(d->year, d->month, d->day), date_text(*d)};
  }
  if (const auto* u = std::get_if<ast::Unary>(&e.node)) {
    if (u->op == ast::UnaryOp::Neg && u->operand) {
      if (auto inner = literal_value(*u->operand); inner && inner->kind == LeafValue::Number) {
        inner->number = -inner->number;
        inner->shown = "-" + inner->shown;
        return inner;
      }
    }
  }
  return std::nullopt;
}

using ParamValues = std::map<std::string, LeafValue>;

enum Prec { kTop = 0, kOr = 1, kAnd = 2, kNot = 3, kCmp = 4, kAdd = 5, kMul = 6, kNeg = 7, kPrimary = 8 };

// Writes expressions back as source. In masking mode (`leaves` given) every number, date
// and parameter reference is written as \x01 and recorded, so that two versions of a rule
// with the same masked text differ only in those values.
class Printer {
 public:
  // `label_source` is the source used for the labels of recorded values (masking mode),
  // where the text itself is written without the author's synonyms so that it compares.
  Printer(const std::string* source, const ParamValues* params = nullptr, std::vector<Leaf>* leaves = nullptr,
          const std::string* label_source = nullptr)
      : source_(source), label_source_(label_source ? label_source : source), params_(params), leaves_(leaves) {}

  std::string expr(const ast::Expr& e, int min_prec = kTop, const Ctx& ctx = {}) {
    if (leaves_ && leaf(e, ctx)) return "\x01";
    int prec = kPrimary;
    std::string s = node(e, prec);
    if (prec < min_prec || (min_prec > kTop && open_ended(e))) return "(" + s + ")";
    return s;
  }

  std::string stream(const ast::StreamRef& st) {
    std::string s = source_name(st.base.text);
    if (st.exclusion)
      s += " 排除 同 " + field_name(st.exclusion->field.text) + " 的 " + source_name(st.exclusion->other.text);
    for (const auto& f : st.filters)
      if (f) s += " 其中 " + expr(*f, kTop, label(*f, [] { return around("其中 "); }));
    return s;
  }

 private:
  // Unmasked text, for the labels of changed values.
  std::string plain(const ast::Expr& e, int prec = kTop) { return Printer(label_source_).expr(e, prec); }
  std::string plain(const ast::StreamRef& s) { return Printer(label_source_).stream(s); }

  bool leaf(const ast::Expr& e, const Ctx& ctx) {
    Leaf l;
    if (auto v = literal_value(e)) {
      l.written = v->shown;
      l.value = v;
    } else if (const auto* n = std::get_if<ast::Number>(&e.node)) {
      l.written = n->text;
    } else if (const auto* r = std::get_if<ast::NameRef>(&e.node); r && params_ && params_->count(r->name.text)) {
      l.written = r->name.text;
      l.param = r->name.text;
      l.value = params_->at(r->name.text);
    } else {
      return false;
    }
    l.prefix = ctx.prefix;
    l.suffix = ctx.suffix;
    l.group = ctx.group;
    l.group_label = ctx.group_label;
    l.arm = ctx.arm;
    leaves_->push_back(std::move(l));
    return true;
  }

  static bool open_ended(const ast::Expr& e) {
    return std::visit(
        [](const auto& n) {
          using T = std::decay_t<decltype(n)>;
          if constexpr (std::is_same_v<T, ast::Conditional> || std::is_same_v<T, ast::PerRecord> ||
                        std::is_same_v<T, ast::PerDistinct> || std::is_same_v<T, ast::Gaps> ||
                        std::is_same_v<T, ast::Streak>)
            return true;
          else if constexpr (std::is_same_v<T, ast::Count> || std::is_same_v<T, ast::CountDistinct> ||
                             std::is_same_v<T, ast::Exists>)
            return !n.stream.filters.empty();
          else
            return false;
        },
        e.node);
  }

  // One of `options` as written at `offset` in the source, else `fallback`.
  // The first of `options` written in [from, to) of the source (the rule may start with a
  // parenthesis), else `fallback`.
  static std::string word_in(const std::string* source, uint32_t from, uint32_t to,
                             std::initializer_list<const char*> options, const char* fallback) {
    if (!source || to <= from || to > source->size()) return fallback;
    std::string_view text(source->data() + from, to - from);
    size_t best = std::string_view::npos;
    std::string word = fallback;
    for (const char* o : options) {
      size_t at = text.find(o);
      if (at < best) {
        best = at;
        word = o;
      }
    }
    return word;
  }

  // The verb (扣, 加 or 计) written between two offsets, comments skipped; 扣 when unknown.
  static std::string verb_between(const std::string* source, uint32_t from, uint32_t to) {
    if (!source || to <= from || to > source->size()) return "扣";
    std::string text;
    bool comment = false;
    for (uint32_t i = from; i < to; ++i) {
      char c = (*source)[i];
      if (c == '#') comment = true;
      if (c == '\n') comment = false;
      if (!comment) text += c;
    }
    size_t best = std::string::npos;
    std::string verb = "扣";
    for (const char* v : {"扣", "加", "计"}) {
      size_t at = text.find(v);
      if (at < best) {
        best = at;
        verb = v;
      }
    }
    return verb;
  }

  static uint32_t end_of(const ast::Span& s) { return s.offset + s.length; }

  static const char* op_text(ast::BinaryOp op) {
    switch (op) {
      case ast::BinaryOp::Add: return "+";
      case ast::BinaryOp::Sub: return "-";
      case ast::BinaryOp::Mul: return "*";
      case ast::BinaryOp::Div: return "/";
      case ast::BinaryOp::Lt: return "<";
      case ast::BinaryOp::Le: return "<=";
      case ast::BinaryOp::Gt: return ">";
      case ast::BinaryOp::Ge: return ">=";
      case ast::BinaryOp::Eq: return "=";
      case ast::BinaryOp::Ne: return "!=";
      case ast::BinaryOp::And: return "且";
      case ast::BinaryOp::Or: return "或";
    }
    return "?";
  }

  // Whether `e` will be recorded as a leaf (masking mode only).
  bool will_leaf(const ast::Expr& e) const {
    if (!leaves_) return false;
    if (std::holds_alternative<ast::Number>(e.node) || literal_value(e)) return true;
    const auto* r = std::get_if<ast::NameRef>(&e.node);
    return r && params_ && params_->count(r->name.text);
  }

  // The label of a child that is a leaf; built only then, since it prints the siblings.
  template <typename Make>
  Ctx label(const ast::Expr& child, Make make) const {
    return will_leaf(child) ? make() : Ctx{};
  }

  static Ctx around(std::string prefix, std::string suffix = {}) { return {std::move(prefix), std::move(suffix), -1, "", ""}; }

  std::string node(const ast::Expr& e, int& prec) {
    using namespace ast;
    if (const auto* n = std::get_if<Number>(&e.node)) return n->text;
    if (const auto* d = std::get_if<DateLit>(&e.node)) return date_text(*d);
    if (const auto* t = std::get_if<Text>(&e.node)) return quoted(t->value);
    if (const auto* r = std::get_if<NameRef>(&e.node)) return r->name.text;
    if (const auto* u = std::get_if<Unary>(&e.node)) {
      if (u->op == UnaryOp::Neg) {
        prec = kNeg;
        return "-" + expr(*u->operand, kPrimary, around("-"));
      }
      prec = kNot;
      return "非 " + expr(*u->operand, kCmp);
    }
    if (const auto* b = std::get_if<Binary>(&e.node)) {
      int lhs = kCmp, rhs = kCmp;
      switch (b->op) {
        case BinaryOp::Or: prec = kOr, lhs = kOr, rhs = kAnd; break;
        case BinaryOp::And: prec = kAnd, lhs = kAnd, rhs = kNot; break;
        case BinaryOp::Add:
        case BinaryOp::Sub: prec = kAdd, lhs = kAdd, rhs = kMul; break;
        case BinaryOp::Mul:
        case BinaryOp::Div: prec = kMul, lhs = kMul, rhs = kNeg; break;
        default: prec = kCmp, lhs = kAdd, rhs = kAdd; break;
      }
      std::string op = op_text(b->op);
      std::string l = expr(*b->lhs, lhs, label(*b->lhs, [&] { return around("", " " + op + " " + plain(*b->rhs, rhs)); }));
      std::string r = expr(*b->rhs, rhs, label(*b->rhs, [&] { return around(plain(*b->lhs, lhs) + " " + op + " "); }));
      return l + " " + op + " " + r;
    }
    if (const auto* c = std::get_if<Conditional>(&e.node)) {
      return "若 " + expr(*c->cond, kTop, label(*c->cond, [&] { return around("若 ", " 则 …"); })) + " 则 " +
             expr(*c->then_expr, kTop, label(*c->then_expr, [&] { return around("若 " + plain(*c->cond) + " 则 "); })) +
             " 否则 " +
             expr(*c->else_expr, kTop, label(*c->else_expr, [&] {
                    return around("若 " + plain(*c->cond) + " 则 " + plain(*c->then_expr) + " 否则 ");
                  }));
    }
    if (const auto* c = std::get_if<Call>(&e.node)) {
      std::string s = c->function.text + "(";
      for (size_t i = 0; i < c->args.size(); ++i) {
        Ctx ctx = label(*c->args[i], [&] {
          std::string before = c->function.text + "(", after;
          for (size_t k = 0; k < i; ++k) before += plain(*c->args[k]) + ", ";
          for (size_t k = i + 1; k < c->args.size(); ++k) after += ", " + plain(*c->args[k]);
          return around(before, after + ")");
        });
        s += (i ? ", " : "") + expr(*c->args[i], kTop, ctx);
      }
      return s + ")";
    }
    if (const auto* z = std::get_if<ZeroFallback>(&e.node)) {
      prec = kAdd;  // nothing of the product may follow the fallback
      return expr(*z->value, kMul) + " 分母为零时 " +
             expr(*z->fallback, kNeg, label(*z->fallback, [&] { return around(plain(*z->value, kMul) + " 分母为零时 "); }));
    }
    if (const auto* x = std::get_if<CrossUnit>(&e.node)) {
      std::string s = x->word + "(" + expr(*x->value);
      std::vector<std::string> scope;
      if (x->own_class) scope.push_back("本类");
      if (x->registry) scope.push_back(source_name(x->registry->text));
      if (x->filter) scope.push_back("其中 " + expr(*x->filter));
      if (!scope.empty()) {
        s += ", ";
        for (size_t i = 0; i < scope.size(); ++i) s += (i ? " " : "") + scope[i];
      }
      return s + ")";
    }
    if (const auto* in = std::get_if<InSet>(&e.node)) {
      prec = kCmp;
      std::string s = expr(*in->value, kAdd) + (in->negated ? " 不属于 {" : " 属于 {");
      for (const auto& m : in->members) {
        if (const auto* r = std::get_if<NameRef>(&m->node)) s += " " + source_name(r->name.text);
        else s += " " + Printer(source_).expr(*m);
      }
      return s + " }";
    }
    if (const auto* u = std::get_if<UnitIn>(&e.node))
      return std::string("单位 ") + (u->negated ? "不属于 " : "属于 ") + source_name(u->registry.text);
    if (const auto* by = std::get_if<ByValue>(&e.node)) {
      int group = next_group_++;
      std::string label_text = tr(Msg::diff_by_amounts, field_name(by->field.text));
      std::string s = "按 " + field_name(by->field.text) + " {";
      for (const auto& arm : by->arms) {
        std::string key = source_name(arm.key.text);
        s += " " + key + ": " + expr(*arm.amount, kTop, {"", "", group, label_text, key}) + " ";
      }
      if (by->otherwise) s += " 其他: " + expr(*by->otherwise, kTop, {"", "", group, label_text, "其他"}) + " ";
      if (by->arms.empty() && !by->otherwise) s += " ";
      return s + "}";
    }
    if (const auto* p = std::get_if<PerRecord>(&e.node)) {
      auto word_from = [&](const std::string* src) {
        return word_in(src, e.span.offset, p->stream.span.offset, {"每条", "每件", "每次", "每篇"}, "每条");
      };
      std::string word = word_from(source_);
      std::string verb = verb_between(source_, end_of(p->stream.span), p->amount->span.offset);
      Ctx ctx = label(*p->amount, [&] {
        return around(word_from(label_source_) + " " +
                      plain(p->stream) + " " + verb_between(label_source_, end_of(p->stream.span), p->amount->span.offset) +
                      " ");
      });
      return word + " " + stream(p->stream) + " " + verb + " " + expr(*p->amount, kTop, ctx);
    }
    if (const auto* p = std::get_if<PerDistinct>(&e.node)) {
      std::string verb = verb_between(source_, end_of(p->stream.span), p->amount->span.offset);
      std::string head = "每个不同 " + field_name(p->key.text) + " 的 ";
      Ctx ctx = label(*p->amount, [&] {
        return around(head + plain(p->stream) + " " +
                      verb_between(label_source_, end_of(p->stream.span), p->amount->span.offset) + " ");
      });
      return head + stream(p->stream) + " " + verb + " " + expr(*p->amount, kTop, ctx);
    }
    if (const auto* t = std::get_if<TakeHighest>(&e.node)) {
      std::string s = "每个不同 " + field_name(t->key.text) + " 取最高 {";
      for (size_t i = 0; i < t->arms.size(); ++i) {
        const auto& arm = t->arms[i];
        Ctx ctx = label(*arm.amount, [&] { return around("取最高 " + plain(arm.stream) + ": "); });
        s += (i ? "  " : " ") + stream(arm.stream) + ": " + expr(*arm.amount, kTop, ctx);
      }
      return s + " }";
    }
    if (const auto* c = std::get_if<Count>(&e.node)) return "条数 " + stream(c->stream);
    if (const auto* c = std::get_if<CountDistinct>(&e.node))
      return "个数 不同 " + field_name(c->key.text) + " 的 " + stream(c->stream);
    if (const auto* x = std::get_if<Exists>(&e.node)) return (x->negated ? "无 " : "有 ") + stream(x->stream);
    if (const auto* g = std::get_if<Gaps>(&e.node)) {
      std::string head = "每个 " + source_name(g->table.text) + " 的 ";
      std::string verb = verb_between(source_, end_of(g->days->span), g->amount->span.offset);
      std::string days = expr(*g->days, kTop, label(*g->days, [&] { return around("间隔 每超 ", " 天"); }));
      Ctx ctx = label(*g->amount, [&] {
        return around("间隔 每超 " + plain(*g->days) + " 天 " +
                      verb_between(label_source_, end_of(g->days->span), g->amount->span.offset) + " ");
      });
      return head + stream(g->stream) + " 间隔 每超 " + days + " 天 " + verb + " " + expr(*g->amount, kTop, ctx);
    }
    if (const auto* k = std::get_if<Streak>(&e.node)) {
      std::string head = "每个 " + source_name(k->table.text) + " 的 ";
      std::string verb = verb_between(source_, end_of(k->cond->span), k->amount->span.offset);
      std::string step = expr(*k->step_days, kTop, label(*k->step_days, [&] { return around("每 ", " 天"); }));
      std::string times = expr(*k->times, kTop, label(*k->times, [&] { return around("连续 ", " 次"); }));
      std::string cond = expr(*k->cond, kTop);
      Ctx ctx = label(*k->amount, [&] {
        return around("每 " + plain(*k->step_days) + " 天 连续 " + plain(*k->times) + " 次 " + plain(*k->cond) + " " +
                      verb_between(label_source_, end_of(k->cond->span), k->amount->span.offset) + " ");
      });
      return head + stream(k->stream) + " 每 " + step + " 天 连续 " + times + " 次 " + cond + " " + verb + " " +
             expr(*k->amount, kTop, ctx);
    }
    if (const auto* r = std::get_if<Rank>(&e.node)) {
      std::string s = "排名 " + expr(*r->value, kTop) + (r->descending ? " 从高到低" : " 从低到高");
      if (r->tie) s += *r->tie == TieRule::Dense ? " 并列密集" : " 并列同名次";
      if (r->within_class) s += " 本类内";
      if (r->without_vetoed) s += " 不含否决单位";
      if (r->skip_value && *r->skip_value)
        s += " 不排 " + expr(**r->skip_value, kTop, label(**r->skip_value, [&] { return around("排名 不排 "); }));
      s += " {";
      for (size_t i = 0; i < r->awards.size(); ++i) {
        const auto& a = r->awards[i];
        std::string count = std::to_string(a.count);
        std::string rank = a.place == Rank::Place::Top      ? "前" + count + "名"
                           : a.place == Rank::Place::Bottom ? "后" + count + "名"
                           : a.place == Rank::Place::BottomPercent
                               ? "后" + count + "%"
                               : expr(*a.rank, kTop, label(*a.rank, [&] { return around("排名 名次 "); }));
        Ctx ctx = label(*a.amount, [&] {
          return around("排名 " + (a.place == Rank::Place::Rank ? "第 " + plain(*a.rank) + " 名" : rank) + " ");
        });
        s += (i ? "  " : " ") + rank + ": " + expr(*a.amount, kTop, ctx);
      }
      return s + " }";
    }
    return "?";
  }

  const std::string* source_;
  const std::string* label_source_;
  const ParamValues* params_;
  std::vector<Leaf>* leaves_;
  int next_group_ = 0;
};

struct Masked {
  std::string text;
  std::vector<Leaf> leaves;
};

Masked mask(const ast::Expr& e, const ParamValues& params, const std::string* source) {
  Masked m;
  m.text = Printer(nullptr, &params, &m.leaves, source).expr(e);
  return m;
}

Masked mask(const ast::StreamRef& s, const ParamValues& params, const std::string* source) {
  Masked m;
  m.text = Printer(nullptr, &params, &m.leaves, source).stream(s);
  return m;
}

}  // namespace

std::string source_name(const std::string& name) { return plain_name(name) ? name : quoted(name); }

std::string print_expr(const ast::Expr& e, const std::string* source) { return Printer(source).expr(e); }

std::string print_stream(const ast::StreamRef& s, const std::string* source) { return Printer(source).stream(s); }

namespace {

// ======================================================================== helpers

std::string join(const std::vector<std::string>& parts, const std::string& sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? sep : "") + parts[i];
  return out;
}

std::string shown(const Leaf& l) { return l.value ? l.value->shown : l.written; }

bool same_value(const Leaf& a, const Leaf& b) {
  if (a.value && b.value && a.value->kind == b.value->kind) {
    if (a.value->kind == LeafValue::Number) return a.value->number == b.value->number;
    if (a.value->kind == LeafValue::Date) return a.value->days == b.value->days;
  }
  return shown(a) == shown(b);
}

// Equal leaves: the same parameter, or equal numbers or dates written out.
bool leaf_equal(const Leaf& a, const Leaf& b) {
  if (a.param != b.param) return false;
  if (!a.param.empty()) return true;  // a changed default is reported under 参数
  return same_value(a, b);
}

std::string param_note(const Leaf& a, const Leaf& b) {
  std::vector<std::string> notes;
  if (!a.param.empty()) notes.push_back(tr(Msg::diff_was_param, a.param));
  if (!b.param.empty()) notes.push_back(tr(Msg::diff_now_param, b.param));
  if (notes.empty()) return "";
  if (same_value(a, b)) notes.push_back(rb::text(Msg::diff_same_value));
  return tr(Msg::diff_paren, join(notes, rb::text(Msg::diff_comma)));
}

// Phrases for the values that differ between two rules of the same shape:
// "按 level 的分值 province 5 → 6, city 3 → 4", "日期 <= 2022-01-31 → 2023-02-15".
void describe_values(const std::vector<Leaf>& a, const std::vector<Leaf>& b, std::vector<std::string>& out) {
  for (size_t i = 0; i < b.size() && i < a.size();) {
    if (leaf_equal(a[i], b[i])) {
      ++i;
      continue;
    }
    if (b[i].group >= 0) {
      std::vector<std::string> parts;
      size_t j = i;
      for (; j < b.size() && j < a.size() && b[j].group == b[i].group; ++j)
        if (!leaf_equal(a[j], b[j]))
          parts.push_back(b[j].arm + " " + shown(a[j]) + " → " + shown(b[j]) + param_note(a[j], b[j]));
      out.push_back(b[i].group_label + " " + join(parts, ", "));
      i = j;
      continue;
    }
    out.push_back(b[i].prefix + shown(a[i]) + " → " + shown(b[i]) + b[i].suffix + param_note(a[i], b[i]));
    ++i;
  }
}

struct Comparison {
  bool same = true;
  bool values_only = false;  // same shape, only numbers, dates or parameters differ
  std::vector<std::string> phrases;
};

Comparison compare(const std::vector<Masked>& a, const std::vector<Masked>& b) {
  Comparison c;
  bool shapes = a.size() == b.size();
  for (size_t i = 0; shapes && i < a.size(); ++i) shapes = a[i].text == b[i].text && a[i].leaves.size() == b[i].leaves.size();
  if (!shapes) {
    c.same = false;
    return c;
  }
  for (size_t i = 0; i < a.size(); ++i) describe_values(a[i].leaves, b[i].leaves, c.phrases);
  c.same = c.phrases.empty();
  c.values_only = !c.same;
  return c;
}

std::optional<Rational> number_of(const ast::Expr* e) {
  if (!e) return std::nullopt;
  auto v = literal_value(*e);
  if (!v || v->kind != LeafValue::Number) return std::nullopt;
  return v->number;
}

std::string number_text(const ast::Expr* e, const std::string& fallback) {
  if (!e) return fallback;
  if (auto v = literal_value(*e)) return v->shown;
  return print_expr(*e);
}

std::string line_note(uint32_t line) { return line ? tr(Msg::diff_line_note, line) : ""; }

// "（附件1 …）" after a name, nothing when there is no citation.
std::string citation_note(const std::string& citation) { return citation.empty() ? "" : tr(Msg::diff_paren, citation); }

// Phrases joined into one clause: "…；…".
std::string clauses(const std::vector<std::string>& parts) { return join(parts, rb::text(Msg::diff_clause_separator)); }

std::string list_text(const std::vector<std::string>& parts) { return join(parts, rb::text(Msg::list_separator)); }

// ======================================================================== one rulebook

struct NodeInfo {
  bool is_item = true;
  const ast::Item* item = nullptr;
  const ast::Group* group = nullptr;
  const ast::Category* category = nullptr;
  std::string name, citation;
  std::string parent;  // the enclosing group or category
  std::string path;    // 类别 / 分组 / ...
  uint32_t line = 0;
};

struct Book {
  const ast::Rulebook* ast = nullptr;
  const Program* program = nullptr;
  const std::string* source = nullptr;
  const ast::Title* title = nullptr;
  const ast::Period* period = nullptr;
  const ast::BaseScore* base = nullptr;
  const ast::ScoreRange* range = nullptr;
  std::vector<const ast::Param*> params;
  ParamValues param_values;
  std::vector<std::string> units;
  std::map<std::string, uint32_t> unit_line;
  std::vector<const ast::UnitGroup*> unit_groups;
  std::vector<const ast::Alias*> aliases;
  std::map<std::string, std::string> alias_target;
  std::vector<const ast::Enum*> enums;
  std::vector<const ast::Table*> tables;
  std::vector<const ast::EventType*> events;
  std::vector<const ast::NamedStream*> streams;
  std::vector<const ast::Category*> categories;
  std::vector<const ast::Output*> outputs;
  std::vector<const ast::Indicator*> indicators;
  // Declarations compared as written: 不参与考核, 等级, 设立 / 撤销 (keyed by what they
  // declare), in rulebook order.
  std::vector<std::pair<std::string, ast::Span>> whole;
  std::vector<NodeInfo> nodes;  // items and groups, depth first in rulebook order

  Book(const ast::Rulebook& book, const Program* p) : ast(&book), program(p), source(&book.source) {
    for (const auto& d : book.declarations) {
      if (const auto* x = std::get_if<ast::Title>(&d)) title = x;
      else if (const auto* x = std::get_if<ast::Period>(&d)) period = x;
      else if (const auto* x = std::get_if<ast::BaseScore>(&d)) base = x;
      else if (const auto* x = std::get_if<ast::ScoreRange>(&d)) range = x;
      else if (const auto* x = std::get_if<ast::Param>(&d)) {
        params.push_back(x);
        if (x->value)
          if (auto v = literal_value(*x->value)) param_values[x->name.text] = *v;
      } else if (const auto* x = std::get_if<ast::Units>(&d)) {
        for (const auto& n : x->names) add_unit(n);
      } else if (const auto* x = std::get_if<ast::UnitGroup>(&d)) unit_groups.push_back(x);
      else if (const auto* x = std::get_if<ast::Alias>(&d)) {
        aliases.push_back(x);
        alias_target[x->alias.text] = x->target.text;
      } else if (const auto* x = std::get_if<ast::Enum>(&d)) enums.push_back(x);
      else if (const auto* x = std::get_if<ast::Table>(&d)) tables.push_back(x);
      else if (const auto* x = std::get_if<ast::EventType>(&d)) events.push_back(x);
      else if (const auto* x = std::get_if<ast::NamedStream>(&d)) streams.push_back(x);
      else if (const auto* x = std::get_if<ast::Category>(&d)) {
        categories.push_back(x);
        walk(x->members, *x, x->name.text, x->name.text);
      } else if (const auto* x = std::get_if<ast::Output>(&d)) outputs.push_back(x);
      else if (const auto* x = std::get_if<ast::Indicator>(&d)) indicators.push_back(x);
      else if (const auto* x = std::get_if<ast::NotAssessed>(&d)) whole.emplace_back("不参与考核", x->span);
      else if (const auto* x = std::get_if<ast::Grades>(&d)) whole.emplace_back("等级", x->span);
      else if (const auto* x = std::get_if<ast::Decimals>(&d)) whole.emplace_back("小数位数", x->span);
      else if (const auto* x = std::get_if<ast::UnitDate>(&d))
        whole.emplace_back((x->closed ? "撤销 " : "设立 ") + x->unit.text, x->span);
    }
    // A unit group's members are assessed units even when no 单位 block lists them.
    for (const auto* g : unit_groups)
      for (const auto& n : g->members) add_unit(n);
  }

  void add_unit(const ast::Name& n) {
    if (unit_line.count(n.text)) return;
    units.push_back(n.text);
    unit_line[n.text] = n.span.line;
  }

  void walk(const std::vector<ast::Member>& members, const ast::Category& category, const std::string& path,
            const std::string& parent) {
    for (const auto& m : members) {
      NodeInfo info;
      info.category = &category;
      info.parent = parent;
      info.path = path;
      if (const auto* it = std::get_if<ast::Item>(&m)) {
        info.item = it;
        info.name = it->name.text;
        info.citation = it->citation;
        info.line = it->span.line;
        nodes.push_back(std::move(info));
      } else {
        const auto& g = *std::get<std::unique_ptr<ast::Group>>(m);
        info.is_item = false;
        info.group = &g;
        info.name = g.name.text;
        info.citation = g.citation;
        info.line = g.span.line;
        nodes.push_back(std::move(info));
        walk(g.members, category, path + " / " + g.name.text, g.name.text);
      }
    }
  }

  std::string resolve(const std::string& unit) const {
    auto it = alias_target.find(unit);
    return it == alias_target.end() ? unit : it->second;
  }

  template <typename T>
  static const T* find(const std::vector<const T*>& list, const std::string& name) {
    for (const T* x : list)
      if (x->name.text == name) return x;
    return nullptr;
  }

  Masked masked(const ast::Expr& e) const { return mask(e, param_values, source); }
  Masked masked(const ast::StreamRef& s) const { return mask(s, param_values, source); }
  std::string text(const ast::Expr& e) const { return print_expr(e, source); }
  // A piece of the source with its blanks and comments squeezed to single spaces.
  std::string written(ast::Span span) const {
    std::string out;
    bool blank = false;
    for (size_t i = span.offset; i < span.offset + span.length && i < source->size(); ++i) {
      char c = (*source)[i];
      if (c == '#') {
        while (i < source->size() && (*source)[i] != '\n') ++i;
        blank = true;
        continue;
      }
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
        blank = true;
        continue;
      }
      if (blank && !out.empty()) out += ' ';
      blank = false;
      out += c;
    }
    return out;
  }
  std::string text(const ast::StreamRef& s) const { return print_stream(s, source); }

  // As the rulebook writes it ("2022-01-01 至 2022-12-31"), and as the report says it.
  std::string period_text() const {
    return period ? date_text(period->from) + " 至 " + date_text(period->to) : "";
  }
  std::string period_shown() const { return period ? tr(Msg::diff_from_to, date_text(period->from), date_text(period->to)) : ""; }
};

std::string category_label(const ast::Category& c) {
  switch (c.kind) {
    case ast::CategoryKind::Veto: return tr(Msg::diff_category_veto, c.name.text);
    case ast::CategoryKind::Deduction: return tr(Msg::diff_category_deduction, c.name.text);
    case ast::CategoryKind::Bonus: return tr(Msg::diff_category_bonus, c.name.text);
    case ast::CategoryKind::Points: return tr(Msg::diff_category_points, c.name.text);
  }
  return c.name.text;
}

// A category's kind as the rulebook writes it (the JSON's values), and as the report says it.
const char* kind_word(ast::CategoryKind k) {
  return k == ast::CategoryKind::Veto ? "否决项" : k == ast::CategoryKind::Deduction ? "扣分" : k == ast::CategoryKind::Points ? "计分" : "加分";
}

const char* kind_shown(ast::CategoryKind k) {
  return rb::text(k == ast::CategoryKind::Veto        ? Msg::diff_kind_veto
                  : k == ast::CategoryKind::Deduction ? Msg::diff_kind_deduction
                  : k == ast::CategoryKind::Points    ? Msg::diff_kind_points
                                                      : Msg::diff_kind_bonus);
}

std::string node_label(const NodeInfo& n) { return tr(n.is_item ? Msg::diff_item : Msg::diff_group, n.name, citation_note(n.citation)); }

std::string cap_text(const ast::Expr* cap) { return cap ? number_text(cap, "") : "不设上限"; }

std::string substitution_text(const Book& b, const ast::Substitution& s) {
  return "适用 " + b.text(*s.cond) + " 否则取平均";
}

std::string field_text(const ast::Field& f) {
  std::string s = f.type.text;
  if (!f.key_fields.empty()) {
    std::vector<std::string> keys;
    for (const auto& k : f.key_fields) keys.push_back(field_name(k.text));
    s += "(" + join(keys, ", ") + ")";
  }
  if (f.optional) s += " 可选";
  return s;
}

std::string unique_text(const std::vector<ast::Name>& names) {
  std::vector<std::string> parts;
  for (const auto& n : names) parts.push_back(field_name(n.text));
  return "唯一 (" + join(parts, ", ") + ")";
}

std::string event_text(const ast::EventType& e) {
  std::string s = "事件 " + source_name(e.name.text) + " {";
  for (const auto& f : e.fields) s.append(" ").append(source_name(f.name.text)).append(": ").append(field_text(f)).append(" ");
  for (const auto& u : e.unique) s.append(" ").append(unique_text(u)).append(" ");
  return s + "}";
}

std::string names_text(const std::vector<ast::Name>& names) {
  std::vector<std::string> parts;
  for (const auto& n : names) parts.push_back(source_name(n.text));
  return join(parts, " ");
}

// ======================================================================== the diff

// Where a table's rows come from: the rulebook itself or a file.
std::string table_source(const std::string& file) {
  return file.empty() ? std::string(rb::text(Msg::diff_table_inline)) : tr(Msg::diff_table_from_file, file);
}

class Differ {
 public:
  Differ(const Book& o, const Book& n, RulebookDiff& out) : o_(o), n_(n), out_(out) {}

  void run() {
    header();
    params();
    units();
    registries();
    events();
    rules();
    outputs();
    whole_declarations();
  }

 private:
  // A list of members (a unit group's units, an enum's values) that gained or lost entries.
  void members_changed(DiffSection section, const std::string& what, const std::string& label, const std::string& name,
                       const std::vector<std::string>& added, const std::vector<std::string>& removed,
                       const std::string& value_separator, uint32_t old_line, uint32_t new_line) {
    if (added.empty() && removed.empty()) return;
    std::vector<std::string> parts;
    if (!added.empty()) parts.push_back(tr(Msg::diff_added, list_text(added)));
    if (!removed.empty()) parts.push_back(tr(Msg::diff_removed, list_text(removed)));
    auto& c = add(section, "changed", what, name, label + " " + name + ": " + clauses(parts));
    c.aspect = "members";
    c.old_value = join(removed, value_separator);
    c.new_value = join(added, value_separator);
    c.old_line = old_line;
    c.new_line = new_line;
  }

  // A display name (事件 x "…", field x "…", member x "…") that was given, changed or dropped.
  void display_changed(DiffSection section, const std::string& what, const std::string& label, const std::string& name,
                       const std::string& was, const std::string& now, uint32_t old_line, uint32_t new_line) {
    if (was == now) return;
    auto quoted = [](const std::string& d) { return d.empty() ? std::string(rb::text(Msg::diff_none)) : "\"" + d + "\""; };
    auto& c = add(section, "changed", what, name, tr(Msg::diff_display, label, name, quoted(was), quoted(now)));
    c.aspect = "display";
    c.old_value = was;
    c.new_value = now;
    c.old_line = old_line;
    c.new_line = new_line;
  }

  Change& add(DiffSection section, std::string kind, std::string what, std::string name, std::string text) {
    Change c;
    c.section = section;
    c.kind = std::move(kind);
    c.what = std::move(what);
    c.name = std::move(name);
    c.text = std::move(text);
    out_.changes.push_back(std::move(c));
    return out_.changes.back();
  }

  std::string renamed(const std::string& unit) const {
    auto it = out_.renamed_units.find(unit);
    return it == out_.renamed_units.end() ? unit : it->second;
  }

  // ------------------------------------------------------------------ header

  void header() {
    std::string ot = o_.title ? o_.title->text : "", nt = n_.title ? n_.title->text : "";
    if (ot != nt) {
      auto& c = add(DiffSection::Header, "changed", "title", "考核", tr(Msg::diff_title, ot, nt));
      c.aspect = "title";
      c.old_value = ot;
      c.new_value = nt;
      c.old_line = o_.title ? o_.title->span.line : 0;
      c.new_line = n_.title ? n_.title->span.line : 0;
    }
    std::string op = o_.period_text(), np = n_.period_text();
    if (op != np) {
      auto& c = add(DiffSection::Header, "changed", "period", "考核期", tr(Msg::diff_period, o_.period_shown(), n_.period_shown()));
      c.aspect = "period";
      c.old_value = op;
      c.new_value = np;
      c.old_line = o_.period ? o_.period->span.line : 0;
      c.new_line = n_.period ? n_.period->span.line : 0;
    }
    const ast::Expr* ob = o_.base ? o_.base->value.get() : nullptr;
    const ast::Expr* nb = n_.base ? n_.base->value.get() : nullptr;
    std::string obt = number_text(ob, "100"), nbt = number_text(nb, "100");
    if (number_of(ob).value_or(100) != number_of(nb).value_or(100) || (!number_of(ob) && obt != nbt)) {
      auto& c = add(DiffSection::Header, "changed", "base_score", "基础分", tr(Msg::diff_base, obt, nbt));
      c.aspect = "base";
      c.old_value = obt;
      c.new_value = nbt;
    }
    // As written (the JSON's values) or as the report says it.
    auto range = [](const Book& b, bool shown = false) {
      std::string low = b.range ? number_text(b.range->low.get(), "0") : "0";
      std::string high = b.range ? number_text(b.range->high.get(), "100") : "100";
      return shown ? tr(Msg::diff_from_to, low, high) : low + " 至 " + high;
    };
    auto range_values = [](const Book& b) {
      if (!b.range) return std::make_pair(Rational(0), Rational(100));
      return std::make_pair(number_of(b.range->low.get()).value_or(0), number_of(b.range->high.get()).value_or(100));
    };
    if (range_values(o_) != range_values(n_)) {
      auto& c = add(DiffSection::Header, "changed", "score_range", "得分范围",
                    tr(Msg::diff_range, range(o_, true), range(n_, true)));
      c.aspect = "range";
      c.old_value = range(o_);
      c.new_value = range(n_);
    }
  }

  // ------------------------------------------------------------------ parameters

  void params() {
    for (const auto* p : n_.params) {
      const auto* old = Book::find(o_.params, p->name.text);
      std::string value = number_text(p->value.get(), "");
      if (!old) {
        auto& c = add(DiffSection::Params, "added", "param", p->name.text, tr(Msg::diff_param_added, p->name.text, value));
        c.new_value = value;
        c.new_line = p->span.line;
        continue;
      }
      std::string before = number_text(old->value.get(), "");
      auto ov = o_.param_values.find(p->name.text), nv = n_.param_values.find(p->name.text);
      bool same = before == value;
      if (ov != o_.param_values.end() && nv != n_.param_values.end() && ov->second.kind == nv->second.kind &&
          ov->second.kind != LeafValue::Other)
        same = ov->second.kind == LeafValue::Number ? ov->second.number == nv->second.number
                                                    : ov->second.days == nv->second.days;
      if (!same) {
        auto& c = add(DiffSection::Params, "changed", "param", p->name.text,
                      tr(Msg::diff_param_changed, p->name.text, before, value));
        c.aspect = "default";
        c.old_value = before;
        c.new_value = value;
        c.old_line = old->span.line;
        c.new_line = p->span.line;
      }
    }
    for (const auto* p : o_.params) {
      if (Book::find(n_.params, p->name.text)) continue;
      std::string value = number_text(p->value.get(), "");
      auto& c = add(DiffSection::Params, "removed", "param", p->name.text,
                    tr(Msg::diff_param_removed, p->name.text, value));
      c.old_value = value;
      c.old_line = p->span.line;
    }
  }

  // ------------------------------------------------------------------ units, groups, aliases

  void units() {
    std::set<std::string> old_units(o_.units.begin(), o_.units.end()), new_units(n_.units.begin(), n_.units.end());
    std::set<std::string> rename_aliases;
    // A unit that is gone while the new rulebook keeps its name as an alias: a rename (or,
    // when the alias points at a unit that was already there, a merger).
    for (const auto& u : o_.units) {
      if (new_units.count(u)) continue;
      auto alias = n_.alias_target.find(u);
      if (alias == n_.alias_target.end() || !new_units.count(alias->second)) continue;
      const std::string& target = alias->second;
      rename_aliases.insert(u);
      out_.renamed_units[u] = target;
      bool merger = old_units.count(target) > 0;
      auto& c = add(DiffSection::Units, "renamed", "unit", target,
                    tr(merger ? Msg::diff_unit_merged : Msg::diff_unit_renamed, u, target));
      c.old_name = u;
      if (merger) c.aspect = "merged";
      c.old_line = o_.unit_line.at(u);
      c.new_line = n_.unit_line.at(target);
    }
    std::set<std::string> rename_targets;
    for (const auto& [from, to] : out_.renamed_units)
      if (!old_units.count(to)) rename_targets.insert(to);
    for (const auto& u : n_.units) {
      if (old_units.count(u) || rename_targets.count(u)) continue;
      auto& c = add(DiffSection::Units, "added", "unit", u, tr(Msg::diff_unit_added, u));
      c.new_line = n_.unit_line.at(u);
    }
    for (const auto& u : o_.units) {
      if (new_units.count(u) || out_.renamed_units.count(u)) continue;
      auto& c = add(DiffSection::Units, "removed", "unit", u, tr(Msg::diff_unit_removed, u));
      c.old_line = o_.unit_line.at(u);
    }
    // Unit groups, with the old members under their new names.
    for (const auto* g : n_.unit_groups) {
      const auto* old = Book::find(o_.unit_groups, g->name.text);
      std::vector<std::string> members;
      for (const auto& m : g->members) members.push_back(m.text);
      if (!old) {
        auto& c = add(DiffSection::Units, "added", "unit_group", g->name.text,
                      tr(Msg::diff_unit_group_added, g->name.text, list_text(members)));
        c.new_line = g->span.line;
        continue;
      }
      std::set<std::string> before, after(members.begin(), members.end());
      for (const auto& m : old->members) before.insert(renamed(m.text));
      std::vector<std::string> added, removed;
      for (const auto& m : members)
        if (!before.count(m)) added.push_back(m);
      for (const auto& m : old->members)
        if (!after.count(renamed(m.text))) removed.push_back(m.text);
      members_changed(DiffSection::Units, "unit_group", rb::text(Msg::diff_unit_group), g->name.text, added, removed, "、", old->span.line,
                      g->span.line);
    }
    for (const auto* g : o_.unit_groups) {
      if (Book::find(n_.unit_groups, g->name.text)) continue;
      auto& c = add(DiffSection::Units, "removed", "unit_group", g->name.text, tr(Msg::diff_unit_group_removed, g->name.text));
      c.old_line = g->span.line;
    }
    // Aliases, except those that keep a renamed unit's old name.
    for (const auto* a : n_.aliases) {
      if (rename_aliases.count(a->alias.text)) continue;
      auto old = o_.alias_target.find(a->alias.text);
      if (old == o_.alias_target.end()) {
        auto& c = add(DiffSection::Units, "added", "alias", a->alias.text,
                      tr(Msg::diff_alias_added, a->alias.text, a->target.text));
        c.new_value = a->target.text;
        c.new_line = a->span.line;
      } else if (renamed(old->second) != a->target.text) {
        auto& c = add(DiffSection::Units, "changed", "alias", a->alias.text,
                      tr(Msg::diff_alias_changed, a->alias.text, old->second, a->target.text));
        c.aspect = "alias_target";
        c.old_value = old->second;
        c.new_value = a->target.text;
        c.new_line = a->span.line;
      }
    }
    for (const auto* a : o_.aliases) {
      if (n_.alias_target.count(a->alias.text)) continue;
      auto& c = add(DiffSection::Units, "removed", "alias", a->alias.text,
                    tr(Msg::diff_alias_removed, a->alias.text, a->target.text));
      c.old_value = a->target.text;
      c.old_line = a->span.line;
    }
  }

  // ------------------------------------------------------------------ enums and tables

  struct Row {
    std::string key;
    std::vector<std::string> units;
    uint32_t line = 0;
  };

  std::vector<Row> rows_of(const Book& b, const ast::Table& t, bool old_side) const {
    std::vector<Row> rows;
    if (t.source_file && b.program) {
      for (const auto& def : b.program->tables) {
        if (def.name != t.name.text) continue;
        for (const auto& r : def.rows) {
          Row row;
          std::vector<std::string> keys;
          for (uint32_t k : r.keys) keys.push_back(source_name(b.program->symbols.at(k)));
          row.key = join(keys, " ");
          for (uint32_t u : r.units) row.units.push_back(old_side ? renamed(b.program->units.at(u)) : b.program->units.at(u));
          row.line = t.span.line;
          rows.push_back(std::move(row));
        }
      }
      return rows;
    }
    for (const auto& r : t.rows) {
      Row row;
      row.key = names_text(r.keys);
      for (const auto& u : r.units) {
        std::string unit = b.resolve(u.text);
        row.units.push_back(old_side ? renamed(unit) : unit);
      }
      row.line = r.span.line;
      rows.push_back(std::move(row));
    }
    return rows;
  }

  void registries() {
    for (const auto* e : n_.enums) {
      const auto* old = Book::find(o_.enums, e->name.text);
      if (!old) {
        auto& c = add(DiffSection::Registries, "added", "enum", e->name.text,
                      tr(Msg::diff_enum_added, e->name.text, names_text(e->members)));
        c.new_line = e->span.line;
        continue;
      }
      std::set<std::string> before, after;
      for (const auto& m : old->members) before.insert(m.text);
      for (const auto& m : e->members) after.insert(m.text);
      std::vector<std::string> added, removed;
      for (const auto& m : e->members)
        if (!before.count(m.text)) added.push_back(m.text);
      for (const auto& m : old->members)
        if (!after.count(m.text)) removed.push_back(m.text);
      members_changed(DiffSection::Registries, "enum", rb::text(Msg::diff_enum), e->name.text, added, removed, " ", old->span.line,
                      e->span.line);
      for (size_t i = 0; i < e->members.size(); ++i)
        for (size_t j = 0; j < old->members.size(); ++j)
          if (old->members[j].text == e->members[i].text)
            display_changed(DiffSection::Registries, "enum_member", tr(Msg::diff_enum_member, e->name.text),
                            e->members[i].text, old->displays[j], e->displays[i], old->span.line, e->span.line);
    }
    for (const auto* e : o_.enums) {
      if (Book::find(n_.enums, e->name.text)) continue;
      auto& c = add(DiffSection::Registries, "removed", "enum", e->name.text, tr(Msg::diff_enum_removed, e->name.text));
      c.old_line = e->span.line;
    }
    for (const auto* t : n_.tables) {
      const auto* old = Book::find(o_.tables, t->name.text);
      auto rows = rows_of(n_, *t, false);
      if (!old) {
        auto& c = add(DiffSection::Registries, "added", "table", t->name.text,
                      tr(Msg::diff_table_added, t->name.text, names_text(t->key_columns), rows.size()));
        c.new_line = t->span.line;
        continue;
      }
      std::string oc = names_text(old->key_columns), nc = names_text(t->key_columns);
      if (oc != nc) {
        auto& c = add(DiffSection::Registries, "changed", "table", t->name.text,
                      tr(Msg::diff_table_keys, t->name.text, oc, nc));
        c.aspect = "key_columns";
        c.old_value = oc;
        c.new_value = nc;
        c.old_line = old->span.line;
        c.new_line = t->span.line;
      }
      std::string os = old->source_file.value_or(""), ns = t->source_file.value_or("");
      if (os != ns) {
        auto& c = add(DiffSection::Registries, "changed", "table", t->name.text,
                      tr(Msg::diff_table_source, t->name.text, table_source(os), table_source(ns)));
        c.aspect = "source";
        c.old_value = os;
        c.new_value = ns;
      }
      auto old_rows = rows_of(o_, *old, true);
      std::map<std::string, const Row*> before, after;
      for (const auto& r : old_rows) before.emplace(r.key, &r);
      for (const auto& r : rows) after.emplace(r.key, &r);
      for (const auto& r : rows) {
        auto it = before.find(r.key);
        std::string units = join(r.units, ", ");
        if (it == before.end()) {
          auto& c = add(DiffSection::Registries, "added", "table_row", t->name.text + ": " + r.key,
                        tr(Msg::diff_row_added, t->name.text, r.key, units));
          c.new_value = units;
          c.new_line = r.line;
        } else if (it->second->units != r.units) {
          std::string was = join(it->second->units, ", ");
          auto& c = add(DiffSection::Registries, "changed", "table_row", t->name.text + ": " + r.key,
                        tr(Msg::diff_row_changed, t->name.text, r.key, was, units));
          c.aspect = "units";
          c.old_value = was;
          c.new_value = units;
          c.old_line = it->second->line;
          c.new_line = r.line;
        }
      }
      for (const auto& r : old_rows) {
        if (after.count(r.key)) continue;
        std::string units = join(r.units, ", ");
        auto& c = add(DiffSection::Registries, "removed", "table_row", t->name.text + ": " + r.key,
                      tr(Msg::diff_row_removed, t->name.text, r.key, units));
        c.old_value = units;
        c.old_line = r.line;
      }
    }
    for (const auto* t : o_.tables) {
      if (Book::find(n_.tables, t->name.text)) continue;
      auto& c = add(DiffSection::Registries, "removed", "table", t->name.text, tr(Msg::diff_table_removed, t->name.text));
      c.old_line = t->span.line;
    }
  }

  // ------------------------------------------------------------------ event types, streams

  void events() {
    for (const auto* e : n_.events) {
      const auto* old = Book::find(o_.events, e->name.text);
      if (!old) {
        auto& c = add(DiffSection::Events, "added", "event_type", e->name.text, tr(Msg::diff_event_added, event_text(*e).substr(std::string("事件 ").size())));
        c.new_value = event_text(*e);
        c.new_line = e->span.line;
        continue;
      }
      const std::string& en = e->name.text;
      display_changed(DiffSection::Events, "event_type", rb::text(Msg::diff_event_type), en, old->display, e->display, old->span.line,
                      e->span.line);
      for (const auto& f : e->fields) {
        const ast::Field* of = nullptr;
        for (const auto& x : old->fields)
          if (x.name.text == f.name.text) of = &x;
        std::string name = en + "." + f.name.text;
        if (!of) {
          auto& c = add(DiffSection::Events, "added", "field", name,
                        tr(Msg::diff_field_added, en, f.name.text, field_text(f)));
          c.new_value = field_text(f);
          c.new_line = f.span.line;
          continue;
        }
        display_changed(DiffSection::Events, "field", tr(Msg::diff_field, en), f.name.text, of->display, f.display,
                        of->span.line, f.span.line);
        ast::Field a = {of->name, of->type, of->key_fields, false, {}, {}},
                   b = {f.name, f.type, f.key_fields, false, {}, {}};
        if (field_text(a) != field_text(b)) {
          auto& c = add(DiffSection::Events, "changed", "field", name,
                        tr(Msg::diff_field_type, en, f.name.text, field_text(a), field_text(b)));
          c.aspect = "type";
          c.old_value = field_text(a);
          c.new_value = field_text(b);
          c.old_line = of->span.line;
          c.new_line = f.span.line;
        }
        if (of->optional != f.optional) {
          auto& c = add(DiffSection::Events, "changed", "field", name,
                        tr(f.optional ? Msg::diff_field_optional : Msg::diff_field_required, en, f.name.text));
          c.aspect = "optional";
          c.old_value = of->optional ? "可选" : "必填";
          c.new_value = f.optional ? "可选" : "必填";
          c.old_line = of->span.line;
          c.new_line = f.span.line;
        }
      }
      for (const auto& f : old->fields) {
        bool kept = std::any_of(e->fields.begin(), e->fields.end(), [&](const ast::Field& x) { return x.name.text == f.name.text; });
        if (kept) continue;
        auto& c = add(DiffSection::Events, "removed", "field", en + "." + f.name.text,
                      tr(Msg::diff_field_removed, en, f.name.text, field_text(f)));
        c.old_value = field_text(f);
        c.old_line = f.span.line;
      }
      std::set<std::string> ou, nu;
      for (const auto& u : old->unique) ou.insert(unique_text(u));
      for (const auto& u : e->unique) nu.insert(unique_text(u));
      for (const auto& u : nu)
        if (!ou.count(u)) {
          auto& c = add(DiffSection::Events, "added", "unique", en, tr(Msg::diff_unique_added, en, u));
          c.new_value = u;
          c.new_line = e->span.line;
        }
      for (const auto& u : ou)
        if (!nu.count(u)) {
          auto& c = add(DiffSection::Events, "removed", "unique", en, tr(Msg::diff_unique_removed, en, u));
          c.old_value = u;
          c.old_line = old->span.line;
        }
    }
    for (const auto* e : o_.events) {
      if (Book::find(n_.events, e->name.text)) continue;
      auto& c = add(DiffSection::Events, "removed", "event_type", e->name.text, tr(Msg::diff_event_removed, e->name.text));
      c.old_value = event_text(*e);
      c.old_line = e->span.line;
    }
    for (const auto* s : n_.streams) {
      const auto* old = Book::find(o_.streams, s->name.text);
      std::string def = n_.text(s->stream);
      if (!old) {
        auto& c = add(DiffSection::Events, "added", "named_stream", s->name.text,
                      tr(Msg::diff_stream_added, s->name.text, def));
        c.new_value = def;
        c.new_line = s->span.line;
        continue;
      }
      auto cmp = compare({o_.masked(old->stream)}, {n_.masked(s->stream)});
      if (cmp.same) continue;
      std::string was = o_.text(old->stream);
      auto& c = add(DiffSection::Events, "changed", "named_stream", s->name.text,
                    tr(Msg::diff_stream_changed, s->name.text,
                       cmp.values_only ? clauses(cmp.phrases) : tr(Msg::diff_stream_redefined, def, was)));
      c.aspect = "stream";
      c.old_value = was;
      c.new_value = def;
      c.old_line = old->span.line;
      c.new_line = s->span.line;
    }
    for (const auto* s : o_.streams) {
      if (Book::find(n_.streams, s->name.text)) continue;
      auto& c = add(DiffSection::Events, "removed", "named_stream", s->name.text,
                    tr(Msg::diff_stream_removed, s->name.text, o_.text(s->stream)));
      c.old_value = o_.text(s->stream);
      c.old_line = s->span.line;
    }
  }

  // ------------------------------------------------------------------ categories, groups, items

  void cap_change(const std::string& label, const std::string& what, const std::string& name, const ast::Expr* oc,
                  const ast::Expr* nc, uint32_t old_line, uint32_t new_line) {
    auto ov = number_of(oc), nv = number_of(nc);
    bool same = (!oc && !nc) || (oc && nc && (ov && nv ? *ov == *nv : cap_text(oc) == cap_text(nc)));
    if (same) return;
    std::string text;
    if (oc && nc) text = tr(Msg::diff_cap_changed, cap_text(oc), cap_text(nc));
    else if (nc) text = tr(Msg::diff_cap_added, cap_text(nc));
    else text = tr(Msg::diff_cap_removed, cap_text(oc));
    auto& c = add(DiffSection::Rules, "changed", what, name, label + ": " + text);
    c.aspect = "cap";
    c.old_value = cap_text(oc);
    c.new_value = cap_text(nc);
    c.old_line = old_line;
    c.new_line = new_line;
  }

  void substitution_change(const std::string& label, const std::string& what, const std::string& name,
                           const std::optional<ast::Substitution>& os, const std::optional<ast::Substitution>& ns,
                           uint32_t old_line, uint32_t new_line) {
    if (!os && !ns) return;
    std::string text;
    if (os && ns) {
      auto cmp = compare({o_.masked(*os->cond)}, {n_.masked(*ns->cond)});
      if (cmp.same) return;
      text = cmp.values_only ? tr(Msg::diff_substitution_values, clauses(cmp.phrases))
                             : tr(Msg::diff_substitution_changed, substitution_text(o_, *os), substitution_text(n_, *ns));
    } else if (ns) {
      text = tr(Msg::diff_substitution_added, substitution_text(n_, *ns));
    } else {
      text = tr(Msg::diff_substitution_removed, substitution_text(o_, *os));
    }
    auto& c = add(DiffSection::Rules, "changed", what, name, label + ": " + text);
    c.aspect = "substitution";
    c.old_value = os ? substitution_text(o_, *os) : "";
    c.new_value = ns ? substitution_text(n_, *ns) : "";
    c.old_line = os ? os->span.line : old_line;
    c.new_line = ns ? ns->span.line : new_line;
  }

  std::vector<std::string> rule_lines(const Book& b, const ast::Item& it, Msg label) const {
    std::vector<std::string> lines;
    for (const auto& t : it.terms) lines.push_back(rb::text(label) + line_note(t->span.line) + ": " + b.text(*t));
    return lines;
  }

  std::vector<std::string> item_summary(const Book& b, const ast::Item& it, Msg label) const {
    auto lines = rule_lines(b, it, label);
    if (it.from || it.until) {
      std::vector<std::string> bounds;
      if (it.from) bounds.push_back(rb::text(Msg::diff_bound_from) + (" " + date_text(*it.from)));
      if (it.until) bounds.push_back(rb::text(Msg::diff_bound_until) + (" " + date_text(*it.until)));
      lines.push_back(tr(Msg::diff_dates, join(bounds, " ")));
    }
    if (it.substitution) lines.push_back(tr(Msg::diff_substitution, substitution_text(b, *it.substitution)));
    return lines;
  }

  std::string path_of(const NodeInfo& n, bool old_side) const {
    if (!old_side) return n.path;
    // The old path with renamed groups under their new names, for comparison.
    std::string path;
    size_t start = 0;
    while (true) {
      size_t at = n.path.find(" / ", start);
      std::string part = n.path.substr(start, at == std::string::npos ? std::string::npos : at - start);
      auto it = out_.renamed_nodes.find(part);
      path += (path.empty() ? "" : " / ") + (it == out_.renamed_nodes.end() ? part : it->second);
      if (at == std::string::npos) break;
      start = at + 3;
    }
    return path;
  }

  void bound_change(const std::string& label, const std::string& name, Msg word_msg,
                    const std::optional<ast::DateLit>& od, const std::optional<ast::DateLit>& nd, const char* aspect,
                    uint32_t old_line, uint32_t new_line) {
    std::string ot = od ? date_text(*od) : "", nt = nd ? date_text(*nd) : "";
    if (ot == nt) return;
    const char* word = rb::text(word_msg);
    std::string text;
    if (od && nd) text = tr(Msg::diff_bound_changed, word, ot, nt);
    else if (nd) text = tr(Msg::diff_bound_added, word, nt);
    else text = tr(Msg::diff_bound_removed, word, ot);
    auto& c = add(DiffSection::Rules, "changed", "item", name, label + ": " + text);
    c.aspect = aspect;
    c.old_value = ot;
    c.new_value = nt;
    c.old_line = old_line;
    c.new_line = new_line;
  }

  void node_changes(const NodeInfo& n, const NodeInfo* o) {
    const char* what = n.is_item ? "item" : "group";
    std::string label = node_label(n);
    if (!o) {
      std::string text = tr(n.is_item ? Msg::diff_item_added : Msg::diff_group_added, n.name, citation_note(n.citation), n.path);
      if (!n.is_item && n.group->cap) text += tr(Msg::diff_with_cap, cap_text(n.group->cap.get()));
      auto& c = add(DiffSection::Rules, "added", what, n.name, text);
      c.new_line = n.line;
      if (n.is_item) {
        c.details = item_summary(n_, *n.item, Msg::diff_rule_new);
        std::vector<std::string> terms;
        for (const auto& t : n.item->terms) terms.push_back(n_.text(*t));
        c.new_value = join(terms, "\n");
      } else if (n.group->substitution) {
        c.details.push_back(tr(Msg::diff_substitution, substitution_text(n_, *n.group->substitution)));
      }
      return;
    }
    if (o->name != n.name) {
      auto& c = add(DiffSection::Rules, "renamed", what, n.name,
                    tr(n.is_item ? Msg::diff_item_renamed : Msg::diff_group_renamed, o->name, n.name, n.citation));
      c.old_name = o->name;
      c.old_line = o->line;
      c.new_line = n.line;
    }
    std::string old_path = path_of(*o, true);
    if (old_path != n.path) {
      auto& c = add(DiffSection::Rules, "moved", what, n.name, tr(Msg::diff_moved, label, o->path, n.path));
      c.old_value = o->path;
      c.new_value = n.path;
      c.old_line = o->line;
      c.new_line = n.line;
    }
    if (o->citation != n.citation) {
      auto& c = add(DiffSection::Rules, "changed", what, n.name,
                    tr(n.is_item ? Msg::diff_item_citation : Msg::diff_group_citation, n.name, o->citation, n.citation));
      c.aspect = "citation";
      c.old_value = o->citation;
      c.new_value = n.citation;
      c.old_line = o->line;
      c.new_line = n.line;
    }
    auto periods_of = [](const Book& b, const NodeInfo& x) {
      const auto& p = x.is_item ? x.item->periods : x.group->periods;
      return p ? b.written(p->span) : std::string();
    };
    if (std::string op = periods_of(o_, *o), np = periods_of(n_, n); op != np)
      periods_changed(DiffSection::Rules, what, n.name, label, op, np, o->line, n.line);
    if (!n.is_item) {
      cap_change(label, what, n.name, o->group->cap.get(), n.group->cap.get(), o->line, n.line);
      substitution_change(label, what, n.name, o->group->substitution, n.group->substitution, o->line, n.line);
      return;
    }
    const ast::Item& oi = *o->item;
    const ast::Item& ni = *n.item;
    cap_change(label, what, n.name, oi.cap.get(), ni.cap.get(), o->line, n.line);
    if (std::string of = oi.full ? o_.written(oi.full->span) : "", nf = ni.full ? n_.written(ni.full->span) : ""; of != nf) {
      auto& c = add(DiffSection::Rules, "changed", what, n.name,
                    label + ": " +
                        (of.empty()   ? tr(Msg::diff_full_added, nf)
                         : nf.empty() ? tr(Msg::diff_full_removed, of)
                                      : tr(Msg::diff_full_changed, of, nf)));
      c.aspect = "full_marks";
      c.old_value = of;
      c.new_value = nf;
      c.old_line = o->line;
      c.new_line = n.line;
    }
    bound_change(label, n.name, Msg::diff_bound_from, oi.from, ni.from, "from", oi.from_span.line ? oi.from_span.line : o->line,
                 ni.from_span.line ? ni.from_span.line : n.line);
    bound_change(label, n.name, Msg::diff_bound_until, oi.until, ni.until, "until", oi.until_span.line ? oi.until_span.line : o->line,
                 ni.until_span.line ? ni.until_span.line : n.line);
    std::vector<Masked> ot, nt;
    for (const auto& t : oi.terms) ot.push_back(o_.masked(*t));
    for (const auto& t : ni.terms) nt.push_back(n_.masked(*t));
    auto cmp = compare(ot, nt);
    if (!cmp.same) {
      auto& c = add(DiffSection::Rules, "changed", what, n.name,
                    label + ": " + (cmp.values_only ? clauses(cmp.phrases) : std::string(rb::text(Msg::diff_rule_rewritten))));
      c.aspect = "rule";
      std::vector<std::string> before, after;
      for (const auto& t : oi.terms) before.push_back(o_.text(*t));
      for (const auto& t : ni.terms) after.push_back(n_.text(*t));
      c.old_value = join(before, "\n");
      c.new_value = join(after, "\n");
      c.details = rule_lines(o_, oi, Msg::diff_rule_was);
      auto now = rule_lines(n_, ni, Msg::diff_rule_now);
      c.details.insert(c.details.end(), now.begin(), now.end());
      c.old_line = oi.terms.empty() ? o->line : oi.terms.front()->span.line;
      c.new_line = ni.terms.empty() ? n.line : ni.terms.front()->span.line;
    }
    substitution_change(label, what, n.name, oi.substitution, ni.substitution, o->line, n.line);
  }

  void removed_node(const NodeInfo& o) {
    auto& c = add(DiffSection::Rules, "removed", o.is_item ? "item" : "group", o.name,
                  tr(o.is_item ? Msg::diff_item_removed : Msg::diff_group_removed, o.name, citation_note(o.citation), o.path));
    c.old_line = o.line;
    if (o.is_item) {
      c.details = item_summary(o_, *o.item, Msg::diff_rule_removed);
      std::vector<std::string> terms;
      for (const auto& t : o.item->terms) terms.push_back(o_.text(*t));
      c.old_value = join(terms, "\n");
    }
  }

  void rules() {
    // Items and groups: by name, then a renamed one by its unchanged citation.
    std::vector<int> match(n_.nodes.size(), -1);
    std::vector<bool> used(o_.nodes.size(), false);
    for (size_t i = 0; i < n_.nodes.size(); ++i)
      for (size_t k = 0; k < o_.nodes.size(); ++k)
        if (!used[k] && o_.nodes[k].name == n_.nodes[i].name && o_.nodes[k].is_item == n_.nodes[i].is_item) {
          match[i] = static_cast<int>(k);
          used[k] = true;
          break;
        }
    for (size_t i = 0; i < n_.nodes.size(); ++i) {
      if (match[i] >= 0 || n_.nodes[i].citation.empty()) continue;
      for (size_t k = 0; k < o_.nodes.size(); ++k)
        if (!used[k] && o_.nodes[k].citation == n_.nodes[i].citation && o_.nodes[k].is_item == n_.nodes[i].is_item) {
          match[i] = static_cast<int>(k);
          used[k] = true;
          out_.renamed_nodes[o_.nodes[k].name] = n_.nodes[i].name;
          break;
        }
    }
    auto removed_in = [&](const std::string& category) {
      for (size_t k = 0; k < o_.nodes.size(); ++k)
        if (!used[k] && o_.nodes[k].category->name.text == category) removed_node(o_.nodes[k]);
    };
    for (const auto* c : n_.categories) {
      const auto* old = Book::find(o_.categories, c->name.text);
      std::string label = category_label(*c);
      if (!old) {
        std::string text = tr(Msg::diff_category_added, kind_shown(c->kind), c->name.text);
        if (c->kind != ast::CategoryKind::Veto)
          text += c->cap ? tr(Msg::diff_with_cap, cap_text(c->cap.get())) : std::string(rb::text(Msg::diff_without_cap));
        auto& ch = add(DiffSection::Rules, "added", "category", c->name.text, text);
        ch.new_line = c->span.line;
        if (c->substitution) ch.details.push_back(tr(Msg::diff_substitution, substitution_text(n_, *c->substitution)));
      } else {
        if (old->kind != c->kind) {
          auto& ch = add(DiffSection::Rules, "changed", "category", c->name.text,
                         tr(Msg::diff_category_kind, c->name.text, kind_shown(old->kind), kind_shown(c->kind)));
          ch.aspect = "kind";
          ch.old_value = kind_word(old->kind);
          ch.new_value = kind_word(c->kind);
          ch.old_line = old->span.line;
          ch.new_line = c->span.line;
        }
        cap_change(label, "category", c->name.text, old->cap.get(), c->cap.get(), old->span.line, c->span.line);
        substitution_change(label, "category", c->name.text, old->substitution, c->substitution, old->span.line,
                            c->span.line);
      }
      for (size_t i = 0; i < n_.nodes.size(); ++i)
        if (n_.nodes[i].category == c)
          node_changes(n_.nodes[i], match[i] >= 0 ? &o_.nodes[static_cast<size_t>(match[i])] : nullptr);
      removed_in(c->name.text);
    }
    for (const auto* c : o_.categories) {
      if (Book::find(n_.categories, c->name.text)) continue;
      auto& ch = add(DiffSection::Rules, "removed", "category", c->name.text, tr(Msg::diff_category_removed, category_label(*c)));
      ch.old_line = c->span.line;
      removed_in(c->name.text);
    }
  }

  // ------------------------------------------------------------------ outputs

  void outputs() {
    named_values(o_.outputs, n_.outputs, "output", rb::text(Msg::diff_output));
    named_values(o_.indicators, n_.indicators, "indicator", rb::text(Msg::diff_indicator));
  }

  // 输出 and 指标: added, removed, or a changed formula (an indicator also by its sub-periods).
  template <typename Decl>
  void named_values(const std::vector<const Decl*>& olds, const std::vector<const Decl*>& news, const char* what,
                    const std::string& noun) {
    for (const auto* x : news) {
      const auto* old = Book::find(olds, x->name.text);
      std::string formula = n_.text(*x->value);
      if (!old) {
        auto& c = add(DiffSection::Outputs, "added", what, x->name.text, tr(Msg::diff_value_added, noun, x->name.text, formula));
        c.new_value = formula;
        c.new_line = x->span.line;
        continue;
      }
      auto cmp = compare({o_.masked(*old->value)}, {n_.masked(*x->value)});
      std::string was = o_.text(*old->value);
      if (!cmp.same) {
        auto& c = add(DiffSection::Outputs, "changed", what, x->name.text,
                      noun + " " + x->name.text + ": " + (cmp.values_only ? clauses(cmp.phrases) : was + " → " + formula));
        c.aspect = "formula";
        c.old_value = was;
        c.new_value = formula;
        c.old_line = old->span.line;
        c.new_line = x->span.line;
      }
      if constexpr (std::is_same_v<Decl, ast::Indicator>) {
        std::string op = old->periods ? o_.written(old->periods->span) : "", np = x->periods ? n_.written(x->periods->span) : "";
        if (op != np) periods_changed(DiffSection::Outputs, what, x->name.text, noun + " " + x->name.text, op, np,
                                      old->span.line, x->span.line);
      }
    }
    for (const auto* x : olds) {
      if (Book::find(news, x->name.text)) continue;
      auto& c = add(DiffSection::Outputs, "removed", what, x->name.text,
                    tr(Msg::diff_value_removed, noun, x->name.text, o_.text(*x->value)));
      c.old_value = o_.text(*x->value);
      c.old_line = x->span.line;
    }
  }

  void periods_changed(DiffSection section, const std::string& what, const std::string& name, const std::string& label,
                       const std::string& was, const std::string& now, uint32_t old_line, uint32_t new_line) {
    std::string text = was.empty()   ? tr(Msg::diff_periods_added, now)
                       : now.empty() ? tr(Msg::diff_periods_removed, was)
                                     : was + " → " + now;
    auto& c = add(section, "changed", what, name, label + ": " + text);
    c.aspect = "periods";
    c.old_value = was;
    c.new_value = now;
    c.old_line = old_line;
    c.new_line = new_line;
  }

  // 不参与考核, 等级, 设立 and 撤销, compared as written.
  void whole_declarations() {
    auto find = [](const Book& b, const std::string& key) -> const ast::Span* {
      for (const auto& [k, span] : b.whole)
        if (k == key) return &span;
      return nullptr;
    };
    for (const auto& [key, span] : n_.whole) {
      const ast::Span* old = find(o_, key);
      std::string now = n_.written(span);
      if (!old) {
        auto& c = add(DiffSection::Header, "added", "declaration", key, tr(Msg::diff_added, now));
        c.new_value = now;
        c.new_line = span.line;
        continue;
      }
      std::string was = o_.written(*old);
      if (was == now) continue;
      auto& c = add(DiffSection::Header, "changed", "declaration", key, was + " → " + now);
      c.old_value = was;
      c.new_value = now;
      c.old_line = old->line;
      c.new_line = span.line;
    }
    for (const auto& [key, span] : o_.whole) {
      if (find(n_, key)) continue;
      auto& c = add(DiffSection::Header, "removed", "declaration", key, tr(Msg::diff_removed, o_.written(span)));
      c.old_value = o_.written(span);
      c.old_line = span.line;
    }
  }

  const Book& o_;
  const Book& n_;
  RulebookDiff& out_;
};

}  // namespace

const char* section_title(DiffSection s) {
  switch (s) {
    case DiffSection::Header: return rb::text(Msg::diff_section_header);
    case DiffSection::Params: return rb::text(Msg::diff_section_params);
    case DiffSection::Units: return rb::text(Msg::diff_section_units);
    case DiffSection::Registries: return rb::text(Msg::diff_section_registries);
    case DiffSection::Events: return rb::text(Msg::diff_section_events);
    case DiffSection::Rules: return rb::text(Msg::diff_section_rules);
    case DiffSection::Outputs: return rb::text(Msg::diff_section_outputs);
  }
  return "";
}

const char* section_key(DiffSection s) {
  switch (s) {
    case DiffSection::Header: return "header";
    case DiffSection::Params: return "params";
    case DiffSection::Units: return "units";
    case DiffSection::Registries: return "registries";
    case DiffSection::Events: return "events";
    case DiffSection::Rules: return "rules";
    case DiffSection::Outputs: return "outputs";
  }
  return "";
}

RulebookDiff diff_rulebooks(const ast::Rulebook& old_book, const ast::Rulebook& new_book, const Program* old_program,
                            const Program* new_program) {
  Book o(old_book, old_program), n(new_book, new_program);
  RulebookDiff diff;
  diff.old_path = old_book.path;
  diff.new_path = new_book.path;
  diff.old_title = o.title ? o.title->text : old_book.path;
  diff.new_title = n.title ? n.title->text : new_book.path;
  diff.old_period = o.period_text();
  diff.new_period = n.period_text();
  Differ(o, n, diff).run();
  return diff;
}

// ======================================================================== impact

namespace {

// The scoring shape of a program: for every item, group and category its kind, parent and
// the sign with which it acts on the score (-1 deduction, +1 bonus, 0 veto).
struct NodeMeta {
  std::string kind;  // item, group, category
  std::string parent;
  int sign = 0;
  size_t order = 0;
};

struct Shape {
  std::map<std::string, NodeMeta> nodes;
  std::vector<std::string> order;  // items and groups in rulebook order, then categories
};

Shape shape_of(const Program& p) {
  Shape s;
  std::vector<std::string> categories;
  for (size_t i = 0; i < p.nodes.size(); ++i) {
    const NodeDef& n = p.nodes[i];
    if (n.kind != NodeKind::Item && n.kind != NodeKind::Group && n.kind != NodeKind::Category) continue;
    NodeMeta m;
    m.kind = n.kind == NodeKind::Item ? "item" : n.kind == NodeKind::Group ? "group" : "category";
    m.parent = n.parent >= 0 ? p.nodes[static_cast<size_t>(n.parent)].name : "";
    const NodeDef* top = &n;
    for (int guard = 0; top->parent >= 0 && guard < 10000; ++guard) top = &p.nodes[static_cast<size_t>(top->parent)];
    m.sign = top->role == CategoryRole::Deduction ? -1 : top->role == CategoryRole::Bonus ? 1 : 0;
    m.order = i;
    s.nodes[n.name] = m;
    if (n.kind == NodeKind::Category) categories.push_back(n.name);
    else s.order.push_back(n.name);
  }
  s.order.insert(s.order.end(), categories.begin(), categories.end());
  return s;
}

std::map<std::string, Rational> values_of(const Result& r, const UnitResult& u) {
  std::map<std::string, Rational> v;
  for (size_t i = 0; i < u.items.size(); ++i) v[r.items[i].name] = u.items[i].value;
  for (size_t i = 0; i < u.categories.size(); ++i) v[r.category_names[i]] = u.categories[i];
  return v;
}

Rational abs_value(Rational r) { return r < Rational(0) ? -r : r; }

// "旧规则" or "新规则" in the notes.
const char* rulebook_word(bool old_side) { return rb::text(old_side ? Msg::diff_old_rulebook : Msg::diff_new_rulebook); }

class UnitComparer {
 public:
  UnitComparer(const Program& op, const Program& np, const RulebookDiff* diff)
      : op_(op), np_(np), os_(shape_of(op)), ns_(shape_of(np)) {
    if (diff)
      for (const auto& [from, to] : diff->renamed_nodes) to_old_[to] = from;
  }

  UnitImpact compare(const Result& old_result, const UnitResult& o, const Result& new_result, const UnitResult& n) const {
    UnitImpact u;
    u.unit = n.unit;
    if (o.unit != n.unit) u.old_unit = o.unit;
    u.old_score = o.score;
    u.new_score = n.score;
    u.old_vetoed = o.vetoed;
    u.new_vetoed = n.vetoed;
    auto ov = values_of(old_result, o), nv = values_of(new_result, n);
    auto value = [](const Shape& s, const std::map<std::string, Rational>& v, const std::string& name) {
      auto m = s.nodes.find(name);
      auto x = v.find(name);
      if (m == s.nodes.end() || x == v.end()) return Rational(0);
      return Rational(m->second.sign) * x->second;
    };
    auto children = [&](const Shape& s, const std::map<std::string, Rational>& v, const std::string& parent) {
      Rational sum = 0;
      for (const auto& [name, m] : s.nodes)
        if (m.parent == parent && m.sign != 0) sum = sum + value(s, v, name);
      return sum;
    };
    auto push = [&](std::string kind, std::string name, std::string old_name, Rational before, Rational after,
                    Rational effect, bool in_old, bool in_new) {
      if (effect.is_zero()) return;
      ImpactMove m;
      m.kind = std::move(kind);
      m.name = std::move(name);
      if (old_name != m.name) m.old_name = std::move(old_name);
      m.old_value = before;
      m.new_value = after;
      m.effect = effect;
      m.in_old = in_old;
      m.in_new = in_new;
      u.moves.push_back(std::move(m));
    };
    std::set<std::string> seen_old;
    for (const auto& name : ns_.order) {
      const NodeMeta& m = ns_.nodes.at(name);
      if (m.sign == 0) continue;
      std::string old_name = old_name_of(name);
      auto om = os_.nodes.find(old_name);
      bool in_old = om != os_.nodes.end() && om->second.kind == m.kind && om->second.sign != 0;
      if (in_old) seen_old.insert(old_name);
      Rational before = in_old ? value(os_, ov, old_name) : Rational(0);
      Rational after = value(ns_, nv, name);
      if (m.kind == "item") {
        push("item", name, old_name, before, after, after - before, in_old, true);
      } else {
        // What the cap or the substitution added beyond the members' own changes.
        Rational own_after = after - children(ns_, nv, name);
        Rational own_before = in_old ? before - children(os_, ov, old_name) : Rational(0);
        push(m.kind, name, old_name, before, after, own_after - own_before, in_old, true);
      }
    }
    for (const auto& name : os_.order) {
      const NodeMeta& m = os_.nodes.at(name);
      if (m.sign == 0 || seen_old.count(name)) continue;
      Rational before = value(os_, ov, name);
      Rational effect = m.kind == "item" ? -before : -(before - children(os_, ov, name));
      push(m.kind, name, name, before, Rational(0), effect, true, false);
    }
    if (op_.base_score != np_.base_score)
      push("base", "基础分", "基础分", op_.base_score, np_.base_score, np_.base_score - op_.base_score, true, true);
    auto parts = [](const Program& p, const Shape& s, const Result& result, const UnitResult& r,
                    const std::map<std::string, Rational>& v) {
      Rational raw = p.base_score;
      for (size_t c = 0; c < r.categories.size(); ++c) {
        const std::string& name = result.category_names[c];
        auto m = s.nodes.find(name);
        if (m != s.nodes.end()) raw = raw + Rational(m->second.sign) * v.at(name);
      }
      Rational clamped = raw < p.score_low ? p.score_low : raw > p.score_high ? p.score_high : raw;
      return std::make_pair(clamped - raw, r.vetoed ? -clamped : Rational(0));
    };
    auto [old_range, old_veto] = parts(op_, os_, old_result, o, ov);
    auto [new_range, new_veto] = parts(np_, ns_, new_result, n, nv);
    push("range", "得分范围", "得分范围", old_range, new_range, new_range - old_range, true, true);
    size_t before_veto = u.moves.size();
    push("veto", "一票否决", "一票否决", old_veto, new_veto, new_veto - old_veto, true, true);
    if (u.moves.size() > before_veto) {
      auto hits = [](const UnitResult& r) {
        return r.vetoed ? tr(Msg::diff_veto_hit, list_text(r.veto_items)) : std::string(rb::text(Msg::diff_veto_not_hit));
      };
      u.moves.back().detail = o.vetoed && n.vetoed && o.veto_items == n.veto_items ? tr(Msg::diff_veto_still, hits(n))
                                                                                     : hits(o) + " → " + hits(n);
    }
    // A veto first (it decides the score), then the largest effects.
    std::stable_sort(u.moves.begin(), u.moves.end(), [](const ImpactMove& a, const ImpactMove& b) {
      if ((a.kind == "veto") != (b.kind == "veto")) return a.kind == "veto";
      return abs_value(a.effect) > abs_value(b.effect);
    });
    return u;
  }

 private:
  std::string old_name_of(const std::string& name) const {
    auto it = to_old_.find(name);
    return it == to_old_.end() ? name : it->second;
  }

  const Program& op_;
  const Program& np_;
  Shape os_, ns_;
  std::map<std::string, std::string> to_old_;  // renamed items and groups: new name -> old
};

ImpactSide side_of(const Program& p, const Result& r) {
  ImpactSide s;
  s.path = p.source_name;
  s.title = r.title;
  s.period_from = r.period_from;
  s.period_to = r.period_to;
  s.summary = r.summary;
  return s;
}

}  // namespace

Impact compare_results(const Program& old_program, const Result& old_result, const Program& new_program,
                       const Result& new_result, const RulebookDiff* diff) {
  Impact im;
  im.inputs = new_result.inputs.empty() ? old_result.inputs : new_result.inputs;
  im.old_side = side_of(old_program, old_result);
  im.new_side = side_of(new_program, new_result);
  im.records = std::max(old_result.summary.records, new_result.summary.records);
  std::map<std::string, size_t> old_index;
  for (size_t i = 0; i < old_result.units.size(); ++i) old_index[old_result.units[i].unit] = i;
  std::vector<bool> used(old_result.units.size(), false);
  UnitComparer comparer(old_program, new_program, diff);
  for (const auto& nu : new_result.units) {
    std::optional<size_t> match;
    auto take = [&](const std::string& name) {
      auto it = old_index.find(name);
      if (!match && it != old_index.end() && !used[it->second]) match = it->second;
    };
    take(nu.unit);
    // An old unit whose name the new rulebook keeps as an alias of this unit (a rename).
    for (const auto& [alias, index] : new_program.aliases)
      if (new_program.units.at(index) == nu.unit) take(alias);
    // The new unit's name was an alias in the old rulebook.
    for (const auto& [alias, index] : old_program.aliases)
      if (alias == nu.unit) take(old_program.units.at(index));
    if (!match) {
      im.only_new.emplace_back(nu.unit, nu.score);
      continue;
    }
    used[*match] = true;
    im.units.push_back(comparer.compare(old_result, old_result.units[*match], new_result, nu));
  }
  for (size_t i = 0; i < old_result.units.size(); ++i)
    if (!used[i]) im.only_old.emplace_back(old_result.units[i].unit, old_result.units[i].score);
  std::stable_sort(im.units.begin(), im.units.end(), [](const UnitImpact& a, const UnitImpact& b) {
    return abs_value(a.change()) > abs_value(b.change());
  });
  for (const auto* side : {&im.old_side, &im.new_side}) {
    const char* which = rulebook_word(side == &im.old_side);
    if (side->summary.out_of_period > 0)
      im.notes.push_back(
          tr(Msg::diff_note_outside, which, side->period_from, side->period_to, side->summary.out_of_period));
  }
  size_t notes_before = im.notes.size();
  // One rulebook scores far fewer of the records than the other (most are outside its
  // period): the comparison then measures the change of year, not of the clauses.
  for (const auto* side : {&im.old_side, &im.new_side}) {
    const ImpactSide& other = side == &im.old_side ? im.new_side : im.old_side;
    if (side->summary.in_period * 2 < other.summary.in_period)
      im.notes.push_back(tr(Msg::diff_note_other_year, rulebook_word(side == &im.old_side)));
  }
  bool warned = im.notes.size() > notes_before;
  if (!warned && (im.old_side.period_from != im.new_side.period_from || im.old_side.period_to != im.new_side.period_to))
    im.notes.push_back(tr(Msg::diff_note_periods, im.old_side.summary.in_period, im.new_side.summary.in_period));
  return im;
}

ImpactRun run_impact(const Program& old_program, const Program& new_program, const std::vector<std::string>& files,
                     const RulebookDiff* diff) {
  struct Side {
    std::optional<Result> result;
    std::vector<std::string> problems;
    std::map<std::string, uint64_t> unknown_types, unknown_units;
  };
  auto score = [&](const Program& self, const Program& other) {
    Side side;
    ReadOptions options;
    options.skip_bad = true;  // records only the other rulebook knows are left out, not fatal
    options.max_errors = std::numeric_limits<size_t>::max();
    Session session(self, options);
    bool io_ok = true;
    try {
      io_ok = session.read(files);
    } catch (const RunError& e) {
      side.problems.push_back(run_error_message(self, e));
      return side;
    }
    for (const auto& e : session.reader().errors()) {
      if (!e.unknown_type.empty()) {
        bool known = std::any_of(other.events.begin(), other.events.end(),
                                 [&](const EventTypeDef& d) { return d.name == e.unknown_type; });
        if (known) {
          ++side.unknown_types[e.unknown_type];
          continue;
        }
      }
      if (!e.unknown_unit.empty()) {
        const std::string& unit = e.unknown_unit;
        bool known = std::find(other.units.begin(), other.units.end(), unit) != other.units.end() ||
                     std::any_of(other.aliases.begin(), other.aliases.end(), [&](const auto& a) { return a.first == unit; });
        if (known) {
          ++side.unknown_units[unit];
          continue;
        }
      }
      side.problems.push_back(to_string(e));
    }
    if (!io_ok && side.problems.empty()) side.problems.push_back(fmt::format("{}: {}", text(Msg::severity_error), text(Msg::diff_cannot_read_input)));
    if (!side.problems.empty()) return side;
    try {
      side.result = session.finish();
    } catch (const RunError& e) {
      side.problems.push_back(run_error_message(self, e));
    }
    return side;
  };
  Side o = score(old_program, new_program);
  Side n = score(new_program, old_program);
  ImpactRun run;
  std::set<std::string> in_old(o.problems.begin(), o.problems.end()), in_new(n.problems.begin(), n.problems.end());
  for (const auto& p : o.problems)
    run.problems.push_back(in_new.count(p) ? p : p + tr(Msg::diff_only_old_rules, old_program.source_name));
  for (const auto& p : n.problems)
    if (!in_old.count(p)) run.problems.push_back(p + tr(Msg::diff_only_new_rules, new_program.source_name));
  run.problem_count = run.problems.size();
  if (!run.problems.empty() || !o.result || !n.result) return run;
  run.impact = compare_results(old_program, *o.result, new_program, *n.result, diff);
  run.impact.inputs = files;
  run.impact.old_side.unknown_types = o.unknown_types;
  run.impact.old_side.unknown_units = o.unknown_units;
  run.impact.new_side.unknown_types = n.unknown_types;
  run.impact.new_side.unknown_units = n.unknown_units;
  for (const auto* side : {&run.impact.old_side, &run.impact.new_side}) {
    bool old_side = side == &run.impact.old_side;
    const char* self = rulebook_word(old_side);
    const char* other = rulebook_word(!old_side);
    for (const auto& [type, count] : side->unknown_types)
      run.impact.notes.push_back(tr(Msg::diff_note_unknown_type, self, type, count, other));
    for (const auto& [unit, count] : side->unknown_units)
      run.impact.notes.push_back(tr(Msg::diff_note_unknown_unit, self, unit, count, other));
  }
  run.ok = true;
  return run;
}

// ======================================================================== output

namespace {

bool wide(char32_t cp) {
  return (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) || (cp >= 0xAC00 && cp <= 0xD7A3) ||
         (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
         (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x20000 && cp <= 0x3FFFD);
}

size_t width(const std::string& s) {
  size_t w = 0;
  for (size_t i = 0; i < s.size();) w += wide(next_code_point(s, i)) ? 2 : 1;
  return w;
}

std::string pad(const std::string& s, size_t w, bool right = false) {
  std::string fill(width(s) < w ? w - width(s) : 0, ' ');
  return right ? fill + s : s + fill;
}

const char* kNumerals[] = {"一", "二", "三", "四", "五", "六", "七", "八", "九", "十"};

// A section's number: 一、二、… in Chinese, 1. 2. … in English.
std::string numeral(size_t i) { return i < 10 && language() == Lang::Zh ? kNumerals[i] : std::to_string(i + 1); }

std::string heading(size_t section, const std::string& title) { return tr(Msg::diff_section_heading, numeral(section), title) + "\n"; }

// 85.5, -3, +2.25: the signed value, rounded to 2 decimals.
std::string signed_value(Rational v) {
  std::string s = format_decimal(v);
  if (v > Rational(0) && s != "0") return "+" + s;
  return s;
}

std::string move_text(const ImpactMove& m) {
  if (m.kind == "veto") return tr(Msg::diff_move_veto, m.detail);
  if (m.kind == "base") return tr(Msg::diff_move_base, format_decimal(m.old_value), format_decimal(m.new_value));
  if (m.kind == "range") return tr(Msg::diff_move_range, signed_value(m.old_value), signed_value(m.new_value));
  std::string name = m.name;
  if (!m.old_name.empty()) name += tr(Msg::diff_was_name, m.old_name);
  if (m.kind == "group") name += rb::text(Msg::diff_move_group);
  if (m.kind == "category") name += rb::text(Msg::diff_move_category);
  if (!m.in_old) name += rb::text(Msg::diff_move_new);
  if (!m.in_new) name += rb::text(Msg::diff_move_gone);
  return name + " " + signed_value(m.old_value) + " → " + signed_value(m.new_value);
}

std::vector<DiffSection> all_sections() {
  return {DiffSection::Header, DiffSection::Params,  DiffSection::Units,  DiffSection::Registries,
          DiffSection::Events, DiffSection::Rules,   DiffSection::Outputs};
}

std::string side_counts(const ImpactSide& s) {
  std::string text = tr(Msg::diff_side_counts, s.summary.in_period, s.summary.out_of_period);
  uint64_t skipped = 0;
  for (const auto& [_, n] : s.unknown_types) skipped += n;
  for (const auto& [_, n] : s.unknown_units) skipped += n;
  if (skipped) text += tr(Msg::diff_side_unreadable, skipped);
  return text;
}

void impact_text(const Impact& im, size_t section, std::string& out) {
  out += heading(section, rb::text(Msg::diff_impact_title));
  out += tr(Msg::diff_impact_records, list_text(im.inputs), im.records) + "\n";
  out += tr(Msg::diff_impact_old, im.old_side.period_from, im.old_side.period_to, side_counts(im.old_side)) + "\n";
  out += tr(Msg::diff_impact_new, im.new_side.period_from, im.new_side.period_to, side_counts(im.new_side)) + "\n";
  for (const auto& n : im.notes) out += tr(Msg::diff_note, n) + "\n";
  out += "\n";
  std::vector<const UnitImpact*> moved, still;
  for (const auto& u : im.units) (u.change().is_zero() && u.moves.empty() ? still : moved).push_back(&u);
  if (!moved.empty()) {
    auto unit_name = [](const UnitImpact& u) { return u.old_unit.empty() ? u.unit : u.unit + tr(Msg::diff_was_name, u.old_unit); };
    const std::string unit_column = rb::text(Msg::diff_col_unit), moves_column = rb::text(Msg::diff_col_moves);
    size_t w = width(unit_column);
    for (const auto* u : moved) w = std::max(w, width(unit_name(*u)));
    auto score = [](Rational v, bool vetoed) { return format_decimal(v) + (vetoed ? "*" : ""); };
    out += "  " + pad(unit_column, w) + "  " + pad(rb::text(Msg::diff_col_old), 7, true) + "  " +
           pad(rb::text(Msg::diff_col_new), 7, true) + "  " + pad(rb::text(Msg::diff_col_change), 7, true) + "  " +
           moves_column + "\n";
    out += "  " + std::string(w + 2 + 7 + 2 + 7 + 2 + 7 + 2 + width(moves_column), '-') + "\n";
    bool any_veto = false;
    for (const auto* u : moved) {
      any_veto = any_veto || u->old_vetoed || u->new_vetoed;
      std::vector<std::string> parts;
      for (size_t i = 0; i < u->moves.size() && i < 3; ++i) parts.push_back(move_text(u->moves[i]));
      if (u->moves.size() > 3) parts.push_back(tr(Msg::diff_more_moves, u->moves.size()));
      out += "  " + pad(unit_name(*u), w) + "  " + pad(score(u->old_score, u->old_vetoed), 7, true) + "  " +
             pad(score(u->new_score, u->new_vetoed), 7, true) + "  " + pad(signed_value(u->change()), 7, true) + "  " +
             clauses(parts) + "\n";
    }
    if (any_veto) out += std::string(rb::text(Msg::diff_vetoed_mark)) + "\n";
  }
  if (!still.empty()) {
    std::vector<std::string> names;
    for (const auto* u : still) names.push_back(u->unit + " " + format_decimal(u->new_score));
    out += tr(Msg::diff_unchanged_units, still.size(), list_text(names)) + "\n";
  }
  auto listed = [](const std::vector<std::pair<std::string, Rational>>& units) {
    std::vector<std::string> parts;
    for (const auto& [unit, score] : units) parts.push_back(tr(Msg::diff_unit_score, unit, format_decimal(score)));
    return list_text(parts);
  };
  if (!im.only_old.empty()) out += tr(Msg::diff_only_old_units, listed(im.only_old)) + "\n";
  if (!im.only_new.empty()) out += tr(Msg::diff_only_new_units, listed(im.only_new)) + "\n";
}

using ordered_json = nlohmann::ordered_json;

// The two dates of a period written "2022-01-01 至 2022-12-31"; none when it is not.
std::optional<std::pair<std::string, std::string>> period_dates(const std::string& text) {
  size_t at = text.find(" 至 ");
  if (at == std::string::npos) return std::nullopt;
  return std::make_pair(text.substr(0, at), text.substr(at + std::string(" 至 ").size()));
}

std::string period_shown(const std::string& text) {
  auto dates = period_dates(text);
  return dates ? tr(Msg::diff_from_to, dates->first, dates->second) : text;
}

ordered_json period_json(const std::string& text) {
  ordered_json p = ordered_json::object();
  if (auto dates = period_dates(text)) {
    p["from"] = dates->first;
    p["to"] = dates->second;
  }
  return p;
}

ordered_json side_json(const ImpactSide& s) {
  ordered_json j;
  j["rulebook"] = s.path;
  j["title"] = s.title;
  j["period"] = {{"from", s.period_from}, {"to", s.period_to}};
  j["scored"] = s.summary.in_period;
  j["outside_period"] = s.summary.out_of_period;
  j["unknown_event_types"] = s.unknown_types;
  j["unknown_units"] = s.unknown_units;
  return j;
}

}  // namespace

std::string format_diff_text(const RulebookDiff& diff, const Impact* impact) {
  std::string out = std::string(rb::text(Msg::diff_title_line)) + "\n";
  out += tr(Msg::diff_old_line, diff.old_path, diff.old_title, period_shown(diff.old_period)) + "\n";
  out += tr(Msg::diff_new_line, diff.new_path, diff.new_title, period_shown(diff.new_period)) + "\n";
  size_t section = 0;
  for (DiffSection s : all_sections()) {
    std::vector<const Change*> here;
    for (const auto& c : diff.changes)
      if (c.section == s) here.push_back(&c);
    if (here.empty()) continue;
    out += "\n" + heading(section++, section_title(s));
    for (const auto* c : here) {
      out += "  - " + c->text + "\n";
      for (const auto& d : c->details) out += "      " + d + "\n";
    }
  }
  out += "\n" + (diff.changes.empty()
                     ? std::string(rb::text(Msg::diff_no_changes))
                     : tr(diff.changes.size() == 1 ? Msg::diff_change_count_one : Msg::diff_change_count_many,
                          diff.changes.size())) +
         "\n";
  if (impact) {
    out += "\n";
    impact_text(*impact, section, out);
  }
  return out;
}

std::string format_diff_json(const RulebookDiff& diff, const Impact* impact) {
  ordered_json j;
  j["old"] = {{"rulebook", diff.old_path}, {"title", diff.old_title}, {"period", period_json(diff.old_period)}};
  j["new"] = {{"rulebook", diff.new_path}, {"title", diff.new_title}, {"period", period_json(diff.new_period)}};
  ordered_json changes = ordered_json::array();
  for (const auto& c : diff.changes) {
    ordered_json x;
    x["section"] = section_key(c.section);
    x["kind"] = c.kind;
    x["what"] = c.what;
    x["name"] = c.name;
    if (!c.old_name.empty()) x["old_name"] = c.old_name;
    if (!c.aspect.empty()) x["aspect"] = c.aspect;
    if (!c.old_value.empty()) x["old"] = c.old_value;
    if (!c.new_value.empty()) x["new"] = c.new_value;
    x["text"] = c.text;
    if (!c.details.empty()) x["details"] = c.details;
    if (c.old_line) x["old_line"] = c.old_line;
    if (c.new_line) x["new_line"] = c.new_line;
    changes.push_back(std::move(x));
  }
  j["changes"] = std::move(changes);
  if (!diff.renamed_units.empty()) j["renamed_units"] = diff.renamed_units;
  if (!diff.renamed_nodes.empty()) j["renamed_items"] = diff.renamed_nodes;
  if (impact) {
    ordered_json im;
    im["inputs"] = impact->inputs;
    im["records"] = impact->records;
    im["old"] = side_json(impact->old_side);
    im["new"] = side_json(impact->new_side);
    im["notes"] = impact->notes;
    ordered_json units = ordered_json::array();
    for (const auto& u : impact->units) {
      ordered_json x;
      x["unit"] = u.unit;
      if (!u.old_unit.empty()) x["old_unit"] = u.old_unit;
      x["old_score"] = to_double_rounded(u.old_score);
      x["new_score"] = to_double_rounded(u.new_score);
      x["change"] = to_double_rounded(u.change());
      x["old_vetoed"] = u.old_vetoed;
      x["new_vetoed"] = u.new_vetoed;
      ordered_json moves = ordered_json::array();
      for (const auto& m : u.moves) {
        ordered_json y;
        y["kind"] = m.kind;
        y["name"] = m.name;
        if (!m.old_name.empty()) y["old_name"] = m.old_name;
        y["old"] = to_double_rounded(m.old_value);
        y["new"] = to_double_rounded(m.new_value);
        y["effect"] = to_double_rounded(m.effect);
        if (!m.in_old) y["in_old"] = false;
        if (!m.in_new) y["in_new"] = false;
        if (!m.detail.empty()) y["detail"] = m.detail;
        y["text"] = move_text(m);
        moves.push_back(std::move(y));
      }
      x["moves"] = std::move(moves);
      units.push_back(std::move(x));
    }
    im["units"] = std::move(units);
    auto listed = [](const std::vector<std::pair<std::string, Rational>>& list) {
      ordered_json a = ordered_json::array();
      for (const auto& [unit, score] : list) a.push_back({{"unit", unit}, {"score", to_double_rounded(score)}});
      return a;
    };
    im["only_old"] = listed(impact->only_old);
    im["only_new"] = listed(impact->only_new);
    j["impact"] = std::move(im);
  }
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace rb
