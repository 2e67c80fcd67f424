// Lowering of the scoring rules to bytecode. Each aggregate (每条, 每个不同, 取最高, 间隔,
// 连续, ...) becomes an accumulator plus a handler fragment for the event types it reads;
// items, groups and categories become per-unit code that reads finished accumulators;
// rankings and substitutions become cross-unit steps between blocks of per-unit code.
#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "runtime/messages.hpp"
#include "runtime/rbc_file.hpp"
#include "state.hpp"

namespace rb {

namespace {

using ast::Expr;

// Rulebook line of a span (bytecode remembers lines, not columns).
uint32_t line(const ast::Span& s) { return s.line; }

NodeDef named_node(std::string name, NodeKind kind) {
  NodeDef n;
  n.name = std::move(name);
  n.kind = kind;
  return n;
}

class Lowering {
 public:
  explicit Lowering(CompilerState& s) : s_(s) {}

  void run() {
    // Every named value gets its node first, so any rule may use any other in either order;
    // lay_out() then orders the work by what each rule reads.
    for (const auto& d : s_.rulebook.declarations)
      if (auto* c = std::get_if<ast::Category>(&d)) declare_category(*c);
    declare_score();
    for (const auto& d : s_.rulebook.declarations) {
      if (auto* o = std::get_if<ast::Output>(&d)) declare_value(o, o->name, NodeKind::Output, {}, o->span);
      if (auto* i = std::get_if<ast::Indicator>(&d)) declare_value(i, i->name, NodeKind::Indicator, i->citation, i->span);
    }
    for (const auto& d : s_.rulebook.declarations)
      if (auto* c = std::get_if<ast::Category>(&d)) category(*c);
    score();
    for (const auto& d : s_.rulebook.declarations) {
      if (auto* o = std::get_if<ast::Output>(&d)) output(*o);
      if (auto* i = std::get_if<ast::Indicator>(&d)) indicator(*i);
      if (auto* n = std::get_if<ast::NotAssessed>(&d)) not_assessed(*n);
      if (auto* g = std::get_if<ast::Grades>(&d)) grades(*g);
    }
  }

 private:
  // ------------------------------------------------------------ declaring the nodes

  std::optional<uint32_t> declare_node(const void* decl, const ast::Name& name, NodeDef def) {
    if (!declare(name)) return std::nullopt;
    uint32_t n = s_.add_node(std::move(def));
    s_.node_index[name.text] = n;
    node_of_[decl] = n;
    return n;
  }

  void declare_value(const void* decl, const ast::Name& name, NodeKind kind, const std::string& citation, ast::Span span) {
    NodeDef def = named_node(name.text, kind);
    def.citation = citation;
    def.source_line = line(span);
    declare_node(decl, name, std::move(def));
  }

  static CategoryRole role_of(ast::CategoryKind k) {
    switch (k) {
      case ast::CategoryKind::Veto: return CategoryRole::Veto;
      case ast::CategoryKind::Deduction: return CategoryRole::Deduction;
      case ast::CategoryKind::Bonus: return CategoryRole::Bonus;
      case ast::CategoryKind::Points: return CategoryRole::Points;
    }
    return CategoryRole::None;
  }

  void declare_category(const ast::Category& c) {
    CategoryRole role = role_of(c.kind);
    NodeDef def;
    def.name = c.name.text;
    def.kind = role == CategoryRole::Veto ? NodeKind::Veto : NodeKind::Category;
    def.role = role;
    def.source_line = line(c.span);
    if (auto n = declare_node(&c, c.name, std::move(def))) declare_members(c.members, *n);
  }

  void declare_members(const std::vector<ast::Member>& ms, uint32_t parent) {
    for (const auto& m : ms) {
      if (auto* it = std::get_if<ast::Item>(&m)) {
        NodeDef def;
        def.name = it->name.text;
        def.kind = NodeKind::Item;
        def.citation = it->citation;
        def.parent = static_cast<int32_t>(parent);
        def.source_line = line(it->span);
        if (it->only)
          if (auto set = s_.unit_set_index.find(it->only->text); set != s_.unit_set_index.end())
            def.only = static_cast<int32_t>(set->second);
        declare_node(it, it->name, std::move(def));
      } else {
        const auto& g = *std::get<std::unique_ptr<ast::Group>>(m);
        NodeDef def;
        def.name = g.name.text;
        def.kind = NodeKind::Group;
        def.citation = g.citation;
        def.parent = static_cast<int32_t>(parent);
        def.source_line = line(g.span);
        if (auto n = declare_node(&g, g.name, std::move(def))) declare_members(g.members, *n);
      }
    }
  }

  void declare_score() {
    clamped_node_ = s_.add_node(named_node("得分(否决前)", NodeKind::Hidden));
    s_.program.vetoed_node = s_.add_node(named_node("否决", NodeKind::Vetoed));
    s_.program.score_node = s_.add_node(named_node("得分", NodeKind::Score));
    s_.node_index["得分"] = s_.program.score_node;
  }

  std::optional<uint32_t> node_of(const void* decl) const {
    auto it = node_of_.find(decl);
    if (it == node_of_.end()) return std::nullopt;
    return it->second;
  }

  // Queues per-unit code as one task of phase 2, named after the rule it belongs to.
  void push_code(Fragment f, PeriodKind period = PeriodKind::None) {
    Task t;
    t.code = std::move(f);
    t.label = current_item_;
    t.span = current_item_span_;
    t.period = period;
    s_.tasks.push_back(std::move(t));
  }

  // Inside a rule scored per sub-period, accumulators are kept per sub-period and read with
  // the periodic instructions; these say which.
  Op add_op(Op plain) const {
    if (period_ == PeriodKind::None) return plain;
    return plain == Op::ACC_ADD ? Op::ACC_ADD_P : plain == Op::ACC_KEY_ADD ? Op::ACC_KEY_ADD_P : Op::ACC_KEY_MAX_P;
  }
  Op read_op() const { return period_ == PeriodKind::None ? Op::ACC : Op::PERIOD_ACC; }
  uint32_t add_periodic_accumulator(AccumulatorDef acc) {
    acc.period = period_;
    return s_.add_accumulator(std::move(acc));
  }
  // Constructs that compare units or dates across the whole period are not scored per
  // sub-period.
  bool not_per_period(ast::Span span, Msg what) {
    if (period_ == PeriodKind::None) return false;
    s_.error(span, tr(Msg::low_not_per_period, text(what)), tr(Msg::low_not_per_period_hint));
    return true;
  }

  void push_step(Step step) {
    Task t;
    t.is_code = false;
    t.step = std::move(step);
    t.label = current_item_;
    t.span = current_item_span_;
    s_.tasks.push_back(std::move(t));
  }

  uint32_t hidden_node(std::string name, uint32_t ln) {
    NodeDef d = named_node(std::move(name), NodeKind::Hidden);
    d.source_line = ln;
    return s_.add_node(d);
  }

  // ------------------------------------------------------------ streams

  std::optional<ResolvedStream> resolve(const ast::StreamRef& ref, int depth = 0) {
    if (depth > 16) {
      s_.error(ref.span, tr(Msg::low_stream_loop));
      return std::nullopt;
    }
    ResolvedStream rs;
    if (auto e = s_.event_index.find(ref.base.text); e != s_.event_index.end()) {
      rs.type = e->second;
      // Explanations name the records as people know them (上年度第三方评估), not by code.
      const auto& type = s_.program.events[e->second];
      rs.description = type.display.empty() ? ref.base.text : type.display;
    } else if (auto n = s_.streams.find(ref.base.text); n != s_.streams.end()) {
      auto inner = resolve(n->second->stream, depth + 1);
      if (!inner) return std::nullopt;
      rs = *inner;
      rs.description = ref.base.text;
    } else {
      std::vector<std::string> names = CompilerState::keys(s_.event_index);
      for (const auto& [k, v] : s_.streams) names.push_back(k);
      s_.error(ref.base.span, tr(Msg::low_unknown_stream, ref.base.text),
               s_.suggest(ref.base.text, names));
      return std::nullopt;
    }
    for (const auto& f : ref.filters) rs.filters.push_back(f.get());
    if (ref.exclusion) {
      if (rs.exclusion) {
        s_.error(ref.exclusion->span, tr(Msg::low_second_exclusion));
        return std::nullopt;
      }
      rs.exclusion = &*ref.exclusion;
      auto slot = field_slot(rs.type, ref.exclusion->field);
      if (!slot) return std::nullopt;
      rs.exclusion_slot = *slot;
      const auto* other_stream = find_stream_ref(ref.exclusion->other);
      if (!other_stream && !s_.event_index.count(ref.exclusion->other.text)) {
        std::vector<std::string> names = CompilerState::keys(s_.event_index);
        s_.error(ref.exclusion->other.span, tr(Msg::low_unknown_stream, ref.exclusion->other.text),
                 s_.suggest(ref.exclusion->other.text, names));
        return std::nullopt;
      }
    }
    return rs;
  }

  const ast::StreamRef* find_stream_ref(const ast::Name& n) {
    auto it = s_.streams.find(n.text);
    return it == s_.streams.end() ? nullptr : &it->second->stream;
  }

  // A field's display name where the rulebook gives one, else its name.
  static std::string shown_field(const EventTypeDef& type, const std::string& name) {
    for (const auto& field : type.fields)
      if (field.name == name) return field.display.empty() ? name : field.display;
    return name;
  }

  std::optional<int32_t> field_slot(uint32_t type, const ast::Name& field) {
    const auto& def = s_.program.events[type];
    for (size_t i = 0; i < def.fields.size(); ++i)
      if (def.fields[i].name == field.text) return static_cast<int32_t>(i);
    std::vector<std::string> names;
    for (const auto& f : def.fields) names.push_back(f.name);
    s_.error(field.span, tr(Msg::no_such_field, def.name, field.text), s_.suggest(field.text, names));
    return std::nullopt;
  }

  // A field usable as a key (distinct values, take-highest, exclusions): texts, enum
  // members, units, dates and table keys are whole numbers in a record.
  std::optional<int32_t> key_slot(uint32_t type, const ast::Name& field) {
    auto slot = field_slot(type, field);
    if (slot && s_.program.events[type].fields[static_cast<size_t>(*slot)].kind == FieldKind::Number) {
      s_.error(field.span, tr(Msg::low_number_key, field.text));
      return std::nullopt;
    }
    return slot;
  }

