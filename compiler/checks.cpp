// The reviewer's checks: things that compile but that a careful reviewer of next year's
// rulebook would question. They are warnings (`rulebook check --strict` makes them errors).
#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <set>

#include "runtime/messages.hpp"
#include "state.hpp"

namespace rb {

namespace {

void substitution_condition(CompilerState& s, const std::optional<ast::Substitution>& subst, const std::string& owner) {
  if (!subst || !subst->cond) return;
  const auto* in = std::get_if<ast::UnitIn>(&subst->cond->node);
  if (!in) return;
  auto it = s.unit_set_index.find(in->registry.text);
  if (it == s.unit_set_index.end()) return;
  size_t members = s.program.unit_sets[it->second].units.size();
  bool never = in->negated ? members == s.program.units.size() : members == 0;
  if (never)
    s.warning(subst->span, tr(in->negated ? Msg::chk_subst_never_all : Msg::chk_subst_never_none, owner, in->registry.text),
              tr(Msg::chk_subst_never_hint));
}

void members(CompilerState& s, const std::vector<ast::Member>& ms) {
  for (const auto& m : ms) {
    if (auto* it = std::get_if<ast::Item>(&m)) {
      substitution_condition(s, it->substitution, it->name.text);
    } else {
      const auto& g = *std::get<std::unique_ptr<ast::Group>>(m);
      substitution_condition(s, g.substitution, g.name.text);
      members(s, g.members);
    }
  }
}

// Whether two items' time bounds (自 / 至) share a day: items that apply to different parts
// of the year cannot count one record twice.
bool overlap(const DateBounds& a, const DateBounds& b) {
  const int32_t lo = std::max(a.has_from ? a.from : INT32_MIN, b.has_from ? b.from : INT32_MIN);
  const int32_t hi = std::min(a.has_until ? a.until : INT32_MAX, b.has_until ? b.until : INT32_MAX);
  return lo <= hi;
}

}  // namespace

void review(CompilerState& s) {
  const auto& decls = s.rulebook.declarations;

  // Caps and the total they should make up.
  Rational caps(0);
  bool any_capped = false, all_capped = true;
  const ast::BaseScore* base = nullptr;
  const ast::Category* first_deduction = nullptr;
  for (const auto& d : decls) {
    if (auto* b = std::get_if<ast::BaseScore>(&d)) base = b;
    const auto* c = std::get_if<ast::Category>(&d);
    if (!c) continue;
    substitution_condition(s, c->substitution, c->name.text);
    members(s, c->members);
    if (c->kind == ast::CategoryKind::Veto) continue;
    if (!c->cap && !c->uncapped)
      s.warning(c->name.span,
                tr(c->kind == ast::CategoryKind::Bonus ? Msg::chk_bonus_no_cap : Msg::chk_category_no_cap, c->name.text),
                text(c->kind == ast::CategoryKind::Bonus ? Msg::chk_bonus_no_cap_hint : Msg::chk_category_no_cap_hint));
    if (c->kind != ast::CategoryKind::Deduction || c->uncapped) continue;
    if (!first_deduction) first_deduction = c;
    if (auto* n = c->cap ? std::get_if<ast::Number>(&c->cap->node) : nullptr) {
      if (auto v = parse_decimal(n->text)) {
        caps = caps + *v;
        any_capped = true;
      }
    } else {
      all_capped = false;
    }
  }
  if (any_capped && all_capped && !(caps == s.program.base_score))
    s.warning(base ? base->span : first_deduction->name.span,
              tr(Msg::chk_caps_sum, format_decimal(caps, 4), format_decimal(s.program.base_score, 4)),
              tr(Msg::chk_caps_sum_hint));

  // One event type deducted per record by two items, with no exclusion between them.
  std::map<uint32_t, std::vector<const ItemUse*>> deducting;
  for (const auto& u : s.uses)
    if (u.per_record_amount && u.role == CategoryRole::Deduction) deducting[u.type].push_back(&u);
  for (const auto& [type, uses] : deducting) {
    std::set<std::string> warned;
    for (size_t i = 0; i < uses.size(); ++i)
      for (size_t j = 0; j < i; ++j) {
        if (uses[i]->item == uses[j]->item || warned.count(uses[i]->item)) continue;
        bool excluded = uses[i]->excluder_type >= 0 || uses[j]->excluder_type >= 0;
        if (excluded || !overlap(uses[i]->bounds, uses[j]->bounds)) continue;
        warned.insert(uses[i]->item);
        s.warning(uses[i]->span,
                  tr(Msg::chk_deducted_twice, s.program.events[type].name, uses[j]->item, uses[i]->item),
                  tr(Msg::chk_deducted_twice_hint));
      }
  }

  // Event types no clause reads.
  for (const auto& d : decls) {
    const auto* e = std::get_if<ast::EventType>(&d);
    if (!e) continue;
    auto it = s.event_index.find(e->name.text);
    if (it != s.event_index.end() && !s.type_used[it->second])
      s.warning(e->name.span, tr(Msg::chk_event_unused, e->name.text), tr(Msg::chk_event_unused_hint));
  }
}

}  // namespace rb
