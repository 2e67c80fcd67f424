#include "disasm.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>

#include "rbc_file.hpp"

namespace rb {

namespace {

std::string count_of(uint64_t n, std::string_view noun) { return fmt::format("{} {}{}", n, noun, n == 1 ? "" : "s"); }

// The exact value: a decimal when it has one with at most 18 places (what format_decimal
// can print), otherwise the fraction, so 1/3 is never shown as 0.33.
std::string exact(Rational r) {
  if (r.den <= 0) return fmt::format("{}/{}", r.num, r.den);
  int64_t rest = r.den;
  int twos = 0, fives = 0;
  for (; rest % 2 == 0; rest /= 2) ++twos;
  for (; rest % 5 == 0; rest /= 5) ++fives;
  const int places = std::max(twos, fives);
  if (rest == 1 && places <= 18) return format_decimal(r, places);
  return fmt::format("{}/{}", r.num, r.den);
}

std::string day(int32_t days) { return day_in_range(days) ? format_date(days) : fmt::format("day {}", days); }

// Value sets can be long; a listing line shows the first few members.
std::string members(const std::vector<Rational>& values) {
  constexpr size_t kShown = 6;
  std::string text;
  for (size_t i = 0; i < values.size() && i < kShown; ++i) text += (i ? ", " : "") + exact(values[i]);
  if (values.size() > kShown) text += fmt::format(", ... ({} in all)", values.size());
  return "{" + text + "}";
}

class Listing {
 public:
  explicit Listing(const Program& p) : p_(p) {}

  std::string run() && {
    header();
    for (size_t i = 0; i < p_.events.size(); ++i) event(i);
    for (size_t i = 0; i < p_.steps.size(); ++i) step(i);
    return std::move(out_);
  }

 private:
  template <class... A>
  void line(fmt::format_string<A...> format, A&&... args) {
    fmt::format_to(std::back_inserter(out_), format, std::forward<A>(args)...);
    out_ += '\n';
  }

  void header() {
    line("rulebook \"{}\" ({})", p_.title, p_.source_name);
    line("period {} to {}", day(p_.period_from), day(p_.period_to));
    line("score: base {}, range {} to {}", exact(p_.base_score), exact(p_.score_low), exact(p_.score_high));
    for (size_t i = 0; i < p_.params.size(); ++i)
      line("parameter {} \"{}\" = {}", i, p_.params[i].name, exact(p_.params[i].value));
    line("{}, {}, {}, {}, {}, {}, {}, {} of code", count_of(p_.units.size(), "unit"),
         count_of(p_.tables.size(), "table"), count_of(p_.events.size(), "event type"),
         count_of(p_.accumulators.size(), "accumulator"), count_of(p_.nodes.size(), "node"),
         count_of(p_.steps.size(), "step"), count_of(p_.constants.size(), "constant"),
         count_of(p_.code.size(), "byte"));
  }

  void event(size_t index) {
    const EventTypeDef& e = p_.events[index];
    std::string fields;
    for (size_t i = 0; i < e.fields.size(); ++i) fields += fmt::format("{}{} {}", i ? ", " : "", i, e.fields[i].name);
    line("");
    line("event type {} \"{}\": fields {}", index, e.name, fields.empty() ? "(none)" : fields);
    block(e.handler, &e);
  }

  static constexpr const char* kPeriodWords[] = {"", "week", "month", "quarter", "half year"};

  void step(size_t index) {
    const Step& s = p_.steps[index];
    line("");
    switch (s.kind) {
      case StepKind::UnitCode:
        if (s.period == PeriodKind::None) line("step {}: unit code", index);
        else line("step {}: unit code per {}", index, kPeriodWords[static_cast<int>(s.period) % 5]);
        block(s.code, nullptr);
        break;
      case StepKind::Mean:
        line("step {}: mean of {} over units where {} is non-zero, into {}", index, node(s.input), node(s.condition),
             node(s.output));
        break;
      case StepKind::Rank:
        line("step {}: {}", index, rank(s));
        break;
      case StepKind::Aggregate: {
        static constexpr const char* kAgg[] = {"mean", "highest", "lowest", "sum", "count of non-zero"};
        line("step {}: {} of {} over {}{}, into {}", index, kAgg[static_cast<int>(s.agg) % 5], node(s.input), scope(s),
             s.filter >= 0 ? fmt::format(" where {} is non-zero", node(static_cast<uint32_t>(s.filter))) : "",
             node(s.output));
        break;
      }
    }
  }

  std::string scope(const Step& s) const {
    switch (s.scope) {
      case ScopeKind::All: return "all units";
      case ScopeKind::OwnClass: return "each unit's class";
      case ScopeKind::UnitSet:
        return named("unit set", s.scope_set, p_.unit_sets, [](const UnitSet& u) { return u.name; });
    }
    return "";
  }

  std::string rank(const Step& s) const {
    std::string text = fmt::format("rank {}, {} first, {} ties", node(s.input), s.descending ? "highest" : "lowest",
                                   s.tie == TieKind::Dense ? "dense" : "competition");
    if (s.scope != ScopeKind::All) text += fmt::format(" within {}", scope(s));
    if (s.filter >= 0) text += fmt::format(", only where {} is non-zero", node(static_cast<uint32_t>(s.filter)));
    if (s.has_skip) text += fmt::format(", skipping {}", exact(s.skip));
    text += fmt::format(", into {}", node(s.output));
    if (s.rank_node >= 0) text += fmt::format(", ranks into {}", node(static_cast<uint32_t>(s.rank_node)));
    static constexpr const char* kPlace[] = {"rank", "top", "bottom", "bottom percent"};
    for (size_t i = 0; i < s.awards.size(); ++i)
      text += fmt::format("{}{} {} -> {}", i ? ", " : "; awards ", kPlace[static_cast<int>(s.awards[i].kind) % 4],
                          s.awards[i].n, exact(s.awards[i].amount));
    return text;
  }