  // The key set of the excluding stream's field values, shared by every user.
  uint32_t exclusion_set(const ResolvedStream& rs) {
    const ast::Exclusion& ex = *rs.exclusion;
    std::string key = ex.other.text + "|" + ex.field.text;
    if (auto it = s_.keyset_index.find(key); it != s_.keyset_index.end()) return it->second;
    ast::StreamRef synthetic;
    const ast::StreamRef* other = find_stream_ref(ex.other);
    std::optional<ResolvedStream> ors;
    if (other) {
      ors = resolve(*other);
    } else {
      ResolvedStream r;
      r.type = s_.event_index.at(ex.other.text);
      r.description = ex.other.text;
      ors = r;
    }
    AccumulatorDef acc;
    acc.kind = AccKind::KeySet;
    // Display names where the rulebook gives them: the excluding event type's and its key's.
    std::string field_name = ex.field.text, other_name = ex.other.text;
    if (auto e = s_.event_index.find(ex.other.text); e != s_.event_index.end()) {
      const EventTypeDef& type = s_.program.events[e->second];
      if (!type.display.empty()) other_name = type.display;
      field_name = shown_field(type, ex.field.text);
    }
    acc.description = tr_both(Msg::desc_keys_of, field_name, other_name);
    uint32_t a = s_.add_accumulator(acc);
    s_.keyset_index[key] = a;
    if (!ors) return a;
    auto slot = key_slot(ors->type, ex.field);
    if (!slot) return a;
    Fragment f;
    std::vector<size_t> skips;
    DateBounds none;
    guards(*ors, none, f, skips, line(ex.span));
    s_.type_used[ors->type] = true;
    f.emit(Op::ACC_KEY_MARK, a, static_cast<uint32_t>(*slot), line(ex.span));
    for (size_t p : skips) f.patch(p);
    s_.handlers[ors->type].push_back(std::move(f));
    return a;
  }

  // Emits the checks that a record belongs to the stream; each failing check jumps past
  // the accumulator update (the jumps are patched by the caller).
  // A jump taken when a record falls outside an item's time bound; with coverage on, it
  // leads to a COVER that says the bound was exercised.
  struct BoundMiss {
    size_t jump;
    BothLanguages what;
  };

  void guards(const ResolvedStream& rs, const DateBounds& bounds, Fragment& f, std::vector<size_t>& skips, uint32_t ln,
              std::vector<BoundMiss>* misses = nullptr) {
    auto bound = [&](int32_t day, Op test, const BothLanguages& what) {
      f.emit(Op::DATE, ln);
      f.emit(Op::CONST, s_.constant(Rational(day)), ln);
      f.emit(test, ln);
      size_t j = f.jump(Op::JUMP_IF_NOT, ln);
      if (misses && s_.coverage) misses->push_back({j, what});
      else skips.push_back(j);
    };
    if (bounds.has_from) bound(bounds.from, Op::GE, tr_both(Msg::desc_record_before, format_date(bounds.from)));
    if (bounds.has_until) bound(bounds.until, Op::LE, tr_both(Msg::desc_record_after, format_date(bounds.until)));
    for (const Expr* filter : rs.filters) {
      record_expr(*filter, rs.type, f);
      skips.push_back(f.jump(Op::JUMP_IF_NOT, line(filter->span)));
    }
  }

  // Adds a handler fragment for `rs`: guards, then `body` (which pushes the amount, if
  // any, and the accumulator update).
  // Remembers that the current item reads `rs`, for the reviewer's checks.
  void note_use(const ResolvedStream& rs, bool per_record_amount, ast::Span span) {
    s_.type_used[rs.type] = true;
    ItemUse use;
    use.item = current_item_;
    use.item_span = current_item_span_;
    use.role = current_role_;
    use.type = rs.type;
    use.per_record_amount = per_record_amount && depth_in_rank_ == 0 && depth_in_condition_ == 0;
    if (rs.exclusion) {
      if (auto e = s_.event_index.find(rs.exclusion->other.text); e != s_.event_index.end())
        use.excluder_type = static_cast<int32_t>(e->second);
      else if (auto n = s_.streams.find(rs.exclusion->other.text); n != s_.streams.end())
        if (auto o = s_.event_index.find(n->second->stream.base.text); o != s_.event_index.end())
          use.excluder_type = static_cast<int32_t>(o->second);
    }
    use.span = span;
    use.bounds = bounds_;
    s_.uses.push_back(use);
    ++aggregates_in_item_;
  }

  template <typename Body>
  void handler(const ResolvedStream& rs, uint32_t ln, Body&& body) {
    Fragment f;
    std::vector<size_t> skips;
    std::vector<BoundMiss> misses;
    guards(rs, bounds_, f, skips, ln, &misses);
    cover(f, tr_both(Msg::desc_records_counted, rs.description), ln);
    body(f);
    if (period_records_ >= 0) {
      // The item's records per sub-period, for a mean over the sub-periods with records.
      f.emit(Op::CONST, s_.constant(Rational(1)), ln);
      f.emit(Op::ACC_ADD_P, static_cast<uint32_t>(period_records_), ln);
    }
    if (!misses.empty()) {
      skips.push_back(f.jump(Op::JUMP, ln));
      for (const auto& m : misses) {
        f.patch(m.jump);
        cover(f, m.what, ln);
        if (&m != &misses.back()) skips.push_back(f.jump(Op::JUMP, ln));
      }
    }
    for (size_t p : skips) f.patch(p);
    s_.handlers[rs.type].push_back(std::move(f));
  }

  // With coverage on, marks a place `rulebook test --coverage` reports on.
  void cover(Fragment& f, BothLanguages what, uint32_t ln) {
    if (!s_.coverage) return;
    s_.program.coverage.push_back({ln, current_item_, std::move(what)});
    f.emit(Op::COVER, static_cast<uint32_t>(s_.program.coverage.size() - 1), ln);
  }

  // ------------------------------------------------------------ record-level expressions

  void record_expr(const Expr& e, uint32_t type, Fragment& f) {
    uint32_t ln = line(e.span);
    std::visit(
        [&](const auto& n) {
          using T = std::decay_t<decltype(n)>;
          if constexpr (std::is_same_v<T, ast::Number>) {
            number(n, e.span, f);
          } else if constexpr (std::is_same_v<T, ast::DateLit>) {
            if (auto d = date_value(s_, n, e.span)) f.emit(Op::CONST, s_.constant(Rational(*d)), ln);
          } else if constexpr (std::is_same_v<T, ast::Text>) {
            f.emit(Op::CONST, s_.constant(Rational(s_.symbol(n.value))), ln);
          } else if constexpr (std::is_same_v<T, ast::NameRef>) {
            record_name(n.name, type, f);
          } else if constexpr (std::is_same_v<T, ast::Unary>) {
            record_expr(*n.operand, type, f);
            f.emit(n.op == ast::UnaryOp::Neg ? Op::NEG : Op::NOT, ln);
          } else if constexpr (std::is_same_v<T, ast::Binary>) {
            check_comparison(n, type);
            binary(n, f, ln, [&](const Expr& x) { record_expr(x, type, f); });
          } else if constexpr (std::is_same_v<T, ast::Conditional>) {
            conditional(n, f, ln, [&](const Expr& x) { record_expr(x, type, f); });
          } else if constexpr (std::is_same_v<T, ast::Call>) {
            call(n, e.span, f, [&](const Expr& x) { record_expr(x, type, f); });
          } else if constexpr (std::is_same_v<T, ast::ZeroFallback>) {
            zero_fallback(n, e.span, f, [&](const Expr& x) { record_expr(x, type, f); });
          } else if constexpr (std::is_same_v<T, ast::InSet>) {
            check_set(n, type);
            record_expr(*n.value, type, f);
            f.emit(Op::IN_SET, value_set(n), ln);
            if (n.negated) f.emit(Op::NOT, ln);
          } else if constexpr (std::is_same_v<T, ast::UnitIn>) {
            unit_in(n, f, ln);
          } else if constexpr (std::is_same_v<T, ast::ByValue>) {
            by_value(n, type, e.span, f);
          } else {
            s_.error(e.span, tr(Msg::low_aggregate_in_record));
          }
        },
        e.node);
  }

  // The field a record-level expression names directly, if any (日期 gives kind Date).
  std::optional<FieldDef> named_field(const Expr& e, uint32_t type) const {
    const auto* r = std::get_if<ast::NameRef>(&e.node);
    if (!r) return std::nullopt;
    if (r->name.text == "日期") {
      FieldDef d;
      d.name = "日期";
      d.kind = FieldKind::Date;
      return d;
    }
    for (const auto& f : s_.program.events[type].fields)
      if (f.name == r->name.text) return f;
    return std::nullopt;
  }

  static bool numeric_literal(const Expr& e) {
    if (std::holds_alternative<ast::Number>(e.node)) return true;
    if (auto* u = std::get_if<ast::Unary>(&e.node)) return u->op == ast::UnaryOp::Neg && numeric_literal(*u->operand);
    if (auto* b = std::get_if<ast::Binary>(&e.node))
      return (b->op == ast::BinaryOp::Add || b->op == ast::BinaryOp::Sub || b->op == ast::BinaryOp::Mul ||
              b->op == ast::BinaryOp::Div) && numeric_literal(*b->lhs) && numeric_literal(*b->rhs);
    return false;
  }

  // The text a comparison side stands for when it is a bare name or a quoted text that is
  // not a field or parameter.
  std::optional<std::pair<std::string, ast::Span>> literal_text(const Expr& e, uint32_t type) const {
    if (auto* t = std::get_if<ast::Text>(&e.node)) return std::make_pair(t->value, e.span);
    if (auto* r = std::get_if<ast::NameRef>(&e.node)) {
      if (named_field(e, type) || s_.param_index.count(r->name.text)) return std::nullopt;
      return std::make_pair(r->name.text, e.span);
    }
    return std::nullopt;
  }

  void check_enum_value(const FieldDef& field, const std::string& text, ast::Span span) {
    const auto& e = s_.program.enums[field.ref];
    for (uint32_t m : e.members)
      if (s_.program.symbols[m] == text) return;
    std::vector<std::string> names;
    for (uint32_t m : e.members) names.push_back(s_.program.symbols[m]);
    std::string hint = s_.suggest(text, names);
    s_.error(span, tr(Msg::low_not_enum_value, text, e.name, fmt::join(names, rb::text(Msg::list_separator))), hint);
  }

