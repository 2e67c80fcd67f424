// The reviewer's checks: things that compile but that a careful reviewer of next year's
// rulebook would question. They are warnings (`rulebook check --strict` makes them errors).
#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <set>

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
    s.warning(subst->span, fmt::format("no unit can satisfy the condition of {}'s substitution: {} {} {} units", owner,
                                       in->registry.text, in->negated ? "holds all" : "holds no", members == 0 ? "" : "the"),
              "every unit would get the mean over no units, which is 0");
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
                fmt::format("{} {} has no cap", c->kind == ast::CategoryKind::Bonus ? "bonus category" : "category", c->name.text),
                fmt::format("write 上限 N after the name, or 不设上限 if {} really has none",
                            c->kind == ast::CategoryKind::Bonus ? "the bonus" : "it"));
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
              fmt::format("the caps of the deduction categories add up to {}, not to the starting score {}",
                          format_decimal(caps, 4), format_decimal(s.program.base_score, 4)),
              "check that every category's 上限 was updated together");

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
                  fmt::format("{} records are deducted by two items, {} and {}, with no exclusion between them: one record "
                              "may be deducted twice",
                              s.program.events[type].name, uses[j]->item, uses[i]->item),
                  "if that is the policy, ignore this; otherwise name a stream with 排除 同 id 的 ... for one of them");
      }
  }

  // Event types no clause reads.
  for (const auto& d : decls) {
    const auto* e = std::get_if<ast::EventType>(&d);
    if (!e) continue;
    auto it = s.event_index.find(e->name.text);
    if (it != s.event_index.end() && !s.type_used[it->second])
      s.warning(e->name.span, fmt::format("no rule uses {} records", e->name.text),
                "records of this type are checked and then ignored; remove it or add the clause that scores it");
  }
}

}  // namespace rb
