// The record validator shared by every input format: see reader.hpp for what it checks and
// the messages, reader_impl.hpp for the layout.
#include <fmt/format.h>

#include "reader_impl.hpp"

namespace rb {

namespace input {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

bool json_number_ok(std::string_view t) {
  size_t i = 0, n = t.size();
  if (i < n && t[i] == '-') ++i;
  if (i >= n) return false;
  if (t[i] == '0') {
    ++i;
  } else if (t[i] >= '1' && t[i] <= '9') {
    while (i < n && is_digit(t[i])) ++i;
  } else {
    return false;
  }
  if (i < n && t[i] == '.') {
    ++i;
    if (i >= n || !is_digit(t[i])) return false;
    while (i < n && is_digit(t[i])) ++i;
  }
  if (i < n && (t[i] == 'e' || t[i] == 'E')) {
    ++i;
    if (i < n && (t[i] == '+' || t[i] == '-')) ++i;
    if (i >= n || !is_digit(t[i])) return false;
    while (i < n && is_digit(t[i])) ++i;
  }
  return i == n;
}

bool parse_date(std::string_view t, int32_t& days, bool& shape) {
  // YYYY-MM-DD, as programs write it, first: most records are read here.
  if (t.size() == 10 && t[4] == '-' && t[7] == '-' && is_digit(t[0]) && is_digit(t[1]) && is_digit(t[2]) &&
      is_digit(t[3]) && is_digit(t[5]) && is_digit(t[6]) && is_digit(t[8]) && is_digit(t[9])) {
    shape = true;
    const int32_t y = (t[0] - '0') * 1000 + (t[1] - '0') * 100 + (t[2] - '0') * 10 + (t[3] - '0');
    const int32_t m = (t[5] - '0') * 10 + (t[6] - '0'), d = (t[8] - '0') * 10 + (t[9] - '0');
    if (!valid_date(y, m, d)) return false;
    days = days_from_civil(y, m, d);
    return true;
  }
  // The time of day after a date (" 10:30", "T10:30:00", " 10:30:00.000") is ignored.
  if (const size_t cut = t.find_first_of(" T"); cut != std::string_view::npos) {
    const std::string_view time = trim(t.substr(cut + 1));
    shape = !time.empty() && time.find_first_not_of("0123456789:.") == std::string_view::npos && time.find(':') != std::string_view::npos;
    if (!shape) return false;
    t = trim(t.substr(0, cut));
  }
  // YYYY then month and day of one or two digits, separated by '-', '/' or '.', or written
  // YYYY年M月D日. The separators must agree.
  size_t i = 0;
  auto number = [&](size_t max_digits, int32_t& out) {
    size_t n = 0;
    out = 0;
    while (i < t.size() && n < max_digits && is_digit(t[i])) out = out * 10 + (t[i++] - '0'), ++n;
    return n;
  };
  auto take = [&](std::string_view sep) {
    if (t.substr(i, sep.size()) != sep) return false;
    i += sep.size();
    return true;
  };
  int32_t y = 0, m = 0, d = 0;
  shape = number(4, y) == 4;
  if (shape) {
    const std::string_view seps[] = {"-", "/", ".", "年"};
    std::string_view sep;
    for (std::string_view s : seps)
      if (t.substr(i, s.size()) == s) sep = s;
    const bool chinese = sep == "年";
    shape = !sep.empty() && take(sep) && number(2, m) > 0 && take(chinese ? "月" : sep) && number(2, d) > 0 &&
            (!chinese || take("日")) && i == t.size();
  }
  if (!shape || !valid_date(y, m, d)) return false;
  days = days_from_civil(y, m, d);
  return true;
}

}  // namespace input

namespace {

// Decodes UTF-8 into code points for edit distances (invalid bytes count as one each).
void decode_utf8(std::string_view s, std::vector<uint32_t>& out) {
  out.clear();
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    int len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
    if (i + len > s.size()) len = 1;
    uint32_t cp = len == 1 ? c : (c & (0x7F >> len));
    for (int k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    out.push_back(cp);
    i += len;
  }
}

size_t edit_distance(const std::vector<uint32_t>& a, const std::vector<uint32_t>& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({sub, prev[j] + 1, cur[j - 1] + 1});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

// The candidate nearest to `input` when it is close enough to be a likely typo.
class Nearest {
 public:
  explicit Nearest(std::string_view input) {
    decode_utf8(input, in_);
    limit_ = std::max<size_t>(1, in_.size() / 3);
    enabled_ = in_.size() <= 200;
  }
  void offer(std::string_view candidate) {
    if (!enabled_) return;
    decode_utf8(candidate, cand_);
    if (cand_.size() > in_.size() + limit_ || in_.size() > cand_.size() + limit_) return;
    size_t d = edit_distance(in_, cand_);
    if (d == 0 || d > limit_ || d >= cand_.size() || d >= best_) return;
    best_ = d;
    best_text_.assign(candidate);
  }
  // " (did you mean X?)" or "".
  std::string hint(bool parenthesize = false) const {
    if (best_text_.empty()) return {};
    return tr(parenthesize ? Msg::did_you_mean_tuple : Msg::did_you_mean, best_text_);
  }

 private:
  std::vector<uint32_t> in_, cand_;
  size_t limit_ = 1;
  size_t best_ = SIZE_MAX;
  bool enabled_ = true;
  std::string best_text_;
};

}  // namespace

namespace input {

std::string show(std::string_view s) {
  std::string out;
  size_t cps = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if ((c & 0xC0) != 0x80) {
      if (++cps > 60) {
        out += "…";
        break;
      }
    }
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7F) {
      out += fmt::format("\\x{:02X}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

bool excel_serial_date(std::string_view t, int32_t& days, bool& shape) {
  // Excel counts days from 1899-12-31 as day 1 and, as Lotus 1-2-3 did, has a 1900-02-29
  // (day 60); from day 61 on a serial is the days since 1899-12-30. A fraction is the time.
  const size_t dot = t.find('.');
  const std::string_view whole = t.substr(0, dot);
  shape = !whole.empty() && whole.size() <= 7 && whole.find_first_not_of("0123456789") == std::string_view::npos &&
          (dot == std::string_view::npos || t.substr(dot + 1).find_first_not_of("0123456789") == std::string_view::npos);
  if (!shape) return false;
  int32_t serial = 0;
  for (char c : whole) serial = serial * 10 + (c - '0');
  if (serial < 1 || serial == 60 || serial > 2958465) return false;  // 2958465 is 9999-12-31
  days = (serial < 60 ? days_from_civil(1899, 12, 31) : days_from_civil(1899, 12, 30)) + serial;
  return true;
}

}  // namespace input

uint32_t EventReader::Impl::name_id(const std::string& name) {
  int64_t found = name_ids.find(name);
  if (found >= 0) return static_cast<uint32_t>(found);
  auto id = static_cast<uint32_t>(names.size());
  names.push_back(name);
  name_ids.insert(name, id);
  return id;
}

// Column headers and type values may be display names: 类型 and 日期 for type and date, an
// event type's or a field's own, and for a table key's input fields the table's column names
// in order (账号: 新媒体账号(platform, account) reads 新媒体类型 as platform). Codes come
// first, so a display name never hides a code.
void EventReader::Impl::add_display_names() {
  name_ids.insert("类型", name_type);
  name_ids.insert("日期", name_date);
  for (uint32_t t = 0; t < program.events.size(); ++t) {
    const EventTypeDef& ev = program.events[t];
    if (!ev.display.empty()) type_ids.insert(ev.display, t);
    for (const FieldDef& f : ev.fields) {
      if (!f.display.empty()) name_ids.insert(f.display, static_cast<uint32_t>(name_ids.find(f.name)));
      if (f.kind != FieldKind::TableKey || f.ref >= program.tables.size()) continue;
      const TableDef& table = program.tables[f.ref];
      for (size_t k = 0; k < f.key_fields.size() && k < table.columns.size(); ++k)
        name_ids.insert(table.columns[k], static_cast<uint32_t>(name_ids.find(f.key_fields[k])));
    }
  }
}

void EventReader::Impl::build() {
  name_type = name_id("type");
  name_date = name_id("date");

  std::vector<std::string> unit_names;  // names of Unit fields anywhere, plus "unit"
  for (const auto& ev : program.events)
    for (const auto& f : ev.fields)
      if (f.kind == FieldKind::Unit &&
          std::find(unit_names.begin(), unit_names.end(), f.name) == unit_names.end())
        unit_names.push_back(f.name);
  if (std::find(unit_names.begin(), unit_names.end(), "unit") == unit_names.end())
    unit_names.push_back("unit");

  for (uint32_t i = 0; i < program.units.size(); ++i) unit_ids.insert(program.units[i], i);
  for (const auto& [alias, unit] : program.aliases)
    if (unit < program.units.size()) unit_ids.insert(alias, unit);

  for (const auto& en : program.enums) {
    EnumPlan plan;
    for (uint32_t sym : en.members) {
      if (sym >= symbols.size()) continue;
      plan.members.insert(symbols.text(sym), sym);
      if (!plan.listing.empty()) plan.listing += rb::text(Msg::list_separator);
      plan.listing += symbols.text(sym);
    }
    // A member may also be given by its display name (after every code, so a code wins).
    for (size_t m = 0; m < en.displays.size() && m < en.members.size(); ++m) {
      if (en.displays[m].empty() || en.members[m] >= symbols.size()) continue;
      plan.members.insert(en.displays[m], en.members[m]);
    }
    enums.push_back(std::move(plan));
  }
  for (const auto& table : program.tables)
    for (const auto& row : table.rows)
      for (uint32_t sym : row.keys)
        if (sym < symbols.size()) key_symbols.insert(symbols.text(sym), sym);
  tables.resize(program.tables.size());
  for (size_t t = 0; t < program.tables.size(); ++t) tables[t].build(program.tables[t]);

  uint64_t constraint_id = 0;
  for (uint32_t t = 0; t < program.events.size(); ++t) {
    const EventTypeDef& ev = program.events[t];
    type_ids.insert(ev.name, t);
    TypePlan plan;
    std::vector<std::string_view> declared;
    const size_t nslots = std::min<size_t>(ev.fields.size(), kMaxFields);
    for (size_t s = 0; s < nslots; ++s) {
      const FieldDef& f = ev.fields[s];
      SlotPlan sp;
      sp.kind = f.kind;
      sp.ref = f.ref;
      sp.optional = f.optional;
      sp.name = name_id(f.name);
      declared.push_back(f.name);
      if (f.kind == FieldKind::TableKey) {
        if (f.key_fields.empty()) {
          sp.key_names.push_back(sp.name);
        } else {
          for (const auto& k : f.key_fields) {
            sp.key_names.push_back(name_id(k));
            declared.push_back(k);
          }
        }
        sp.valid_ref = f.ref < program.tables.size();
      } else if (f.kind == FieldKind::Enum) {
        sp.valid_ref = f.ref < program.enums.size();
      }
      plan.slots.push_back(std::move(sp));
    }
    if (ev.key_field >= 0 && ev.unit_field < 0) {
      for (const auto& un : unit_names)
        if (std::find(declared.begin(), declared.end(), un) == declared.end())
          plan.other_unit_names.push_back(name_id(un));
    }
    for (const auto& u : ev.unique) {
      Constraint c;
      c.id = constraint_id++;
      c.slots = u;
      plan.uniques.push_back(std::move(c));
    }
    types.push_back(std::move(plan));
  }
  add_display_names();
  values.assign(names.size(), Value{});
}

// A text-like value (string or number as written); reports booleans, arrays, objects.
bool EventReader::Impl::text_of(const Value& v, uint32_t name, std::string_view& out) {
  if (v.kind == VKind::Other) {
    report_field(line, name, [&] { return tr(Msg::field_not_string, names[name], v.what); });
    return false;
  }
  out = v.text;
  return true;
}

bool EventReader::Impl::resolve_unit(std::string_view text, uint32_t& unit) {
  int64_t found = unit_ids.find(text);
  if (found < 0) return false;
  unit = static_cast<uint32_t>(found);
  return true;
}

std::string EventReader::Impl::unknown_unit_message(std::string_view text) {
  Nearest near(text);
  for (const auto& u : program.units) near.offer(u);
  for (const auto& a : program.aliases) near.offer(a.first);
  return tr(Msg::unknown_unit, show(text), near.hint());
}

void EventReader::Impl::report_unknown_unit(uint32_t name, std::string_view text) {
  const size_t kept = errors.size();
  report_field(line, name, [&] { return unknown_unit_message(text); });
  if (errors.size() > kept) errors.back().unknown_unit = std::string(text);
}

std::string EventReader::Impl::row_key_text(const TableDef& table, uint32_t row) const {
  std::string out;
  for (uint32_t sym : table.rows[row].keys) {
    if (!out.empty()) out += ", ";
    out += sym < symbols.size() ? symbols.text(sym) : "?";
  }
  return out;
}

// "(a, b)" for a key of several fields, "'a'" for one.
std::string EventReader::Impl::input_key_text(const SlotPlan& sp) const {
  std::string out;
  for (uint32_t k : sp.key_names) {
    if (!out.empty()) out += ", ";
    const Value& v = values[k];
    out += show(v.text);
  }
  return sp.key_names.size() == 1 ? "'" + out + "'" : "(" + out + ")";
}

std::string EventReader::Impl::row_display(const TableDef& table, uint32_t row, size_t nkeys) const {
  std::string keys = row_key_text(table, row);
  return nkeys == 1 ? keys : "(" + keys + ")";
}

void EventReader::Impl::validate() {
  const Value* tv = get(name_type);
  int64_t type = -1;
  if (tv == nullptr) {
    report(line, [] { return std::string(rb::text(Msg::missing_type_field)); });
  } else {
    std::string_view text;
    if (text_of(*tv, name_type, text)) {
      type = type_ids.find(text);
      if (type < 0) {
        const size_t kept = errors.size();
        report_field(line, name_type, [&] {
          Nearest near(text);
          for (const auto& ev : program.events) {
            near.offer(ev.name);
            if (!ev.display.empty()) near.offer(ev.display);
          }
          return tr(Msg::unknown_event_type, show(text), near.hint());
        });
        if (errors.size() > kept) errors.back().unknown_type = std::string(text);
      }
    }
  }

  int32_t date = 0;
  bool date_ok = read_date(name_date, /*optional=*/false, date);

  if (type < 0) return;
  const TypePlan& plan = types[static_cast<size_t>(type)];
  const EventTypeDef& ev = program.events[static_cast<size_t>(type)];
  rec.type = static_cast<uint32_t>(type);
  rec.date = date;
  rec.unit = 0;
  rec.row = 0;
  rec.present = 0;
  // Slots past this type's fields may hold values of an earlier record: clear them.
  for (size_t s = plan.slots.size(); s < filled_slots; ++s) rec.fields[s] = Rational();
  filled_slots = plan.slots.size();
  int64_t key_row = -1;
  int64_t first_key_row = -1;  // row of the first table key, when no key gives the unit

  for (size_t s = 0; s < plan.slots.size(); ++s) {
    const SlotPlan& sp = plan.slots[s];
    // An absent optional text, enum, unit or key equals no value at all (-1 is no symbol),
    // so `level = province` is false for a record without a level; an absent number is 0.
    rec.fields[s] = sp.kind == FieldKind::Number || sp.kind == FieldKind::Date ? Rational() : Rational(-1);
    slot_text[s] = {};
    const uint32_t bit = 1u << s;
    if (sp.kind == FieldKind::TableKey) {
      int64_t row = read_key(sp);
      if (row >= 0) {
        rec.fields[s] = Rational(row);
        rec.present |= bit;
        if (static_cast<int32_t>(s) == ev.key_field) key_row = row;
        if (ev.key_field < 0 && first_key_row < 0) first_key_row = row;
      }
      continue;
    }
    const Value* v = get(sp.name);
    if (v == nullptr) {
      if (!sp.optional)
        report_field(line, sp.name, [&] { return tr(Msg::missing_field, names[sp.name]); });
      continue;
    }
    switch (sp.kind) {
      case FieldKind::Date: {
        int32_t d = 0;
        if (read_date(sp.name, sp.optional, d)) {
          rec.fields[s] = Rational(d);
          rec.present |= bit;
        }
        break;
      }
      case FieldKind::Number: {
        if (v->kind == VKind::Other) {
          std::string_view ignored;
          text_of(*v, sp.name, ignored);
          break;
        }
        auto number = parse_decimal(v->text);
        if (json_number_ok(v->text) && v->text.find_first_of("eE") == std::string_view::npos &&
            decimal_places(v->text) > kMaxInputDecimals) {
          report_field(line, sp.name, [&] {
            return tr(Msg::field_too_many_decimals, names[sp.name], show(v->text), kMaxInputDecimals);
          });
          break;
        }
        if (!number) {
          report_field(line, sp.name, [&] {
            bool json_like = json_number_ok(v->text);
            bool has_exp = v->text.find_first_of("eE") != std::string_view::npos;
            const char* why = !json_like ? ""
                              : has_exp  ? rb::text(Msg::number_exponent)
                                         : rb::text(Msg::number_too_precise);
            return tr(Msg::field_not_number, names[sp.name], show(v->text), why);
          });
          break;
        }
        rec.fields[s] = *number;
        rec.present |= bit;
        break;
      }
      case FieldKind::Unit: {
        std::string_view text;
        if (!text_of(*v, sp.name, text)) break;
        uint32_t unit = 0;
        if (!resolve_unit(text, unit)) {
          report_unknown_unit(sp.name, text);
          break;
        }
        rec.fields[s] = Rational(unit);
        rec.present |= bit;
        break;
      }
      case FieldKind::Text: {
        std::string_view text;
        if (!text_of(*v, sp.name, text)) break;
        slot_text[s] = text;  // interned once the record is known to be good
        rec.present |= bit;
        break;
      }
      case FieldKind::Enum: {
        std::string_view text;
        if (!text_of(*v, sp.name, text)) break;
        if (!sp.valid_ref) {
          report(line, [&] { return tr(Msg::field_missing_enum, names[sp.name]); });
          break;
        }
        const EnumPlan& en = enums[sp.ref];
        const int64_t member = en.members.find(text);
        if (member >= 0) {
          rec.fields[s] = Rational(member);
          rec.present |= bit;
        } else {
          report_field(line, sp.name, [&] {
            return tr(Msg::enum_not_member, names[sp.name], show(text), en.listing);
          });
        }
        break;
      }
      case FieldKind::TableKey:
        break;
    }
  }
  if (bad) return;

  // The record's unit.
  if (ev.key_field >= 0 && static_cast<size_t>(ev.key_field) < plan.slots.size() && key_row >= 0) {
    const SlotPlan& ksp = plan.slots[static_cast<size_t>(ev.key_field)];
    const TableDef& table = program.tables[ksp.ref];
    const auto& row = table.rows[static_cast<size_t>(key_row)];
    if (row.units.empty() || row.units[0] >= program.units.size()) {
      report(line, [&] {
        return tr(Msg::key_has_no_unit, names[ksp.name],
                  row_display(table, static_cast<uint32_t>(key_row), ksp.key_names.size()), table.name);
      });
      return;
    }
    const uint32_t row_unit = row.units[0];
    rec.row = static_cast<uint32_t>(key_row);
    rec.unit = row_unit;
    auto mismatch = [&](uint32_t field_name, std::string_view given) {
      report_field(line, field_name, [&] {
        return tr(Msg::key_unit_mismatch, names[field_name], show(given), names[ksp.name],
                  row_display(table, static_cast<uint32_t>(key_row), ksp.key_names.size()), program.units[row_unit]);
      });
    };
    if (ev.unit_field >= 0 && static_cast<size_t>(ev.unit_field) < plan.slots.size()) {
      const auto us = static_cast<size_t>(ev.unit_field);
      if (rec.present & (1u << us)) {
        auto given = static_cast<uint32_t>(rec.fields[us].num);
        if (given != row_unit) mismatch(plan.slots[us].name, get(plan.slots[us].name)->text);
      }
    }
    for (uint32_t un : plan.other_unit_names) {
      const Value* v = get(un);
      if (v == nullptr) continue;
      std::string_view text;
      if (!text_of(*v, un, text)) continue;
      uint32_t unit = 0;
      if (!resolve_unit(text, unit)) {
        report_unknown_unit(un, text);
      } else if (unit != row_unit) {
        mismatch(un, text);
      }
    }
  } else if (ev.unit_field >= 0 && static_cast<size_t>(ev.unit_field) < plan.slots.size() &&
             (rec.present & (1u << ev.unit_field))) {
    rec.unit = static_cast<uint32_t>(rec.fields[static_cast<size_t>(ev.unit_field)].num);
  }
  if (ev.key_field < 0 && first_key_row >= 0) rec.row = static_cast<uint32_t>(first_key_row);
  if (bad || !date_ok) return;

  for (size_t s = 0; s < plan.slots.size(); ++s)
    if (plan.slots[s].kind == FieldKind::Text && (rec.present & (1u << s)))
      rec.fields[s] = Rational(symbols.intern(slot_text[s]));

  if (chunk_out == nullptr) check_unique(plan, ev);  // a worker's chunk: checked in order when taken
}

bool EventReader::Impl::read_date(uint32_t name, bool optional, int32_t& days) {
  const Value* v = get(name);
  if (v == nullptr) {
    if (!optional) report_field(line, name, [&] { return tr(Msg::missing_field, names[name]); });
    return false;
  }
  std::string_view text;
  if (!text_of(*v, name, text)) return false;
  bool shape = false;
  if (v->kind == VKind::CellNumber ? excel_serial_date(text, days, shape) : parse_date(text, days, shape)) return true;
  report_field(line, name, [&] {
    return tr(shape ? Msg::field_not_calendar_date : Msg::field_not_date, names[name], show(text));
  });
  return false;
}

// Row index, or -1 (absent optional key, or an error reported).
int64_t EventReader::Impl::read_key(const SlotPlan& sp) {
  size_t given = 0;
  for (uint32_t k : sp.key_names)
    if (get(k) != nullptr) ++given;
  if (given == 0 && sp.optional) return -1;
  bool ok = true;
  for (uint32_t k : sp.key_names) {
    const Value* v = get(k);
    if (v == nullptr) {
      report_field(line, k, [&] { return tr(Msg::missing_field, names[k]); });
      ok = false;
    } else if (v->kind == VKind::Other) {
      std::string_view ignored;
      text_of(*v, k, ignored);
      ok = false;
    }
  }
  if (!ok) return -1;
  if (!sp.valid_ref) {
    report(line, [&] { return tr(Msg::field_missing_table, names[sp.name]); });
    return -1;
  }
  const TableDef& table = program.tables[sp.ref];
  key_syms.clear();
  bool known = true;
  for (uint32_t k : sp.key_names) {
    int64_t sym = key_symbols.find(values[k].text);
    if (sym < 0) {
      known = false;
      break;
    }
    key_syms.push_back(static_cast<uint32_t>(sym));
  }
  int64_t row = known ? tables[sp.ref].lookup(table, key_syms.data(), key_syms.size()) : -1;
  if (row >= 0) return row;
  report_field(line, sp.key_names.front(), [&] {
    std::string input = input_key_text(sp);
    std::string plain;
    for (uint32_t k : sp.key_names) {
      if (!plain.empty()) plain += ", ";
      plain += values[k].text;
    }
    Nearest near(plain);
    for (uint32_t r = 0; r < table.rows.size(); ++r) near.offer(row_key_text(table, r));
    return tr(Msg::unknown_key, names[sp.name], input, near.hint(sp.key_names.size() > 1));
  });
  return -1;
}

void EventReader::Impl::build_key(const Constraint& c, const TypePlan& plan) {
  key_words.clear();
  key_words.push_back(c.id);
  for (uint32_t s : c.slots) {
    if (s == kMaxFields) {
      key_words.push_back(static_cast<uint64_t>(static_cast<int64_t>(rec.date)));
      continue;
    }
    if (s >= plan.slots.size()) {
      key_words.push_back(0);
      continue;
    }
    const bool present = rec.present & (1u << s);
    if (plan.slots[s].kind == FieldKind::Number) {
      key_words.push_back(present ? static_cast<uint64_t>(rec.fields[s].num) : 0);
      key_words.push_back(present ? static_cast<uint64_t>(rec.fields[s].den) : 0);
    } else {
      key_words.push_back(static_cast<uint64_t>(present ? rec.fields[s].num : kAbsentWord));
    }
  }
}

std::string EventReader::Impl::slot_display(const TypePlan& plan, uint32_t s) const {
  if (s == kMaxFields) return format_date(rec.date);
  if (s >= plan.slots.size() || !(rec.present & (1u << s))) return "-";
  const SlotPlan& sp = plan.slots[s];
  const Rational v = rec.fields[s];
  switch (sp.kind) {
    case FieldKind::Unit:
      return program.units[static_cast<size_t>(v.num)];
    case FieldKind::Text:
    case FieldKind::Enum:
      return show(symbols.text(static_cast<uint32_t>(v.num)));
    case FieldKind::Number:
      return format_decimal(v, 18);
    case FieldKind::Date:
      return format_date(static_cast<int32_t>(v.num));
    case FieldKind::TableKey:
      return row_key_text(program.tables[sp.ref], static_cast<uint32_t>(v.num));
  }
  return "?";
}

void EventReader::Impl::check_unique(const TypePlan& plan, const EventTypeDef& ev) {
  if (plan.uniques.empty()) return;
  for (const Constraint& c : plan.uniques) {
    build_key(c, plan);
    const auto* first = uniques.find(key_words, UniqueSet::hash(key_words));
    if (first == nullptr) continue;
    report(line, [&] {
      std::string values_text;
      for (uint32_t s : c.slots) {
        if (!values_text.empty()) values_text += ", ";
        values_text += slot_display(plan, s);
      }
      const std::string& first_file = first->file < file_names.size() ? file_names[first->file] : *file;
      return tr(Msg::duplicate_record, ev.name, values_text, first_file, first->line);
    });
  }
  if (bad) return;
  for (const Constraint& c : plan.uniques) {
    build_key(c, plan);
    uniques.insert(key_words, UniqueSet::hash(key_words), rec.file, rec.line);
  }
}

void EventReader::Impl::finish_record(std::string_view raw, const FileCtx& ctx, RecordSink& sink) {
  if (chunk_out != nullptr) {
    chunk_out->add(rec, filled_slots, line, bad, utf8_bad, static_cast<uint32_t>(error_count - record_errors_from), raw);
    return;
  }
  if (bad) {
    ++stats.rejected;
    write_reject(raw, ctx);
    return;
  }
  if (rec.date >= program.period_from && rec.date <= program.period_to) {
    ++stats.in_period;
    sink.accept(rec);
  } else {
    ++stats.out_of_period;
    sink.ignored(rec);
  }
}

}  // namespace rb