  // Comparisons that can never be true, or that compare a date with a number.
  void check_comparison(const ast::Binary& n, uint32_t type) {
    if (n.op != ast::BinaryOp::Eq && n.op != ast::BinaryOp::Ne && n.op != ast::BinaryOp::Lt &&
        n.op != ast::BinaryOp::Le && n.op != ast::BinaryOp::Gt && n.op != ast::BinaryOp::Ge)
      return;
    for (int side = 0; side < 2; ++side) {
      const Expr& a = side == 0 ? *n.lhs : *n.rhs;
      const Expr& b = side == 0 ? *n.rhs : *n.lhs;
      auto field = named_field(a, type);
      if (!field) continue;
      if (field->kind == FieldKind::Enum)
        if (auto text = literal_text(b, type)) check_enum_value(*field, text->first, text->second);
      if (field->kind == FieldKind::Date && numeric_literal(b))
        s_.error(b.span, tr(Msg::low_compare_date, field->name), tr(Msg::low_compare_date_hint));
      if (field->kind == FieldKind::Number && (std::holds_alternative<ast::DateLit>(b.node) || std::holds_alternative<ast::Text>(b.node)))
        s_.error(b.span, tr(Msg::low_compare_number, field->name));
    }
  }

  void check_set(const ast::InSet& n, uint32_t type) {
    auto field = named_field(*n.value, type);
    if (!field || field->kind != FieldKind::Enum) return;
    for (const auto& m : n.members)
      if (auto text = literal_text(*m, type)) check_enum_value(*field, text->first, text->second);
  }

  void number(const ast::Number& n, ast::Span span, Fragment& f) {
    auto v = parse_decimal(n.text);
    if (!v) {
      s_.error(span, tr(Msg::low_inexact_number, n.text));
      return;
    }
    f.emit(Op::CONST, s_.constant(*v), line(span));
  }

  bool param(const ast::Name& name, Fragment& f) {
    auto p = s_.param_index.find(name.text);
    if (p == s_.param_index.end()) return false;
    f.emit(Op::PARAM, p->second, line(name.span));
    return true;
  }

  bool enum_member(const std::string& text) {
    auto sym = s_.symbol_index.find(text);
    if (sym == s_.symbol_index.end()) return false;
    for (const auto& e : s_.program.enums)
      if (std::find(e.members.begin(), e.members.end(), sym->second) != e.members.end()) return true;
    return false;
  }

  void record_name(const ast::Name& name, uint32_t type, Fragment& f) {
    uint32_t ln = line(name.span);
    if (name.text == "日期") {
      f.emit(Op::DATE, ln);
      return;
    }
    const auto& def = s_.program.events[type];
    for (size_t i = 0; i < def.fields.size(); ++i) {
      if (def.fields[i].name == name.text) {
        f.emit(Op::FIELD, static_cast<uint32_t>(i), ln);
        return;
      }
    }
    if (param(name, f)) return;
    if (enum_member(name.text)) {
      f.emit(Op::CONST, s_.constant(Rational(s_.symbol_index.at(name.text))), ln);
      return;
    }
    std::vector<std::string> names = {"日期"};
    for (const auto& fd : def.fields) names.push_back(fd.name);
    for (const auto& p : s_.program.params) names.push_back(p.name);
    s_.error(name.span, tr(Msg::low_unknown_record_name, name.text, def.name), name_hint(name.text, names));
  }

  uint32_t value_set(const ast::InSet& n) {
    std::vector<Rational> values;
    for (const auto& m : n.members) {
      if (auto* r = std::get_if<ast::NameRef>(&m->node)) values.push_back(Rational(s_.symbol(r->name.text)));
      else if (auto* t = std::get_if<ast::Text>(&m->node)) values.push_back(Rational(s_.symbol(t->value)));
      else if (auto* num = std::get_if<ast::Number>(&m->node)) values.push_back(parse_decimal(num->text).value_or(Rational(0)));
      else s_.error(m->span, tr(Msg::low_set_member));
    }
    std::sort(values.begin(), values.end());
    values.erase(std::unique(values.begin(), values.end()), values.end());
    s_.program.value_sets.push_back(std::move(values));
    return static_cast<uint32_t>(s_.program.value_sets.size() - 1);
  }

  void unit_in(const ast::UnitIn& n, Fragment& f, uint32_t ln) {
    auto it = s_.unit_set_index.find(n.registry.text);
    if (it == s_.unit_set_index.end()) {
      s_.error(n.registry.span, tr(Msg::low_unknown_unit_set, n.registry.text),
               s_.suggest(n.registry.text, CompilerState::keys(s_.unit_set_index)));
      return;
    }
    f.emit(Op::UNIT_IN, it->second, ln);
    if (n.negated) f.emit(Op::NOT, ln);
  }

  // 按 FIELD { v: amount ... 其他: amount }: a chain of comparisons. Every member of an
  // enum field needs an amount unless 其他 gives one.
  void by_value(const ast::ByValue& n, uint32_t type, ast::Span span, Fragment& f) {
    uint32_t ln = line(span);
    auto slot = field_slot(type, n.field);
    if (!slot) return;
    const FieldDef& fd = s_.program.events[type].fields[static_cast<size_t>(*slot)];
    if (fd.kind != FieldKind::Enum && fd.kind != FieldKind::Text) {
      s_.error(n.field.span, tr(Msg::low_by_field_kind, n.field.text));
      return;
    }
    std::set<uint32_t> covered;
    std::vector<size_t> ends;
    for (const auto& arm : n.arms) {
      uint32_t sym = s_.symbol(arm.key.text);
      if (fd.kind == FieldKind::Enum) {
        const auto& members = s_.program.enums[fd.ref].members;
        if (std::find(members.begin(), members.end(), sym) == members.end()) {
          std::vector<std::string> names;
          for (uint32_t m : members) names.push_back(s_.program.symbols[m]);
          s_.error(arm.key.span, tr(Msg::low_case_not_enum_value, arm.key.text, s_.program.enums[fd.ref].name,
                                    fmt::join(names, text(Msg::list_separator))),
                   s_.suggest(arm.key.text, names));
          continue;
        }
      }
      if (!covered.insert(sym).second) s_.error(arm.key.span, tr(Msg::low_case_twice, arm.key.text));
      f.emit(Op::FIELD, static_cast<uint32_t>(*slot), ln);
      f.emit(Op::CONST, s_.constant(Rational(sym)), ln);
      f.emit(Op::EQ, ln);
      size_t next = f.jump(Op::JUMP_IF_NOT, ln);
      cover(f, same_in_both(fmt::format("按 {} = {}", n.field.text, arm.key.text)), ln);
      record_expr(*arm.amount, type, f);
      ends.push_back(f.jump(Op::JUMP, ln));
      f.patch(next);
    }
    if (n.otherwise) {
      cover(f, same_in_both(fmt::format("按 {} 其他", n.field.text)), ln);
      record_expr(*n.otherwise, type, f);
    } else {
      if (fd.kind == FieldKind::Enum) {
        for (uint32_t m : s_.program.enums[fd.ref].members)
          if (!covered.count(m))
            s_.error(span, tr(Msg::low_case_missing, n.field.text, s_.program.symbols[m]),
                     tr(Msg::low_case_missing_hint, s_.program.symbols[m]));
      } else {
        s_.error(span, tr(Msg::low_case_free_text, n.field.text));
      }
      f.emit(Op::CONST, s_.constant(Rational(0)), ln);
    }
    for (size_t e : ends) f.patch(e);
  }

  // A divisor that is not a number other than 0 written out may be 0 for some unit or record,
  // and the run would then stop; 分母为零时 says what the value is then.
  void check_divisor(const ast::Binary& n) {
    if (n.op != ast::BinaryOp::Div || guarded_.count(&n)) return;
    if (numeric_literal(*n.rhs)) return;  // 0 written out is reported when it is evaluated
    s_.warning(n.rhs->span, tr(Msg::low_divisor_zero), tr(Msg::low_divisor_zero_hint));
  }

  // The divisors of a product or quotient, inner ones first, so that testing them in order
  // never divides by 0 itself.
  void divisors(const Expr& e, std::vector<const Expr*>& out) {
    const auto* b = std::get_if<ast::Binary>(&e.node);
    if (!b || (b->op != ast::BinaryOp::Mul && b->op != ast::BinaryOp::Div)) return;
    divisors(*b->lhs, out);
    divisors(*b->rhs, out);
    if (b->op == ast::BinaryOp::Div) {
      out.push_back(b->rhs.get());
      guarded_.insert(b);
    }
  }

  // VALUE 分母为零时 FALLBACK: tests every divisor, then computes VALUE, or FALLBACK if one is 0.
  template <typename Sub>
  void zero_fallback(const ast::ZeroFallback& n, ast::Span span, Fragment& f, Sub&& sub) {
    uint32_t ln = line(span);
    std::vector<const Expr*> ds;
    divisors(*n.value, ds);
    if (ds.empty()) {
      s_.error(span, tr(Msg::low_fallback_no_division), tr(Msg::low_fallback_no_division_hint));
      return;
    }
    std::vector<size_t> to_fallback;
    for (const Expr* d : ds) {
      sub(*d);
      to_fallback.push_back(f.jump(Op::JUMP_IF_NOT, ln));
    }
    sub(*n.value);
    size_t to_end = f.jump(Op::JUMP, ln);
    for (size_t j : to_fallback) f.patch(j);
    sub(*n.fallback);
    f.patch(to_end);
  }

  template <typename Sub>
  void binary(const ast::Binary& n, Fragment& f, uint32_t ln, Sub&& sub) {
    check_divisor(n);
    sub(*n.lhs);
    if (n.op == ast::BinaryOp::And || n.op == ast::BinaryOp::Or) f.emit(Op::TRUTH, ln);
    sub(*n.rhs);
    switch (n.op) {
      case ast::BinaryOp::Add: f.emit(Op::ADD, ln); break;
      case ast::BinaryOp::Sub: f.emit(Op::SUB, ln); break;
      case ast::BinaryOp::Mul: f.emit(Op::MUL, ln); break;
      case ast::BinaryOp::Div: f.emit(Op::DIV, ln); break;
      case ast::BinaryOp::Lt: f.emit(Op::LT, ln); break;
      case ast::BinaryOp::Le: f.emit(Op::LE, ln); break;
      case ast::BinaryOp::Gt: f.emit(Op::GT, ln); break;
      case ast::BinaryOp::Ge: f.emit(Op::GE, ln); break;
      case ast::BinaryOp::Eq: f.emit(Op::EQ, ln); break;
      case ast::BinaryOp::Ne: f.emit(Op::NE, ln); break;
      case ast::BinaryOp::And:
        f.emit(Op::TRUTH, ln);
        f.emit(Op::MUL, ln);
        break;
      case ast::BinaryOp::Or:
        f.emit(Op::TRUTH, ln);
        f.emit(Op::MAX, ln);
        break;
    }
  }