  // ---- code

  void block(CodeRange range, const EventTypeDef* event) {
    if (range.begin > range.end || range.end > p_.code.size()) {
      line("  (code range [{}, {}) lies outside the code)", range.begin, range.end);
      return;
    }
    uint32_t shown_line = 0;
    for (uint32_t offset = range.begin; offset < range.end;) {
      const uint32_t source = source_line(range, offset);
      if (source != 0 && source != shown_line) line("  ; line {}", source);
      if (source == 0 && shown_line != 0) line("  ; no rulebook line: the score formula");
      shown_line = source;

      Instruction ins;
      const DecodeStatus status = decode_instruction(p_.code, offset, range.end, ins);
      if (status == DecodeStatus::BadOpcode) {
        line("  {:04}  {:<23}; unknown opcode 0x{:02X}", offset, "??", p_.code[offset]);
        return;
      }
      if (status == DecodeStatus::Truncated) {
        line("  {:04}  {:<14}; runs past the end of the code block", offset, kOpNames[p_.code[offset]]);
        return;
      }
      instruction(ins, event);
      offset = ins.next();
    }
  }

  // The line of the last entry at or before `offset` within the block; 0 when unknown.
  uint32_t source_line(CodeRange range, uint32_t offset) const {
    auto after = std::upper_bound(p_.lines.begin(), p_.lines.end(), offset,
                                  [](uint32_t o, const LineEntry& e) { return o < e.offset; });
    if (after == p_.lines.begin()) return 0;
    const LineEntry& entry = *std::prev(after);
    return entry.offset >= range.begin ? entry.line : 0;
  }

  // "  0012  ACC_KEY_MAX   3 5      ; accumulator 3 (worst), field 5 (item)". The operands
  // are decoded from the opcode table's layout; only their annotations depend on the op.
  void instruction(const Instruction& ins, const EventTypeDef* event) {
    const OpSemantics sem = op_semantics(ins.op);
    std::string operands, comment;
    for (int i = 0; i < ins.operand_count; ++i) {
      const bool jump = sem.operands[i] == OperandRef::Jump;
      if (i > 0) operands += ' ';
      operands += jump ? fmt::format("{:+}", ins.operands[i]) : fmt::format("{}", ins.operands[i]);
      const std::string note = annotate(ins, i, sem.operands[i], event);
      if (!note.empty()) comment += (comment.empty() ? "" : ", ") + note;
    }
    std::string text = fmt::format("  {:04}  {:<14}{:<9}", ins.offset, kOpNames[static_cast<int>(ins.op)], operands);
    if (comment.empty()) {
      text.erase(text.find_last_not_of(' ') + 1);
    } else {
      text += "; " + comment;
    }
    line("{}", text);
  }

  std::string annotate(const Instruction& ins, int i, OperandRef ref, const EventTypeDef* event) const {
    const auto index = static_cast<uint32_t>(ins.operands[i]);
    switch (ref) {
      case OperandRef::None:
        return "";
      case OperandRef::Jump:
        return fmt::format("to {:04}", ins.jump_target(i));
      case OperandRef::Constant:
        return named("constant", index, p_.constants, [](Rational c) { return exact(c); });
      case OperandRef::Param:
        return named("parameter", index, p_.params, [](const ParamDef& d) { return d.name; });
      case OperandRef::Node:
        return node(index);
      case OperandRef::UnitSet:
        return named("unit set", index, p_.unit_sets, [](const UnitSet& s) { return s.name; });
      case OperandRef::Accumulator:
        return named("accumulator", index, p_.accumulators, [](const AccumulatorDef& a) { return a.description.shown(); });
      case OperandRef::Coverage:
        return named("coverage point", index, p_.coverage, [](const CoveragePoint& c) { return c.item + ": " + c.what.shown(); });
      case OperandRef::ValueSet:
        if (index >= p_.value_sets.size()) return fmt::format("value set {} (out of range)", index);
        return fmt::format("value set {} {}", index, members(p_.value_sets[index]));
      case OperandRef::RoundMode: {
        static constexpr const char* kModes[] = {"half away from zero", "up", "down"};
        return index <= 2 ? kModes[index] : fmt::format("mode {} (unknown)", index);
      }
      case OperandRef::RoundPlaces:
        return fmt::format("{} decimals", index);
      case OperandRef::PeriodMode: {
        static constexpr const char* kModes[] = {"all sub-periods", "sub-periods with records", "sub-periods it existed"};
        return index <= 2 ? kModes[index] : fmt::format("mode {} (unknown)", index);
      }
      case OperandRef::Field:
        // Field names belong to the event type; unit code has no record to name them by.
        if (!event) return fmt::format("field {}", index);
        return named("field", index, event->fields, [](const FieldDef& f) { return f.name; });
    }
    return "";
  }

  std::string node(uint32_t index) const {
    return named("node", index, p_.nodes, [](const NodeDef& n) { return n.name; });
  }

  template <class T, class Describe>
  static std::string named(std::string_view noun, uint32_t index, const std::vector<T>& items, Describe describe) {
    if (index >= items.size()) return fmt::format("{} {} (out of range)", noun, index);
    return fmt::format("{} {} ({})", noun, index, describe(items[index]));
  }

  const Program& p_;
  std::string out_;
};

}  // namespace

std::string disassemble(const Program& p) { return Listing(p).run(); }

}  // namespace rb