  template <typename Sub>
  void conditional(const ast::Conditional& n, Fragment& f, uint32_t ln, Sub&& sub) {
    sub(*n.cond);
    size_t to_else = f.jump(Op::JUMP_IF_NOT, ln);
    sub(*n.then_expr);
    size_t to_end = f.jump(Op::JUMP, ln);
    f.patch(to_else);
    sub(*n.else_expr);
    f.patch(to_end);
  }

  template <typename Sub>
  void call(const ast::Call& n, ast::Span span, Fragment& f, Sub&& sub) {
    uint32_t ln = line(span);
    Op op;
    if (n.function.text == "最大") op = Op::MAX;
    else if (n.function.text == "最小") op = Op::MIN;
    else if (n.function.text == "四舍五入" || n.function.text == "向上取整" || n.function.text == "向下取整") {
      rounding(n, span, f, sub);
      return;
    } else {
      s_.error(n.function.span, tr(Msg::low_unknown_function, n.function.text), tr(Msg::low_functions));
      return;
    }
    if (n.args.empty()) {
      s_.error(span, tr(Msg::low_function_no_args, n.function.text));
      return;
    }
    sub(*n.args[0]);
    for (size_t i = 1; i < n.args.size(); ++i) {
      sub(*n.args[i]);
      f.emit(op, ln);
    }
  }

  // 四舍五入(VALUE, N) / 向上取整(VALUE, N) / 向下取整(VALUE, N): N decimals, 0 when left out.
  template <typename Sub>
  void rounding(const ast::Call& n, ast::Span span, Fragment& f, Sub&& sub) {
    uint32_t ln = line(span);
    if (n.args.empty() || n.args.size() > 2) {
      s_.error(span, tr(Msg::low_round_args, n.function.text));
      return;
    }
    uint32_t places = 0;
    if (n.args.size() == 2) {
      const auto* num = std::get_if<ast::Number>(&n.args[1]->node);
      auto v = num ? parse_decimal(num->text) : std::nullopt;
      if (!v || !v->is_integer() || v->num < 0 || v->num > static_cast<int64_t>(kMaxRoundPlaces)) {
        s_.error(n.args[1]->span, tr(Msg::low_round_places, kMaxRoundPlaces));
        return;
      }
      places = static_cast<uint32_t>(v->num);
    }
    RoundMode mode = n.function.text == "四舍五入" ? RoundMode::HalfAway
                     : n.function.text == "向上取整" ? RoundMode::Up
                                                    : RoundMode::Down;
    sub(*n.args[0]);
    f.emit(Op::ROUND, static_cast<uint32_t>(mode), places, ln);
  }

  // ------------------------------------------------------------ unit-level expressions

  void unit_expr(const Expr& e, Fragment& f) {
    uint32_t ln = line(e.span);
    if (swallowed_by_filter(e)) return;
    std::visit(
        [&](const auto& n) {
          using T = std::decay_t<decltype(n)>;
          if constexpr (std::is_same_v<T, ast::Number>) {
            number(n, e.span, f);
          } else if constexpr (std::is_same_v<T, ast::DateLit>) {
            if (auto d = date_value(s_, n, e.span)) f.emit(Op::CONST, s_.constant(Rational(*d)), ln);
          } else if constexpr (std::is_same_v<T, ast::NameRef>) {
            unit_name(n.name, f);
          } else if constexpr (std::is_same_v<T, ast::Unary>) {
            unit_expr(*n.operand, f);
            f.emit(n.op == ast::UnaryOp::Neg ? Op::NEG : Op::NOT, ln);
          } else if constexpr (std::is_same_v<T, ast::Binary>) {
            binary(n, f, ln, [&](const Expr& x) { unit_expr(x, f); });
          } else if constexpr (std::is_same_v<T, ast::Conditional>) {
            conditional(n, f, ln, [&](const Expr& x) { unit_expr(x, f); });
          } else if constexpr (std::is_same_v<T, ast::Call>) {
            call(n, e.span, f, [&](const Expr& x) { unit_expr(x, f); });
          } else if constexpr (std::is_same_v<T, ast::ZeroFallback>) {
            zero_fallback(n, e.span, f, [&](const Expr& x) { unit_expr(x, f); });
          } else if constexpr (std::is_same_v<T, ast::CrossUnit>) {
            cross_unit(n, e.span, f);
          } else if constexpr (std::is_same_v<T, ast::UnitIn>) {
            unit_in(n, f, ln);
          } else if constexpr (std::is_same_v<T, ast::PerRecord>) {
            per_record(n.stream, n.amount.get(), e.span, f);
          } else if constexpr (std::is_same_v<T, ast::Count>) {
            per_record(n.stream, nullptr, e.span, f);
          } else if constexpr (std::is_same_v<T, ast::Exists>) {
            per_record(n.stream, nullptr, e.span, f);
            f.emit(Op::CONST, s_.constant(Rational(0)), ln);
            f.emit(n.negated ? Op::EQ : Op::GT, ln);
          } else if constexpr (std::is_same_v<T, ast::PerDistinct>) {
            per_distinct(n.key, n.stream, n.amount.get(), e.span, f);
          } else if constexpr (std::is_same_v<T, ast::CountDistinct>) {
            per_distinct(n.key, n.stream, nullptr, e.span, f);
          } else if constexpr (std::is_same_v<T, ast::TakeHighest>) {
            take_highest(n, e.span, f);
          } else if constexpr (std::is_same_v<T, ast::Gaps>) {
            day_rule(n.table, n.stream, n.days.get(), nullptr, nullptr, n.amount.get(), e.span, f);
          } else if constexpr (std::is_same_v<T, ast::Streak>) {
            day_rule(n.table, n.stream, n.step_days.get(), n.times.get(), n.cond.get(), n.amount.get(), e.span, f);
          } else if constexpr (std::is_same_v<T, ast::Rank>) {
            rank(n, e.span, f);
          } else if constexpr (std::is_same_v<T, ast::ByValue>) {
            s_.error(e.span, tr(Msg::low_by_outside_record));
          } else if constexpr (std::is_same_v<T, ast::InSet>) {
            s_.error(e.span, tr(Msg::low_set_outside_record));
          } else if constexpr (std::is_same_v<T, ast::Text>) {
            // A quoted name (an item called "乡镇(街道)加分", say) refers to that item.
            if (s_.node_index.count(n.value) || s_.param_index.count(n.value))
              unit_name(ast::Name{n.value, e.span}, f);
            else
              s_.error(e.span, tr(Msg::low_text_outside_record));
          }
        },
        e.node);
  }

  // Whether the expression counts records of a unit (it cannot stand in a condition or
  // amount of one record).
  static bool counts_records(const Expr& e) {
    return std::holds_alternative<ast::PerRecord>(e.node) || std::holds_alternative<ast::PerDistinct>(e.node) ||
           std::holds_alternative<ast::TakeHighest>(e.node) || std::holds_alternative<ast::Count>(e.node) ||
           std::holds_alternative<ast::CountDistinct>(e.node) || std::holds_alternative<ast::Exists>(e.node) ||
           std::holds_alternative<ast::Gaps>(e.node) || std::holds_alternative<ast::Streak>(e.node) ||
           std::holds_alternative<ast::Rank>(e.node) || std::holds_alternative<ast::CrossUnit>(e.node);
  }

  // `条数 X 其中 f = 0 / 条数 X`: the condition after 其中 runs to the end of the expression
  // and so takes in the count meant to divide it. Reported with the brackets that say what
  // was meant, `(条数 X 其中 f = 0) / 条数 X`, rather than as a count inside a condition.
  bool swallowed_by_filter(const Expr& e) {
    const ast::StreamRef* stream = nullptr;
    std::visit(
        [&](const auto& n) {
          if constexpr (requires { n.stream.filters; }) stream = &n.stream;
        },
        e.node);
    if (!stream || stream->filters.empty()) return false;
    // Down the right-hand operands of the last condition, the operator whose right operand
    // counts records: what lies left of it belongs to the condition, the rest does not.
    const Expr* at = stream->filters.back().get();
    while (true) {
      if (const auto* z = std::get_if<ast::ZeroFallback>(&at->node)) {  // `a / b 分母为零时 0`
        at = z->value.get();
        continue;
      }
      const auto* b = std::get_if<ast::Binary>(&at->node);
      if (!b) break;
      if (counts_records(*b->rhs)) {
        const std::string_view source = s_.rulebook.source;
        const size_t begin = e.span.offset, split = b->lhs->span.offset + b->lhs->span.length;
        const size_t end = e.span.offset + e.span.length;
        const std::string count(source.substr(b->rhs->span.offset, b->rhs->span.length));
        const std::string fixed = fmt::format("({}){}", source.substr(begin, split - begin), source.substr(split, end - split));
        s_.error(b->rhs->span, tr(Msg::low_filter_swallows, count), tr(Msg::low_filter_swallows_hint, fixed));
        return true;
      }
      at = b->rhs.get();
    }
    return false;
  }

  // The hint for a name nothing declares: the half-width spelling of one written with
  // full-width characters (５ for 5), else the nearest declared name.
  std::string name_hint(const std::string& name, const std::vector<std::string>& names) const {
    if (const std::string half = halfwidth(name); !half.empty()) return tr(Msg::parse_fullwidth_hint, name, half);
    return s_.suggest(name, names);
  }

  void unit_name(const ast::Name& name, Fragment& f) {
    if (param(name, f)) return;
    if (auto it = s_.node_index.find(name.text); it != s_.node_index.end()) {
      f.emit(Op::NODE, it->second, line(name.span));
      return;
    }
    std::vector<std::string> names = CompilerState::keys(s_.node_index);
    for (const auto& p : s_.program.params) names.push_back(p.name);
    std::string hint = name_hint(name.text, names);
    if (s_.event_index.count(name.text) || s_.streams.count(name.text))
      hint = tr(Msg::low_event_as_value_hint, name.text);
    s_.error(name.span, tr(Msg::low_unknown_unit_name, name.text), hint);
  }

  void per_record(const ast::StreamRef& ref, const Expr* amount, ast::Span span, Fragment& f) {
    uint32_t ln = line(span);
    auto rs = resolve(ref);
    if (!rs) return;
    AccumulatorDef acc;
    acc.description = tr_both(amount ? Msg::desc_amounts_of : Msg::desc_count_of, rs->description);
    acc.description.append(bounds_desc_);
    int32_t excl = -1;
    if (rs->exclusion) {
      excl = static_cast<int32_t>(exclusion_set(*rs));
      acc.kind = AccKind::KeySum;
      acc.exclude = excl;
    }
    uint32_t a = add_periodic_accumulator(acc);
    note_use(*rs, amount != nullptr, span);
    warn_negative(amount);
    handler(*rs, ln, [&](Fragment& h) {
      if (amount) record_expr(*amount, rs->type, h);
      else h.emit(Op::CONST, s_.constant(Rational(1)), ln);
      if (excl >= 0) h.emit(add_op(Op::ACC_KEY_ADD), a, static_cast<uint32_t>(rs->exclusion_slot), ln);
      else h.emit(add_op(Op::ACC_ADD), a, ln);
    });
    f.emit(read_op(), a, ln);
  }

  void per_distinct(const ast::Name& key, const ast::StreamRef& ref, const Expr* amount, ast::Span span, Fragment& f) {
    uint32_t ln = line(span);
    auto rs = resolve(ref);
    if (!rs) return;
    auto slot = key_slot(rs->type, key);
    if (!slot) return;
    AccumulatorDef acc;
    acc.kind = AccKind::KeyMax;
    const FieldDef& field = s_.program.events[rs->type].fields[*slot];
    acc.description = tr_both(Msg::desc_per_distinct, field.display.empty() ? key.text : field.display, rs->description);
    if (rs->exclusion) {
      if (rs->exclusion_slot != *slot) {
        s_.error(key.span, tr(Msg::low_distinct_excluded, rs->description, rs->exclusion->field.text, key.text),
                 tr(Msg::low_distinct_excluded_hint));
        return;
      }
      acc.exclude = static_cast<int32_t>(exclusion_set(*rs));
    }
    uint32_t a = add_periodic_accumulator(acc);
    note_use(*rs, amount != nullptr, span);
    warn_negative(amount);
    handler(*rs, ln, [&](Fragment& h) {
      if (amount) record_expr(*amount, rs->type, h);
      else h.emit(Op::CONST, s_.constant(Rational(1)), ln);
      h.emit(add_op(Op::ACC_KEY_MAX), a, static_cast<uint32_t>(*slot), ln);
    });
    f.emit(read_op(), a, ln);
  }

  void take_highest(const ast::TakeHighest& n, ast::Span span, Fragment& f) {
    uint32_t ln = line(span);
    AccumulatorDef acc;
    acc.kind = AccKind::KeyMax;
    std::vector<std::string> names;
    std::string key = n.key.text;  // the key's display name where the first event type gives one
    for (const auto& arm : n.arms) {
      auto e = s_.event_index.find(arm.stream.base.text);
      const EventTypeDef* type = e != s_.event_index.end() ? &s_.program.events[e->second] : nullptr;
      names.push_back(type && !type->display.empty() ? type->display : arm.stream.base.text);
      if (type && &arm == &n.arms.front()) key = shown_field(*type, n.key.text);
    }
    acc.description = tr_both(Msg::desc_highest_per, key, fmt::format("{}", fmt::join(names, "/")));
    uint32_t a = add_periodic_accumulator(acc);
    for (const auto& arm : n.arms) {
      auto rs = resolve(arm.stream);
      if (!rs) continue;
      if (rs->exclusion) {
        s_.error(arm.stream.span, tr(Msg::low_highest_exclusion));
        continue;
      }
      auto slot = key_slot(rs->type, n.key);
      if (!slot) continue;
      note_use(*rs, true, arm.stream.span);
      warn_negative(arm.amount.get());
      handler(*rs, line(arm.stream.span), [&](Fragment& h) {
        record_expr(*arm.amount, rs->type, h);
        h.emit(add_op(Op::ACC_KEY_MAX), a, static_cast<uint32_t>(*slot), line(arm.stream.span));
      });
    }
    f.emit(read_op(), a, ln);
  }

  std::optional<int64_t> whole_number(const Expr* e, Msg what) {
    if (e) {
      if (auto* n = std::get_if<ast::Number>(&e->node)) {
        auto v = parse_decimal(n->text);
        if (v && v->is_integer() && v->num > 0 && v->num <= 100000) return v->num;
      }
      s_.error(e->span, tr(Msg::low_whole_number, text(what)));
    }
    return std::nullopt;
  }

  // Gaps (cond == nullptr) and streaks over each row of a table, in date order.
  void day_rule(const ast::Name& table, const ast::StreamRef& ref, const Expr* days, const Expr* times,
                const Expr* cond, const Expr* amount, ast::Span span, Fragment& f) {
    uint32_t ln = line(span);
    if (not_per_period(span, cond ? Msg::what_streak_rule : Msg::what_gap_rule)) return;
    auto t = s_.table_index.find(table.text);
    if (t == s_.table_index.end()) {
      s_.error(table.span, tr(Msg::unknown_table, table.text), s_.suggest(table.text, CompilerState::keys(s_.table_index)));
      return;
    }
    auto rs = resolve(ref);
    if (!rs) return;
    const auto& ev = s_.program.events[rs->type];
    if (ev.key_field < 0 || ev.fields[static_cast<size_t>(ev.key_field)].ref != t->second) {
      s_.error(ref.span, tr(Msg::low_not_keyed_by, ev.name, table.text), tr(Msg::low_not_keyed_by_hint, table.text, ev.name));
      return;
    }
    if (rs->exclusion) {
      s_.error(ref.span, tr(Msg::low_sequence_exclusion));
      return;
    }
    auto d = whole_number(days, cond ? Msg::what_step_days : Msg::what_number_of_days);
    std::optional<int64_t> k = cond ? whole_number(times, Msg::what_times_in_a_row) : std::optional<int64_t>(1);
    if (!d || !k) return;
    AccumulatorDef acc;
    acc.kind = cond ? AccKind::DayStreak : AccKind::DayGaps;
    acc.table = t->second;
    acc.days = *d;
    acc.times = *k;
    acc.description = cond ? tr_both(Msg::desc_streaks, rs->description, table.text, *d, *k)
                           : tr_both(Msg::desc_gaps, rs->description, table.text, *d);
    uint32_t a = s_.add_accumulator(acc);
    note_use(*rs, false, span);
    handler(*rs, ln, [&](Fragment& h) {
      if (cond) {
        record_expr(*cond, rs->type, h);
        h.emit(Op::ACC_DAY_FLAG, a, ln);
      } else {
        h.emit(Op::ACC_DAY_MARK, a, ln);
      }
    });
    f.emit(Op::ACC, a, ln);
    unit_expr(*amount, f);
    f.emit(Op::MUL, ln);
  }

  // A number written out; `-N` too where a negative value makes sense (`不排 -1`).
  std::optional<Rational> constant_value(const Expr* e, Msg what, bool negative_allowed = false) {
    if (auto* n = std::get_if<ast::Number>(&e->node))
      if (auto v = parse_decimal(n->text)) return v;
    if (auto* u = std::get_if<ast::Unary>(&e->node); negative_allowed && u && u->op == ast::UnaryOp::Neg)
      if (auto* n = std::get_if<ast::Number>(&u->operand->node))
        if (auto v = parse_decimal(n->text)) return -*v;
    s_.error(e->span, tr(Msg::low_number_written_out, text(what)));
    return std::nullopt;
  }

  // Per-unit code computing `e` into a new hidden node, queued as a task of its own.
  uint32_t value_node(const Expr& e, std::string name, uint32_t ln) {
    uint32_t node = hidden_node(std::move(name), ln);
    Fragment code;
    unit_expr(e, code);
    code.emit(Op::STORE, node, ln);
    push_code(std::move(code));
    return node;
  }

  // The unit set of an item for some units only (仅), when `e` names one; else -1. Values
  // across units and rankings of such an item take those units only.
  int32_t only_set_of(const Expr& e) const {
    std::string name;
    if (const auto* r = std::get_if<ast::NameRef>(&e.node)) name = r->name.text;
    else if (const auto* t = std::get_if<ast::Text>(&e.node)) name = t->value;
    auto it = s_.node_index.find(name);
    return it == s_.node_index.end() ? -1 : s_.program.nodes[it->second].only;
  }

  // The filter node of a cross-unit step (-1 for none): 1 for the units the step takes.
  // `base`, when given, pushes the step's own condition (其中, or not vetoed); an item for
  // some units only (仅) narrows it to those.
  template <typename Base>
  int32_t filter_node(bool has_base, Base&& base, int32_t only, std::string name, uint32_t ln) {
    if (!has_base && only < 0) return -1;
    uint32_t node = hidden_node(std::move(name), ln);
    Fragment code;
    if (has_base) base(code);
    else code.emit(Op::CONST, s_.constant(Rational(1)), ln);
    if (only >= 0) {
      code.emit(Op::UNIT_IN, static_cast<uint32_t>(only), ln);
      code.emit(Op::MUL, ln);
    }
    code.emit(Op::STORE, node, ln);
    push_code(std::move(code));
    return static_cast<int32_t>(node);
  }

  // 本类 needs every unit in at most one unit group.
  bool own_class_defined(ast::Span span) {
    if (s_.class_problem.empty()) return true;
    s_.error(span, tr(Msg::low_own_class_undefined, s_.class_problem), tr(Msg::low_own_class_undefined_hint));
    return false;
  }

  void rank(const ast::Rank& n, ast::Span span, Fragment& f) {
    uint32_t ln = line(span);
    if (not_per_period(span, Msg::what_ranking)) return;
    ++depth_in_rank_;
    uint32_t in_node = value_node(*n.value, fmt::format("{}(排名依据)", current_item_), ln);
    --depth_in_rank_;
    Step step;
    step.kind = StepKind::Rank;
    step.input = in_node;
    step.output = hidden_node(fmt::format("{}(排名)", current_item_), ln);
    step.rank_node = static_cast<int32_t>(hidden_node(fmt::format("{}(名次)", current_item_), ln));
    step.descending = n.descending;
    if (!n.tie) s_.error(span, tr(Msg::low_ranking_ties), tr(Msg::low_ranking_ties_hint));
    step.tie = n.tie && *n.tie == ast::TieRule::Dense ? TieKind::Dense : TieKind::Competition;
    if (n.within_class && own_class_defined(span)) step.scope = ScopeKind::OwnClass;
    // Units hit by a veto (不含否决单位), and units an item ranked by is not for, are left out.
    step.filter = filter_node(
        n.without_vetoed,
        [&](Fragment& code) {
          code.emit(Op::NODE, s_.program.vetoed_node, ln);
          code.emit(Op::NOT, ln);
        },
        only_set_of(*n.value), fmt::format("{}(参与排名)", current_item_), ln);
    if (n.skip_value) {
      if (auto v = constant_value(n.skip_value->get(), Msg::what_value_not_ranked, true)) {
        step.has_skip = true;
        step.skip = *v;
      }
    }
    std::set<std::pair<int, int64_t>> keys;
    for (const auto& award : n.awards) {
      Award a;
      auto amount = constant_value(award.amount.get(), Msg::what_award);
      switch (award.place) {
        case ast::Rank::Place::Rank: {
          auto r = whole_number(award.rank.get(), Msg::what_rank);
          if (!r) continue;
          a.kind = AwardKind::Rank;
          a.n = *r;
          break;
        }
        case ast::Rank::Place::Top: a.kind = AwardKind::Top; a.n = award.count; break;
        case ast::Rank::Place::Bottom: a.kind = AwardKind::Bottom; a.n = award.count; break;
        case ast::Rank::Place::BottomPercent: a.kind = AwardKind::BottomPercent; a.n = award.count; break;
      }
      if (a.kind != AwardKind::Rank && (a.n < 1 || (a.kind == AwardKind::BottomPercent ? a.n > 100 : a.n > kMaxAwardPlaces))) {
        s_.error(award.span, text(a.kind == AwardKind::BottomPercent ? Msg::low_award_percent : Msg::low_award_places));
        continue;
      }
      if (!amount) continue;
      if (!keys.insert({static_cast<int>(a.kind), a.n}).second)
        s_.error(award.span, tr(Msg::low_award_twice));
      a.amount = *amount;
      step.awards.push_back(a);
    }
    uint32_t out = step.output;
    push_step(std::move(step));
    f.emit(Op::NODE, out, ln);
  }

  // 平均|最高|最低|合计|单位数 (VALUE [, SCOPE]): the value of every unit in scope is computed
  // first (a task of its own), then combined by a cross-unit step into a node read here.
  void cross_unit(const ast::CrossUnit& n, ast::Span span, Fragment& f) {
    uint32_t ln = line(span);
    if (not_per_period(span, Msg::what_value_across_units)) return;
    std::string text = s_.rulebook.source.substr(span.offset, span.length);
    Step step;
    step.kind = StepKind::Aggregate;
    step.agg = n.agg == ast::Aggregate::Mean  ? AggKind::Mean
               : n.agg == ast::Aggregate::Max ? AggKind::Max
               : n.agg == ast::Aggregate::Min ? AggKind::Min
               : n.agg == ast::Aggregate::Sum ? AggKind::Sum
                                              : AggKind::Count;
    ++depth_in_condition_;
    step.input = value_node(*n.value, fmt::format("{}: {} 的各单位值", current_item_, text), ln);
    step.filter = filter_node(
        n.filter != nullptr,
        [&](Fragment& code) {
          unit_expr(*n.filter, code);
          code.emit(Op::TRUTH, ln);
        },
        only_set_of(*n.value), fmt::format("{}: {} 的范围", current_item_, text), ln);
    --depth_in_condition_;
    if (n.own_class) {
      if (own_class_defined(span)) step.scope = ScopeKind::OwnClass;
    } else if (n.registry) {
      auto it = s_.unit_set_index.find(n.registry->text);
      if (it == s_.unit_set_index.end()) {
        s_.error(n.registry->span, tr(Msg::low_unknown_unit_set, n.registry->text),
                 s_.suggest(n.registry->text, CompilerState::keys(s_.unit_set_index)));
        return;
      }
      step.scope = ScopeKind::UnitSet;
      step.scope_set = it->second;
    }
    step.output = hidden_node(fmt::format("{}: {}", current_item_, text), ln);
    uint32_t out = step.output;
    push_step(std::move(step));
    f.emit(Op::NODE, out, ln);
  }

  // ------------------------------------------------------------ items, groups, categories

  bool declare(const ast::Name& name) {
    if (!declared_.insert(name.text).second || s_.param_index.count(name.text)) {
      s_.error(name.span, tr(Msg::low_name_taken, name.text));
      return false;
    }
    return true;
  }

  // Stores the value on the stack into `node`, or, with a substitution, into a hidden raw
  // node and lets a Mean step fill `node`.
  void finish_node(Fragment& f, uint32_t node, const std::optional<ast::Substitution>& subst, uint32_t ln) {
    if (!subst) {
      f.emit(Op::STORE, node, ln);
      push_code(std::move(f));
      return;
    }
    uint32_t raw_node = hidden_node(s_.program.nodes[node].name + "(替代前)", ln);
    f.emit(Op::STORE, raw_node, ln);
    push_code(std::move(f));
    uint32_t cond_node = hidden_node(s_.program.nodes[node].name + "(适用)", line(subst->span));
    Fragment c;
    current_item_ = s_.program.nodes[node].name;
    ++depth_in_condition_;
    unit_expr(*subst->cond, c);
    --depth_in_condition_;
    c.emit(Op::TRUTH, line(subst->span));
    c.emit(Op::STORE, cond_node, line(subst->span));
    push_code(std::move(c));
    Step m;
    m.kind = StepKind::Mean;
    m.input = raw_node;
    m.condition = cond_node;
    m.output = node;
    push_step(std::move(m));
  }

  std::optional<uint32_t> item(const ast::Item& it, CategoryRole role) {
    auto declared = node_of(&it);
    if (!declared) return std::nullopt;
    uint32_t node = *declared;
    bounds_ = {};
    bounds_desc_ = {};
    if (it.from) {
      if (auto d = date_value(s_, *it.from, it.from_span)) {
        bounds_.has_from = true;
        bounds_.from = *d;
        bounds_desc_.append(tr_both(Msg::desc_from, format_date(*d)));
      }
    }
    if (it.until) {
      if (auto d = date_value(s_, *it.until, it.until_span)) {
        bounds_.has_until = true;
        bounds_.until = *d;
        bounds_desc_.append(tr_both(Msg::desc_until, format_date(*d)));
      }
    }
    if (bounds_.has_from && bounds_.has_until && bounds_.from > bounds_.until)
      s_.error(it.until_span, tr(Msg::low_item_backwards));
    s_.program.nodes[node].has_from = bounds_.has_from;
    s_.program.nodes[node].from = bounds_.from;
    s_.program.nodes[node].has_until = bounds_.has_until;
    s_.program.nodes[node].until = bounds_.until;
    if (bounds_.has_from && (bounds_.from < s_.program.period_from || bounds_.from > s_.program.period_to))
      s_.warning(it.from_span, tr(Msg::low_item_starts_outside, format_date(bounds_.from),
                                  format_date(s_.program.period_from), format_date(s_.program.period_to)),
                 tr(Msg::date_from_another_year));
    if (bounds_.has_until && (bounds_.until < s_.program.period_from || bounds_.until > s_.program.period_to))
      s_.warning(it.until_span, tr(Msg::low_item_ends_outside, format_date(bounds_.until),
                                   format_date(s_.program.period_from), format_date(s_.program.period_to)),
                 tr(Msg::date_from_another_year));
    current_item_ = it.name.text;
    current_item_span_ = it.name.span;
    current_role_ = role;
    aggregates_in_item_ = 0;
    size_t errors_before = s_.diags.error_count();
    Fragment f;
    uint32_t ln = line(it.span);
    const bool own_periods = it.periods.has_value();
    if (own_periods) {
      if (period_ != PeriodKind::None)
        s_.error(it.periods->span, tr(Msg::low_item_periods_twice), tr(Msg::low_item_periods_twice_hint));
      else if (role == CategoryRole::Veto)
        s_.error(it.periods->span, tr(Msg::low_veto_item_periods));
      else
        begin_periods(*it.periods, node, it.name.text);
    }
    if (period_ != PeriodKind::None) s_.program.nodes[node].combine = combine_;
    std::optional<Rational> full;
    if (it.full) {
      full = cap(it.full.get());
      if (role != CategoryRole::Points)
        s_.error(it.full->span, tr(Msg::low_full_marks_outside_points), tr(Msg::low_full_marks_outside_points_hint));
      if (full) {
        s_.program.nodes[node].has_full = true;
        s_.program.nodes[node].full = *full;
        f.emit(Op::CONST, s_.constant(*full), ln);
      }
    }
    for (size_t i = 0; i < it.terms.size(); ++i) {
      unit_expr(*it.terms[i], f);
      if (i > 0) f.emit(Op::ADD, ln);
    }
    if (it.terms.empty()) f.emit(Op::CONST, s_.constant(Rational(0)), ln);
    if (full) {
      // 扣完为止: full marks less the terms, never below 0.
      f.emit(Op::SUB, ln);
      f.emit(Op::CONST, s_.constant(Rational(0)), ln);
      f.emit(Op::MAX, ln);
    }
    if (role == CategoryRole::Veto) f.emit(Op::TRUTH, ln);
    if (aggregates_in_item_ == 0 && !reads_values(f) && s_.diags.error_count() == errors_before)
      s_.warning(it.name.span, tr(Msg::low_item_reads_nothing, it.name.text), tr(Msg::low_item_reads_nothing_hint));
    bounds_ = {};
    bounds_desc_ = {};
    if (period_ != PeriodKind::None) f = per_period_value(std::move(f), node, ln);
    if (own_periods) end_periods();
    if (it.only) {
      // 仅 GROUP: 0 in sums for the other units, for which outputs show the item as absent.
      auto set = s_.unit_set_index.find(it.only->text);
      if (set == s_.unit_set_index.end()) {
        s_.error(it.only->span, tr(Msg::low_unknown_unit_set, it.only->text),
                 s_.suggest(it.only->text, CompilerState::keys(s_.unit_set_index)));
      } else {
        f.emit(Op::UNIT_IN, set->second, ln);
        f.emit(Op::MUL, ln);
      }
      if (it.substitution)
        s_.error(it.substitution->span, tr(Msg::low_only_and_average), tr(Msg::low_only_and_average_hint));
    }
    if (auto c = cap(it.cap.get())) {
      if (role == CategoryRole::Veto) s_.error(it.cap->span, tr(Msg::low_veto_item_cap));
      // The value before the cap is kept in a node of its own, so traces can show the cut.
      uint32_t before = hidden_node(it.name.text + "(封顶前)", ln);
      f.emit(Op::STORE, before, ln);
      push_code(std::move(f));
      s_.program.nodes[node].has_cap = true;
      s_.program.nodes[node].cap = *c;
      s_.program.nodes[node].before_cap = static_cast<int32_t>(before);
      f = Fragment();
      f.emit(Op::NODE, before, ln);
      f.emit(Op::CONST, s_.constant(*c), ln);
      f.emit(Op::MIN, ln);
    }
    finish_node(f, node, it.substitution, ln);
    return node;
  }

  std::vector<uint32_t> members(const std::vector<ast::Member>& ms, CategoryRole role) {
    std::vector<uint32_t> out;
    for (const auto& m : ms) {
      std::optional<uint32_t> n;
      if (auto* it = std::get_if<ast::Item>(&m)) n = item(*it, role);
      else n = group(*std::get<std::unique_ptr<ast::Group>>(m), role);
      if (n) out.push_back(*n);
    }
    return out;
  }

  // A group's or category's value: the sum of its members (veto items count as hits),
  // cut by its cap, then substituted when the rulebook says so.
  void sum_members(uint32_t node, const std::vector<ast::Member>& ms, CategoryRole role, const Expr* cap_expr,
                   const std::optional<ast::Substitution>& subst, uint32_t ln, const ast::Name& name) {
    auto children = members(ms, role);
    current_item_ = name.text;
    current_item_span_ = name.span;
    Fragment f;
    f.emit(Op::CONST, s_.constant(Rational(0)), ln);
    for (uint32_t c : children) {
      // In a group scored per sub-period, each sub-period adds up the members' values in it.
      int32_t per = s_.program.nodes[c].per_period;
      if (period_ != PeriodKind::None && per >= 0) f.emit(Op::PERIOD_NODE, static_cast<uint32_t>(per), ln);
      else f.emit(Op::NODE, c, ln);
      f.emit(Op::ADD, ln);
    }
    if (period_ != PeriodKind::None) {
      s_.program.nodes[node].combine = combine_;
      f = per_period_value(std::move(f), node, ln);
    }
    if (auto c = cap(cap_expr)) {
      s_.program.nodes[node].has_cap = true;
      s_.program.nodes[node].cap = *c;
      f.emit(Op::CONST, s_.constant(*c), ln);
      f.emit(Op::MIN, ln);
    }
    finish_node(f, node, subst, ln);
  }

  std::optional<Rational> cap(const Expr* e) {
    if (!e) return std::nullopt;
    auto v = constant_value(e, Msg::what_cap);
    if (v && *v < Rational(0)) {
      s_.error(e->span, tr(Msg::low_negative_cap));
      return std::nullopt;
    }
    return v;
  }

  std::optional<uint32_t> group(const ast::Group& g, CategoryRole role) {
    auto node = node_of(&g);
    if (!node) return std::nullopt;
    const bool own_periods = g.periods.has_value();
    if (own_periods) {
      if (period_ != PeriodKind::None)
        s_.error(g.periods->span, tr(Msg::low_group_periods_twice));
      else if (role == CategoryRole::Veto)
        s_.error(g.periods->span, tr(Msg::low_veto_group_periods));
      else
        begin_periods(*g.periods, *node, g.name.text);
    }
    sum_members(*node, g.members, role, g.cap.get(), g.substitution, line(g.span), g.name);
    if (own_periods) end_periods();
    return node;
  }

  // ------------------------------------------------------------ sub-periods

  void begin_periods(const ast::SubPeriods& sp, uint32_t node, const std::string& name) {
    period_ = sp.word == ast::PeriodWord::Week      ? PeriodKind::Week
              : sp.word == ast::PeriodWord::Quarter ? PeriodKind::Quarter
              : sp.word == ast::PeriodWord::Half    ? PeriodKind::Half
                                                    : PeriodKind::Month;
    combine_ = sp.mean == ast::PeriodMean::None          ? PeriodCombine::Sum
               : sp.mean == ast::PeriodMean::All         ? PeriodCombine::MeanAll
               : sp.mean == ast::PeriodMean::WithRecords ? PeriodCombine::MeanWithRecords
                                                         : PeriodCombine::MeanExisting;
    AccumulatorDef records;
    records.description = tr_both(Msg::desc_records_per_period, name);
    records_acc_ = add_periodic_accumulator(records);
    period_records_ = combine_ == PeriodCombine::MeanWithRecords ? static_cast<int32_t>(records_acc_) : -1;
    if (auto c = cap(sp.cap.get())) {
      s_.program.nodes[node].has_period_cap = true;
      s_.program.nodes[node].period_cap = *c;
    }
  }

  void end_periods() {
    period_ = PeriodKind::None;
    combine_ = PeriodCombine::Sum;
    period_records_ = -1;
  }

  // Ends code run per sub-period: the value on the stack, cut by the cap per sub-period, is
  // stored into a periodic node of `node`'s; returns the code that makes the year's value
  // of it (a sum or a mean over the sub-periods).
  Fragment per_period_value(Fragment f, uint32_t node, uint32_t ln) {
    NodeDef& def = s_.program.nodes[node];
    if (def.has_period_cap) {
      f.emit(Op::CONST, s_.constant(def.period_cap), ln);
      f.emit(Op::MIN, ln);
    }
    NodeDef per = named_node(def.name + "(各期)", NodeKind::Hidden);
    per.source_line = ln;
    per.period = period_;
    uint32_t pnode = s_.add_node(per);
    s_.program.nodes[node].per_period = static_cast<int32_t>(pnode);
    f.emit(Op::PERIOD_STORE, pnode, ln);
    push_code(std::move(f), period_);
    Fragment year;
    if (combine_ == PeriodCombine::Sum) {
      year.emit(Op::PERIOD_SUM, pnode, ln);
    } else {
      uint32_t mode = combine_ == PeriodCombine::MeanAll ? 0 : combine_ == PeriodCombine::MeanWithRecords ? 1 : 2;
      year.emit(Op::PERIOD_MEAN, pnode, mode, records_acc_, ln);
    }
    return year;
  }

  void category(const ast::Category& c) {
    auto node = node_of(&c);
    if (!node) return;
    CategoryRole role = role_of(c.kind);
    if (role == CategoryRole::Veto && (c.cap || c.substitution))
      s_.error(c.span, tr(Msg::low_veto_category_cap));
    sum_members(*node, c.members, role, c.cap.get(), c.substitution, line(c.span), c.name);
    s_.program.categories.push_back(*node);
  }

  // score = clamp(base - deductions + bonuses + points), and 0 for a unit hit by a veto.
  void score() {
    current_item_ = "得分";
    current_item_span_ = {};
    Fragment f;
    f.emit(Op::CONST, s_.constant(s_.program.base_score), 0);
    for (uint32_t c : s_.program.categories) {
      auto role = s_.program.nodes[c].role;
      if (role == CategoryRole::Veto) continue;
      f.emit(Op::NODE, c, 0);
      f.emit(role == CategoryRole::Deduction ? Op::SUB : Op::ADD, 0);
    }
    f.emit(Op::CONST, s_.constant(s_.program.score_low), 0);
    f.emit(Op::MAX, 0);
    f.emit(Op::CONST, s_.constant(s_.program.score_high), 0);
    f.emit(Op::MIN, 0);
    f.emit(Op::STORE, clamped_node_, 0);
    // Whether a veto hit is a task of its own: it reads the veto categories only, so a
    // ranking that leaves vetoed units out does not depend on the score.
    Fragment v;
    v.emit(Op::CONST, s_.constant(Rational(0)), 0);
    for (uint32_t c : s_.program.categories) {
      if (s_.program.nodes[c].role != CategoryRole::Veto) continue;
      v.emit(Op::NODE, c, 0);
      v.emit(Op::ADD, 0);
    }
    v.emit(Op::TRUTH, 0);
    v.emit(Op::STORE, s_.program.vetoed_node, 0);
    push_code(std::move(v));
    f.emit(Op::NODE, s_.program.vetoed_node, 0);
    f.emit(Op::NOT, 0);
    f.emit(Op::NODE, clamped_node_, 0);
    f.emit(Op::MUL, 0);
    f.emit(Op::STORE, s_.program.score_node, 0);
    push_code(std::move(f));
  }

  // 输出 and 指标: a named value computed from an expression, listed in `list`.
  void named_value(const void* decl, const ast::Name& name, const Expr& value, ast::Span span,
                   std::vector<uint32_t>& list, const std::optional<ast::SubPeriods>& periods = std::nullopt) {
    auto node = node_of(decl);
    if (!node) return;
    Fragment f;
    current_item_ = name.text;
    current_item_span_ = name.span;
    current_role_ = CategoryRole::None;
    if (periods) begin_periods(*periods, *node, name.text);
    if (period_ != PeriodKind::None) s_.program.nodes[*node].combine = combine_;
    unit_expr(value, f);
    if (periods) {
      f = per_period_value(std::move(f), *node, line(span));
      end_periods();
    }
    f.emit(Op::STORE, *node, line(span));
    push_code(std::move(f));
    list.push_back(*node);
  }

  void output(const ast::Output& o) { named_value(&o, o.name, *o.value, o.span, s_.program.outputs); }
  void indicator(const ast::Indicator& d) {
    named_value(&d, d.name, *d.value, d.span, s_.program.indicators, d.periods);
  }

  // 不参与考核 [引用 "..."] 若 COND: a node that is 1 for the units assessed.
  void not_assessed(const ast::NotAssessed& d) {
    if (s_.program.assessed_node >= 0) {
      s_.error(d.span, tr(Msg::low_not_assessed_twice), tr(Msg::low_not_assessed_twice_hint));
      return;
    }
    current_item_ = "不参与考核";
    current_item_span_ = d.span;
    uint32_t ln = line(d.span);
    uint32_t node = hidden_node("参与考核", ln);
    Fragment f;
    ++depth_in_condition_;
    unit_expr(*d.cond, f);
    --depth_in_condition_;
    f.emit(Op::NOT, ln);
    f.emit(Op::STORE, node, ln);
    push_code(std::move(f));
    s_.program.assessed_node = static_cast<int32_t>(node);
    std::string cond = s_.rulebook.source.substr(d.cond->span.offset, d.cond->span.length);
    s_.program.not_assessed_reason = d.citation.empty() ? cond : fmt::format("{}：{}", d.citation, cond);
  }

  // 等级 { 90 以上: 优秀 ... 其他: 不合格 }: bounds falling strictly, the last band catching
  // every score left (其他, or a bound at the lowest score), so no score falls in a gap.
  void grades(const ast::Grades& g) {
    if (!s_.program.grades.empty()) {
      s_.error(g.span, tr(Msg::low_grades_twice));
      return;
    }
    if (g.bands.empty()) {
      s_.error(g.span, tr(Msg::low_grades_empty), tr(Msg::low_grades_empty_hint));
      return;
    }
    std::set<std::string> names;
    for (size_t i = 0; i < g.bands.size(); ++i) {
      const auto& b = g.bands[i];
      GradeBand band;
      band.name = b.name.text;
      band.line = line(b.span);
      if (!names.insert(b.name.text).second) s_.error(b.name.span, tr(Msg::low_grade_twice, b.name.text));
      if (b.at_least) {
        auto v = parse_decimal(*b.at_least);
        if (!v) {
          s_.error(b.span, tr(Msg::low_inexact_number, *b.at_least));
          continue;
        }
        band.has_low = true;
        band.low = *v;
        if (!s_.program.grades.empty() && s_.program.grades.back().has_low && !(*v < s_.program.grades.back().low))
          s_.error(b.span, tr(Msg::low_band_overlap, format_decimal(*v, 6), format_decimal(s_.program.grades.back().low, 6)),
                   tr(Msg::low_band_overlap_hint));
      } else if (i + 1 != g.bands.size()) {
        s_.error(b.span, tr(Msg::low_other_band_last));
      }
      s_.program.grades.push_back(band);
    }
    const auto& last = s_.program.grades.back();
    if (last.has_low && s_.program.score_low < last.low)
      s_.error(g.bands.back().span,
               tr(Msg::low_scores_without_grade, format_decimal(s_.program.score_low, 6), format_decimal(last.low, 6)),
               tr(Msg::low_scores_without_grade_hint));
  }

  // Whether code reads another value (an item, group, category, indicator or parameter):
  // then an item that counts no records may still vary from unit to unit.
  static bool reads_values(const Fragment& f) {
    const auto& b = f.bytes();
    Instruction ins;
    for (uint32_t pc = 0; decode_instruction(b, pc, static_cast<uint32_t>(b.size()), ins) == DecodeStatus::Ok; pc = ins.next())
      if (ins.op == Op::NODE || ins.op == Op::PARAM) return true;
    return false;
  }

  // A negative amount written out in a deduction adds points, and in a bonus takes them.
  void warn_negative(const Expr* amount) {
    if (!amount) return;
    auto check = [&](const Expr& e) {
      if (auto* u = std::get_if<ast::Unary>(&e.node); u && u->op == ast::UnaryOp::Neg && std::holds_alternative<ast::Number>(u->operand->node))
        s_.warning(e.span, tr(Msg::low_negative_amount), tr(Msg::low_negative_amount_hint));
    };
    check(*amount);
    if (auto* b = std::get_if<ast::ByValue>(&amount->node)) {
      for (const auto& arm : b->arms) check(*arm.amount);
      if (b->otherwise) check(*b->otherwise);
    }
  }

  CompilerState& s_;
  int depth_in_rank_ = 0, depth_in_condition_ = 0, aggregates_in_item_ = 0;
  ast::Span current_item_span_;
  CategoryRole current_role_ = CategoryRole::None;
  DateBounds bounds_;
  BothLanguages bounds_desc_;  // the item's 自 / 至, for its accumulators' descriptions
  std::string current_item_;
  std::set<std::string> declared_;
  std::unordered_map<const void*, uint32_t> node_of_;  // declaration in the AST -> its node
  std::set<const ast::Binary*> guarded_;               // divisions under 分母为零时
  uint32_t clamped_node_ = 0;
  PeriodKind period_ = PeriodKind::None;  // the sub-periods the rule being lowered is scored by
  PeriodCombine combine_ = PeriodCombine::Sum;
  int32_t period_records_ = -1;  // for 仅有记录的期: the periodic count of the rule's records
  uint32_t records_acc_ = 0;     // the periodic count of the rule's records (read by PERIOD_MEAN)
};

CodeRange append_code(Program& p, const Fragment& f) {
  CodeRange r;
  r.begin = static_cast<uint32_t>(p.code.size());
  for (const auto& e : f.lines()) p.lines.push_back({r.begin + e.offset, e.line});
  p.code.insert(p.code.end(), f.bytes().begin(), f.bytes().end());
  p.code.push_back(static_cast<uint8_t>(Op::HALT));
  r.end = static_cast<uint32_t>(p.code.size());
  return r;
}

}  // namespace

void lower_rules(CompilerState& s) { Lowering(s).run(); }

namespace {

// The nodes a task reads and stores. Cross-unit steps also read whether units are assessed.
void task_nodes(const Program& p, const Task& t, std::vector<uint32_t>& reads, std::vector<uint32_t>& writes) {
  if (t.is_code) {
    const auto& b = t.code.bytes();
    Instruction ins;
    for (uint32_t pc = 0; decode_instruction(b, pc, static_cast<uint32_t>(b.size()), ins) == DecodeStatus::Ok; pc = ins.next()) {
      const Op op = ins.op;
      if (op == Op::NODE || op == Op::STORE || op == Op::PERIOD_NODE || op == Op::PERIOD_STORE || op == Op::PERIOD_SUM ||
          op == Op::PERIOD_MEAN)
        (op == Op::STORE || op == Op::PERIOD_STORE ? writes : reads).push_back(static_cast<uint32_t>(ins.operands[0]));
    }
    return;
  }
  const Step& st = t.step;
  reads.push_back(st.input);
  if (st.kind == StepKind::Mean) reads.push_back(st.condition);
  if (st.filter >= 0) reads.push_back(static_cast<uint32_t>(st.filter));
  if (p.assessed_node >= 0) reads.push_back(static_cast<uint32_t>(p.assessed_node));
  writes.push_back(st.output);
  if (st.rank_node >= 0) writes.push_back(static_cast<uint32_t>(st.rank_node));
}

// Orders the tasks so that each comes after the tasks storing what it reads, keeping the
// rulebook's order wherever the dependencies allow (so the same rulebook always gives the
// same program). Returns false, with an error naming the values involved, on a cycle.
bool order_tasks(CompilerState& s, std::vector<size_t>& order) {
  const size_t n = s.tasks.size();
  std::vector<std::vector<uint32_t>> reads(n), writes(n);
  std::vector<int64_t> writer(s.program.nodes.size(), -1);
  for (size_t i = 0; i < n; ++i) {
    task_nodes(s.program, s.tasks[i], reads[i], writes[i]);
    for (uint32_t w : writes[i])
      if (writer[w] < 0) writer[w] = static_cast<int64_t>(i);
  }
  std::vector<std::vector<size_t>> after(n);
  std::vector<size_t> waiting(n, 0);
  for (size_t i = 0; i < n; ++i) {
    std::set<size_t> deps;
    for (uint32_t r : reads[i])
      if (writer[r] >= 0 && static_cast<size_t>(writer[r]) != i) deps.insert(static_cast<size_t>(writer[r]));
    for (size_t d : deps) after[d].push_back(i);
    waiting[i] = deps.size();
  }
  std::set<size_t> ready;
  for (size_t i = 0; i < n; ++i)
    if (waiting[i] == 0) ready.insert(i);
  while (!ready.empty()) {
    size_t i = *ready.begin();
    ready.erase(ready.begin());
    order.push_back(i);
    for (size_t j : after[i])
      if (--waiting[j] == 0) ready.insert(j);
  }
  if (order.size() == n) return true;
  // Walk back from a waiting task through waiting writers until a task repeats: a cycle.
  size_t at = 0;
  while (waiting[at] == 0) ++at;
  std::vector<size_t> path;
  std::vector<int64_t> seen(n, -1);
  while (seen[at] < 0) {
    seen[at] = static_cast<int64_t>(path.size());
    path.push_back(at);
    for (uint32_t r : reads[at]) {
      if (writer[r] >= 0 && waiting[static_cast<size_t>(writer[r])] > 0 && static_cast<size_t>(writer[r]) != at) {
        at = static_cast<size_t>(writer[r]);
        break;
      }
    }
  }
  std::vector<std::string> names;
  for (size_t k = static_cast<size_t>(seen[at]); k < path.size(); ++k) {
    const std::string& label = s.tasks[path[k]].label;
    if (names.empty() || names.back() != label) names.push_back(label);
  }
  if (names.size() > 1 && names.front() == names.back()) names.pop_back();
  std::string chain = tr(Msg::low_cycle_uses, names.front());
  for (size_t k = 1; k < names.size(); ++k) chain += tr(Msg::low_cycle_which_uses, names[k]);
  chain += names.front();
  s.error(s.tasks[path[static_cast<size_t>(seen[at])]].span,
          tr(Msg::low_cycle, chain), tr(Msg::low_cycle_hint));
  return false;
}

}  // namespace

void lay_out(CompilerState& s) {
  Program& p = s.program;
  std::vector<size_t> order;
  if (!order_tasks(s, order)) return;
  for (size_t t = 0; t < p.events.size(); ++t) {
    Fragment all;
    for (const auto& f : s.handlers[t]) all.append(f);
    p.events[t].handler = append_code(p, all);
  }
  Fragment pending;
  PeriodKind pending_period = PeriodKind::None;
  auto flush = [&]() {
    if (pending.empty()) return;
    Step step;
    step.kind = StepKind::UnitCode;
    step.period = pending_period;
    step.code = append_code(p, pending);
    p.steps.push_back(std::move(step));
    pending = Fragment();
  };
  for (size_t i : order) {
    auto& task = s.tasks[i];
    if (task.is_code) {
      // Code run per sub-period is a step of its own kind.
      if (task.period != pending_period) flush();
      pending_period = task.period;
      pending.append(task.code);
    } else {
      flush();
      p.steps.push_back(std::move(task.step));
    }
  }
  flush();
}

}  // namespace rb
