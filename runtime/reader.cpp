// Event reader: see reader.hpp for the behaviour and the messages.
//
// Layout: the constructor turns the Program into lookup plans (field names -> name ids,
// type names, units and aliases, enum member texts, an open-addressing index per table);
// each input record is first collected into `values_` (one entry per known field name,
// stamped with a generation number so nothing is cleared per record), then validated by
// one routine shared by JSON Lines and CSV. Steady state allocates nothing per record:
// strings are views into the file buffer, the simdjson string buffer or the CSV scratch;
// unique keys go into an arena-backed hash set of 64-bit words.
#include "reader.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string_view>
#include <unordered_map>

#include <fmt/format.h>
#include <simdjson.h>

#include "csv.hpp"

namespace rb {

std::string to_string(const InputError& error) {
  if (error.line == 0) return fmt::format("{}: {}", error.file, error.message);
  return fmt::format("{}:{}: {}", error.file, error.line, error.message);
}

namespace {

namespace od = simdjson::ondemand;

constexpr int64_t kAbsentWord = INT64_MIN;

uint64_t fast_hash(std::string_view s) {
  const char* p = s.data();
  size_t n = s.size();
  uint64_t h = 0x9E3779B97F4A7C15ULL ^ (n * 0xFF51AFD7ED558CCDULL);
  while (n >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    h = (h ^ w) * 0xBF58476D1CE4E5B9ULL;
    h ^= h >> 31;
    p += 8;
    n -= 8;
  }
  if (n > 0) {  // 1..7 bytes left: two overlapping loads instead of a variable-size copy
    uint64_t w;
    if (n >= 4) {
      uint32_t a, b;
      std::memcpy(&a, p, 4);
      std::memcpy(&b, p + n - 4, 4);
      w = (static_cast<uint64_t>(a) << 32) | b;
    } else {
      w = (static_cast<uint64_t>(static_cast<unsigned char>(p[0])) << 16) |
          (static_cast<uint64_t>(static_cast<unsigned char>(p[n / 2])) << 8) | static_cast<unsigned char>(p[n - 1]);
    }
    h = (h ^ w) * 0x94D049BB133111EBULL;
    h ^= h >> 29;
  }
  return h ^ (h >> 32);
}

// Text -> number, for the fixed vocabularies (field names, type names, units and aliases,
// table key texts): open addressing with a cheap hash, looked up by string_view.
class StrIndex {
 public:
  // Keeps the first value given for a text; false when the text was already there.
  bool insert(std::string_view key, uint32_t value) {
    if (find(key) >= 0) return false;
    if ((keys_.size() + 1) * 2 > slots_.size()) grow();
    keys_.emplace_back(key);
    values_.push_back(value);
    place(fast_hash(key), static_cast<uint32_t>(keys_.size()));
    return true;
  }
  int64_t find(std::string_view key) const {
    if (slots_.empty()) return -1;
    const uint64_t h = fast_hash(key);
    const size_t mask = slots_.size() - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
      const Slot& slot = slots_[i];
      if (slot.entry == 0) return -1;
      if (slot.hash == h) {
        const std::string& k = keys_[slot.entry - 1];
        if (k.size() == key.size() && std::memcmp(k.data(), key.data(), key.size()) == 0)
          return values_[slot.entry - 1];
      }
    }
  }

 private:
  struct Slot {
    uint64_t hash = 0;
    uint32_t entry = 0;  // index + 1 into keys_, 0 = empty
  };
  void place(uint64_t h, uint32_t entry) {
    const size_t mask = slots_.size() - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
      if (slots_[i].entry == 0) {
        slots_[i] = Slot{h, entry};
        return;
      }
    }
  }
  void grow() {
    slots_.assign(std::max<size_t>(16, slots_.size() * 2), Slot{});
    for (uint32_t e = 1; e <= keys_.size(); ++e) place(fast_hash(keys_[e - 1]), e);
  }

  std::vector<std::string> keys_;
  std::vector<uint32_t> values_;
  std::vector<Slot> slots_;
};

// Trims ASCII space, tab and U+3000 (E3 80 80) from both ends.
std::string_view trim(std::string_view s) {
  for (;;) {
    if (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
      s.remove_prefix(1);
    } else if (s.size() >= 3 && s[0] == '\xE3' && s[1] == '\x80' && s[2] == '\x80') {
      s.remove_prefix(3);
    } else {
      break;
    }
  }
  for (;;) {
    if (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
      s.remove_suffix(1);
    } else if (s.size() >= 3 && s[s.size() - 3] == '\xE3' && s[s.size() - 2] == '\x80' &&
               s[s.size() - 1] == '\x80') {
      s.remove_suffix(3);
    } else {
      break;
    }
  }
  return s;
}

std::string_view trim_json_ws(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

bool is_blank_line(std::string_view s) {
  for (char c : s)
    if (c != ' ' && c != '\t' && c != '\r') return false;
  return true;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// JSON number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
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

// YYYY-MM-DD. shape: the text has the right form; returns true for a real calendar date.
bool parse_date(std::string_view t, int32_t& days, bool& shape) {
  shape = t.size() == 10 && t[4] == '-' && t[7] == '-';
  if (shape) {
    for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9})
      if (!is_digit(t[i])) shape = false;
  }
  if (!shape) return false;
  auto num = [&](size_t at, size_t len) {
    int32_t v = 0;
    for (size_t i = at; i < at + len; ++i) v = v * 10 + (t[i] - '0');
    return v;
  };
  int32_t y = num(0, 4), m = num(5, 2), d = num(8, 2);
  if (!valid_date(y, m, d)) return false;
  days = days_from_civil(y, m, d);
  return true;
}

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
    if (parenthesize) return fmt::format(" (did you mean ({})?)", best_text_);
    return fmt::format(" (did you mean {}?)", best_text_);
  }

 private:
  std::vector<uint32_t> in_, cand_;
  size_t limit_ = 1;
  size_t best_ = SIZE_MAX;
  bool enabled_ = true;
  std::string best_text_;
};

// A value from the input, shown in a message: at most 60 code points, control characters
// escaped.
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

uint64_t mix(uint64_t h, uint64_t w) {
  h ^= w + 0x9E3779B97F4A7C15ULL + (h << 6) + (h >> 2);
  h *= 0xFF51AFD7ED558CCDULL;
  h ^= h >> 32;
  return h;
}

// Keys of unique constraints: sequences of 64-bit words kept back to back in an arena, with
// an open-addressing index. Remembers where each key was first seen.
class UniqueSet {
 public:
  struct Entry {
    uint64_t hash = 0;
    uint64_t offset = 0;
    uint32_t size = 0;
    uint32_t file = 0;
    uint32_t line = 0;
  };

  static uint64_t hash(const std::vector<uint64_t>& key) {
    uint64_t h = 0x243F6A8885A308D3ULL ^ key.size();
    for (uint64_t w : key) h = mix(h, w);
    return h;
  }

  const Entry* find(const std::vector<uint64_t>& key, uint64_t h) const {
    if (table_.empty()) return nullptr;
    const size_t mask = table_.size() - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
      uint32_t v = table_[i];
      if (v == 0) return nullptr;
      const Entry& e = entries_[v - 1];
      if (e.hash == h && e.size == key.size() &&
          std::equal(key.begin(), key.end(), arena_.begin() + static_cast<ptrdiff_t>(e.offset)))
        return &e;
    }
  }

  void insert(const std::vector<uint64_t>& key, uint64_t h, uint32_t file, uint32_t line) {
    if ((entries_.size() + 1) * 2 > table_.size()) grow();
    Entry e;
    e.hash = h;
    e.offset = arena_.size();
    e.size = static_cast<uint32_t>(key.size());
    e.file = file;
    e.line = line;
    arena_.insert(arena_.end(), key.begin(), key.end());
    entries_.push_back(e);
    place(static_cast<uint32_t>(entries_.size()));
  }

 private:
  void place(uint32_t index1) {
    const size_t mask = table_.size() - 1;
    for (size_t i = entries_[index1 - 1].hash & mask;; i = (i + 1) & mask) {
      if (table_[i] == 0) {
        table_[i] = index1;
        return;
      }
    }
  }
  void grow() {
    table_.assign(std::max<size_t>(64, table_.size() * 2), 0);
    for (uint32_t i = 1; i <= entries_.size(); ++i) place(i);
  }

  std::vector<uint64_t> arena_;
  std::vector<Entry> entries_;
  std::vector<uint32_t> table_;
};

// A table's rows indexed by their key symbols (open addressing; row index + 1, 0 = empty).
struct TableIndex {
  std::vector<uint32_t> slots;
  static uint64_t hash(const uint32_t* keys, size_t n) {
    uint64_t h = 0x13198A2E03707344ULL ^ n;
    for (size_t i = 0; i < n; ++i) h = mix(h, keys[i]);
    return h;
  }
  void build(const TableDef& table) {
    size_t cap = 16;
    while (cap < table.rows.size() * 2 + 2) cap *= 2;
    slots.assign(cap, 0);
    for (size_t r = 0; r < table.rows.size(); ++r) {
      const auto& keys = table.rows[r].keys;
      if (lookup(table, keys.data(), keys.size()) >= 0) continue;  // a repeated key: first row wins
      const size_t mask = slots.size() - 1;
      for (size_t i = hash(keys.data(), keys.size()) & mask;; i = (i + 1) & mask) {
        if (slots[i] == 0) {
          slots[i] = static_cast<uint32_t>(r + 1);
          break;
        }
      }
    }
  }
  int64_t lookup(const TableDef& table, const uint32_t* keys, size_t n) const {
    const size_t mask = slots.size() - 1;
    for (size_t i = hash(keys, n) & mask;; i = (i + 1) & mask) {
      uint32_t v = slots[i];
      if (v == 0) return -1;
      const auto& row = table.rows[v - 1].keys;
      if (row.size() == n && std::equal(row.begin(), row.end(), keys)) return v - 1;
    }
  }
};

enum class VKind : uint8_t { Absent, String, Number, Other };

struct Value {
  uint32_t gen = 0;
  VKind kind = VKind::Absent;
  const char* what = "";   // Other: "a boolean", "an array", "an object"
  std::string_view text;   // trimmed string, or the number as written
};

struct SlotPlan {
  FieldKind kind = FieldKind::Text;
  uint32_t ref = 0;
  bool optional = false;
  uint32_t name = 0;               // name id of the input field (not TableKey)
  std::vector<uint32_t> key_names;  // TableKey: name ids of the key fields
  bool valid_ref = true;
};

struct Constraint {
  uint64_t id = 0;
  std::vector<uint32_t> slots;
};

struct TypePlan {
  std::vector<SlotPlan> slots;
  std::vector<uint32_t> other_unit_names;  // undeclared unit-like names checked against the key
  std::vector<Constraint> uniques;
};

struct EnumPlan {
  std::vector<std::string> texts;
  std::vector<uint32_t> symbols;
  std::string listing;  // "province, city, county"
};

struct FileCtx {
  const std::string* name = nullptr;
  uint32_t index = 0;
  bool csv = false;
  std::string_view header_raw;
};

bool has_extension(const std::string& path, std::string_view ext) {
  if (path.size() < ext.size()) return false;
  std::string_view tail(path.data() + path.size() - ext.size(), ext.size());
  for (size_t i = 0; i < ext.size(); ++i) {
    char c = tail[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != ext[i]) return false;
  }
  return true;
}

}  // namespace

struct EventReader::Impl {
  Impl(const Program& p, Symbols& s, ReadOptions o) : program(p), symbols(s), options(std::move(o)) {}

  const Program& program;
  Symbols& symbols;
  ReadOptions options;
  ReadStats stats;
  std::vector<InputError> errors;
  uint64_t error_count = 0;

  StrIndex name_ids;
  std::vector<std::string> names;
  uint32_t name_type = 0, name_date = 0;
  StrIndex type_ids;
  StrIndex unit_ids;
  StrIndex key_symbols;  // texts of table keys -> their symbols
  std::vector<TypePlan> types;
  std::vector<EnumPlan> enums;
  std::vector<TableIndex> tables;

  std::vector<Value> values;
  uint32_t gen = 0;
  bool bad = false;
  uint32_t line = 0;
  const std::string* file = nullptr;

  UniqueSet uniques;
  std::vector<uint64_t> key_words;
  std::vector<uint32_t> key_syms;
  std::array<std::string_view, kMaxFields> slot_text{};
  Record rec;
  size_t filled_slots = kMaxFields;  // slots of rec that may be non-zero

  std::vector<std::string> file_names;  // by file index, for "first at FILE:LINE"
  std::vector<std::string> input_paths;

  FILE* reject = nullptr;
  std::string reject_tmp;
  bool reject_failed = false;
  bool reject_header_written = false;
  std::string last_header;

  od::parser parser;
  simdjson::padded_string padded;

  // --- setup ---------------------------------------------------------------------------

  uint32_t name_id(const std::string& name) {
    int64_t found = name_ids.find(name);
    if (found >= 0) return static_cast<uint32_t>(found);
    auto id = static_cast<uint32_t>(names.size());
    names.push_back(name);
    name_ids.insert(name, id);
    return id;
  }

  void build() {
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
        plan.texts.push_back(symbols.text(sym));
        plan.symbols.push_back(sym);
        if (!plan.listing.empty()) plan.listing += ", ";
        plan.listing += symbols.text(sym);
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
    values.assign(names.size(), Value{});
  }

  // --- errors ----------------------------------------------------------------------------

  template <class F>
  void report(uint32_t at_line, F&& build_message) {
    bad = true;
    ++error_count;
    if (errors.size() < options.max_errors) errors.push_back(InputError{*file, at_line, build_message()});
  }

  void report_file(const std::string& name, std::string message) {
    ++error_count;
    if (errors.size() < options.max_errors) errors.push_back(InputError{name, 0, std::move(message)});
  }

  // --- values ----------------------------------------------------------------------------

  void begin_record(uint32_t at_line) {
    bad = false;
    line = at_line;
    ++stats.records;
    if (++gen == 0) {  // wrapped: clear the stamps once every 4 billion records
      for (auto& v : values) v.gen = 0;
      gen = 1;
    }
  }

  // Sets a value; false when the field was already given in this record.
  bool set_value(uint32_t id, VKind kind, std::string_view text, const char* what = "") {
    Value& v = values[id];
    if (v.gen == gen) return false;
    v.gen = gen;
    if (kind == VKind::String || kind == VKind::Number) {
      text = trim(text);
      if (text.empty()) kind = VKind::Absent;
    }
    v.kind = kind;
    v.text = text;
    v.what = what;
    return true;
  }

  const Value* get(uint32_t id) const {
    const Value& v = values[id];
    if (v.gen != gen || v.kind == VKind::Absent) return nullptr;
    return &v;
  }

  // --- validation ------------------------------------------------------------------------

  // A text-like value (string or number as written); reports booleans, arrays, objects.
  bool text_of(const Value& v, uint32_t name, std::string_view& out) {
    if (v.kind == VKind::Other) {
      report(line, [&] { return fmt::format("field '{}' must be a string, not {}", names[name], v.what); });
      return false;
    }
    out = v.text;
    return true;
  }

  bool resolve_unit(std::string_view text, uint32_t& unit) {
    int64_t found = unit_ids.find(text);
    if (found < 0) return false;
    unit = static_cast<uint32_t>(found);
    return true;
  }

  std::string unknown_unit_message(std::string_view text) {
    Nearest near(text);
    for (const auto& u : program.units) near.offer(u);
    for (const auto& a : program.aliases) near.offer(a.first);
    return fmt::format("unknown unit '{}'{}", show(text), near.hint());
  }

  std::string row_key_text(const TableDef& table, uint32_t row) const {
    std::string out;
    for (uint32_t sym : table.rows[row].keys) {
      if (!out.empty()) out += ", ";
      out += sym < symbols.size() ? symbols.text(sym) : "?";
    }
    return out;
  }

  // "(a, b)" for a key of several fields, "'a'" for one.
  std::string input_key_text(const SlotPlan& sp) const {
    std::string out;
    for (uint32_t k : sp.key_names) {
      if (!out.empty()) out += ", ";
      const Value& v = values[k];
      out += show(v.text);
    }
    return sp.key_names.size() == 1 ? "'" + out + "'" : "(" + out + ")";
  }

  std::string row_display(const TableDef& table, uint32_t row, size_t nkeys) const {
    std::string keys = row_key_text(table, row);
    return nkeys == 1 ? keys : "(" + keys + ")";
  }

  void validate() {
    const Value* tv = get(name_type);
    int64_t type = -1;
    if (tv == nullptr) {
      report(line, [] { return std::string("missing field 'type'"); });
    } else {
      std::string_view text;
      if (text_of(*tv, name_type, text)) {
        type = type_ids.find(text);
        if (type < 0) {
          report(line, [&] {
            Nearest near(text);
            for (const auto& ev : program.events) near.offer(ev.name);
            return fmt::format("unknown event type '{}'{}", show(text), near.hint());
          });
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
          report(line, [&] { return fmt::format("missing field '{}'", names[sp.name]); });
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
          if (!number) {
            report(line, [&] {
              bool json_like = json_number_ok(v->text);
              bool has_exp = v->text.find_first_of("eE") != std::string_view::npos;
              const char* why = !json_like ? ""
                                : has_exp  ? " (exponents are not accepted)"
                                           : " (more than 18 decimals or beyond 64 bits)";
              return fmt::format("field '{}' is not a number: '{}'{}", names[sp.name], show(v->text), why);
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
            report(line, [&] { return unknown_unit_message(text); });
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
            report(line, [&] { return fmt::format("field '{}' refers to a missing enum", names[sp.name]); });
            break;
          }
          const EnumPlan& en = enums[sp.ref];
          bool found = false;
          for (size_t m = 0; m < en.texts.size(); ++m) {
            if (en.texts[m] == text) {
              rec.fields[s] = Rational(en.symbols[m]);
              rec.present |= bit;
              found = true;
              break;
            }
          }
          if (!found)
            report(line, [&] {
              return fmt::format("{} '{}' is not one of {}", names[sp.name], show(text), en.listing);
            });
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
          return fmt::format("{} {} has no unit in table {}", names[ksp.name],
                             row_display(table, static_cast<uint32_t>(key_row), ksp.key_names.size()), table.name);
        });
        return;
      }
      const uint32_t row_unit = row.units[0];
      rec.row = static_cast<uint32_t>(key_row);
      rec.unit = row_unit;
      auto mismatch = [&](uint32_t field_name, std::string_view given) {
        report(line, [&] {
          return fmt::format("{} '{}' does not match {} {} of {}", names[field_name], show(given), names[ksp.name],
                             row_display(table, static_cast<uint32_t>(key_row), ksp.key_names.size()),
                             program.units[row_unit]);
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
          report(line, [&] { return unknown_unit_message(text); });
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

    check_unique(plan, ev);
  }

  bool read_date(uint32_t name, bool optional, int32_t& days) {
    const Value* v = get(name);
    if (v == nullptr) {
      if (!optional) report(line, [&] { return fmt::format("missing field '{}'", names[name]); });
      return false;
    }
    std::string_view text;
    if (!text_of(*v, name, text)) return false;
    bool shape = false;
    if (parse_date(text, days, shape)) return true;
    report(line, [&] {
      if (!shape) return fmt::format("field '{}' is not a date (YYYY-MM-DD): '{}'", names[name], show(text));
      return fmt::format("field '{}' is not a calendar date: '{}'", names[name], show(text));
    });
    return false;
  }

  // Row index, or -1 (absent optional key, or an error reported).
  int64_t read_key(const SlotPlan& sp) {
    size_t given = 0;
    for (uint32_t k : sp.key_names)
      if (get(k) != nullptr) ++given;
    if (given == 0 && sp.optional) return -1;
    bool ok = true;
    for (uint32_t k : sp.key_names) {
      const Value* v = get(k);
      if (v == nullptr) {
        report(line, [&] { return fmt::format("missing field '{}'", names[k]); });
        ok = false;
      } else if (v->kind == VKind::Other) {
        std::string_view ignored;
        text_of(*v, k, ignored);
        ok = false;
      }
    }
    if (!ok) return -1;
    if (!sp.valid_ref) {
      report(line, [&] { return fmt::format("field '{}' refers to a missing table", names[sp.name]); });
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
    report(line, [&] {
      std::string input = input_key_text(sp);
      std::string plain;
      for (uint32_t k : sp.key_names) {
        if (!plain.empty()) plain += ", ";
        plain += values[k].text;
      }
      Nearest near(plain);
      for (uint32_t r = 0; r < table.rows.size(); ++r) near.offer(row_key_text(table, r));
      return fmt::format("unknown {} {}{}", names[sp.name], input, near.hint(sp.key_names.size() > 1));
    });
    return -1;
  }

  void build_key(const Constraint& c, const TypePlan& plan) {
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

  std::string slot_display(const TypePlan& plan, uint32_t s) const {
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

  void check_unique(const TypePlan& plan, const EventTypeDef& ev) {
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
        return fmt::format("duplicate {} for ({}): first at {}:{}", ev.name, values_text, first_file, first->line);
      });
    }
    if (bad) return;
    for (const Constraint& c : plan.uniques) {
      build_key(c, plan);
      uniques.insert(key_words, UniqueSet::hash(key_words), rec.file, rec.line);
    }
  }

  // --- records ---------------------------------------------------------------------------

  void finish_record(std::string_view raw, const FileCtx& ctx, RecordSink& sink) {
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

  bool is_input(const std::string& path) const {
    std::error_code ec;
    for (const auto& in : input_paths)
      if (std::filesystem::equivalent(path, in, ec)) return true;
    return false;
  }

  void write_reject(std::string_view raw, const FileCtx& ctx) {
    if (!options.skip_bad || options.reject_path.empty() || reject_failed) return;
    if (reject == nullptr) {
      reject_tmp = options.reject_path + ".tmp";
      if (is_input(reject_tmp) || is_input(options.reject_path)) {
        reject_failed = true;
        report_file(options.reject_path, "the reject file would overwrite an input file");
        return;
      }
      reject = std::fopen(reject_tmp.c_str(), "wb");
      if (reject == nullptr) {
        reject_failed = true;
        report_file(options.reject_path, fmt::format("cannot write the reject file: {}", std::strerror(errno)));
        return;
      }
    }
    if (ctx.csv && (!reject_header_written || last_header != ctx.header_raw)) {
      last_header.assign(ctx.header_raw);
      reject_header_written = true;
      std::fwrite(ctx.header_raw.data(), 1, ctx.header_raw.size(), reject);
      std::fputc('\n', reject);
    }
    std::fwrite(raw.data(), 1, raw.size(), reject);
    std::fputc('\n', reject);
  }

  // --- JSON Lines ------------------------------------------------------------------------

  // Collects the known fields of one JSON object into `values`; false when the line is not
  // a usable JSON object (the error is reported).
  bool fill_json(const char* p, size_t len, size_t capacity) {
    od::document doc;
    auto err = parser.iterate(p, len, capacity).get(doc);
    if (err) {
      report(line, [&] { return fmt::format("not valid JSON: {}", simdjson::error_message(err)); });
      return false;
    }
    od::object obj;
    err = doc.get_object().get(obj);
    if (err) {
      report(line, [&] {
        if (err == simdjson::INCORRECT_TYPE) return std::string("not a JSON object");
        return fmt::format("not valid JSON: {}", simdjson::error_message(err));
      });
      return false;
    }
    // A scalar whose literal is malformed (tru, nul, 01, 1.): simdjson's own message for
    // these ("does not have the requested type") would mislead, so name the token.
    std::string_view bad_token;
    std::string_view bad_key;
    auto bad_literal = [&](std::string_view key, od::value& v) {
      bad_key = key;
      bad_token = trim_json_ws(v.raw_json_token());
      return simdjson::INCORRECT_TYPE;
    };
    auto one_field = [&](od::field& field) -> simdjson::error_code {
      std::string_view key;
      if (auto e = field.unescaped_key().get(key)) return e;
      od::value v = field.value();
      od::json_type t;
      if (auto e = v.type().get(t)) return e;
      const int64_t found = name_ids.find(key);
      const uint32_t id = found < 0 ? UINT32_MAX : static_cast<uint32_t>(found);
      bool fresh = true;
      switch (t) {
        case od::json_type::string: {
          if (id == UINT32_MAX) break;  // an ignored string is skipped unread
          std::string_view s;
          if (auto e = v.get_string().get(s)) return e;
          fresh = set_value(id, VKind::String, s);
          break;
        }
        case od::json_type::number: {
          std::string_view token = trim_json_ws(v.raw_json_token());
          if (!json_number_ok(token)) return bad_literal(key, v);
          if (id != UINT32_MAX) fresh = set_value(id, VKind::Number, token);
          break;
        }
        case od::json_type::boolean: {
          bool b;
          if (v.get_bool().get(b)) return bad_literal(key, v);
          if (id != UINT32_MAX) fresh = set_value(id, VKind::Other, {}, "a boolean");
          break;
        }
        case od::json_type::null: {
          bool n = false;
          if (v.is_null().get(n) || !n) return bad_literal(key, v);
          if (id != UINT32_MAX) fresh = set_value(id, VKind::Absent, {});
          break;
        }
        case od::json_type::array:
          if (id != UINT32_MAX) fresh = set_value(id, VKind::Other, {}, "an array");
          break;
        case od::json_type::object:
          if (id != UINT32_MAX) fresh = set_value(id, VKind::Other, {}, "an object");
          break;
      }
      if (!fresh) report(line, [&] { return fmt::format("field '{}' given twice", names[id]); });
      return simdjson::SUCCESS;
    };
    for (auto result : obj) {
      od::field field;
      err = std::move(result).get(field);
      if (!err) err = one_field(field);
      if (err) break;
    }
    if (err) {
      report(line, [&] {
        if (!bad_token.empty() || !bad_key.empty())
          return fmt::format("not valid JSON: bad value '{}' for '{}'", show(bad_token), show(bad_key));
        return fmt::format("not valid JSON: {}", simdjson::error_message(err));
      });
      return false;
    }
    const char* at = nullptr;
    if (!doc.current_location().get(at)) {
      report(line, [] { return std::string("text after the JSON object"); });
      return false;
    }
    return true;
  }

  // Reads whole lines; `first_line` is the number of the line before data (0 at the start
  // of a file, where a byte order mark is skipped). Returns the number of the last line.
  uint32_t read_jsonl(const char* data, size_t size, size_t allocated, const FileCtx& ctx, RecordSink& sink,
                      uint32_t first_line = 0) {
    size_t pos = 0;
    if (first_line == 0 && size >= 3 && std::memcmp(data, "\xEF\xBB\xBF", 3) == 0) pos = 3;
    uint32_t line_no = first_line;
    while (pos < size) {
      ++line_no;
      const void* nl = std::memchr(data + pos, '\n', size - pos);
      const size_t end = nl ? static_cast<size_t>(static_cast<const char*>(nl) - data) : size;
      size_t e = end;
      if (e > pos && data[e - 1] == '\r') --e;
      std::string_view text(data + pos, e - pos);
      if (!is_blank_line(text)) {
        begin_record(line_no);
        rec.file = ctx.index;
        rec.line = line_no;
        if (fill_json(data + pos, e - pos, allocated - pos)) validate();
        finish_record(text, ctx, sink);
      }
      pos = end + 1;
    }
    return line_no;
  }

  // Where a CSV chunk can end: after its last line break outside a quoted field (quotes
  // toggle the state; a doubled quote toggles it twice). 0 when there is none.
  static size_t csv_cut(const char* data, size_t size) {
    bool quoted = false;
    size_t cut = 0;
    for (size_t i = 0; i < size; ++i) {
      if (data[i] == '"') quoted = !quoted;
      else if (data[i] == '\n' && !quoted) cut = i + 1;
    }
    return cut;
  }

  // A regular file, a chunk at a time, so memory does not grow with the file: each chunk
  // ends at its last record boundary (a newline; for CSV one outside quotes) and the rest
  // is carried into the next.
  bool stream_file(const std::string& path, uint32_t file_index, RecordSink& sink, bool is_csv) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      report_file(path, fmt::format("cannot open: {}", std::strerror(errno)));
      return false;
    }
    file = &path;
    if (file_names.size() <= file_index) file_names.resize(file_index + 1);
    file_names[file_index] = path;
    FileCtx ctx;
    ctx.name = &path;
    ctx.index = file_index;
    ctx.csv = is_csv;
    CsvState csv_state;
    const bool was_failed = reject_failed;
    constexpr size_t kChunk = size_t{8} << 20;
    std::vector<char> buffer(kChunk + simdjson::SIMDJSON_PADDING);
    size_t carried = 0;
    uint32_t line = 0;
    bool ok = true, at_end = false;
    while (!at_end) {
      if (buffer.size() - simdjson::SIMDJSON_PADDING - carried < kChunk / 2)  // a very long line
        buffer.resize(buffer.size() * 2);
      const size_t room = buffer.size() - simdjson::SIMDJSON_PADDING - carried;
      ssize_t got = ::read(fd, buffer.data() + carried, room);
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) {
        report_file(path, fmt::format("cannot read: {}", std::strerror(errno)));
        ok = false;
        break;
      }
      at_end = got == 0;
      const size_t filled = carried + static_cast<size_t>(got);
      size_t usable = filled;
      if (!at_end) {
        if (is_csv) {
          usable = csv_cut(buffer.data(), filled);
        } else {
          const char* last = static_cast<const char*>(::memrchr(buffer.data(), '\n', filled));
          usable = last ? static_cast<size_t>(last - buffer.data()) + 1 : 0;
        }
      }
      if (usable > 0 && is_csv) {
        read_csv(std::string_view(buffer.data(), usable), ctx, sink, csv_state);
        csv_state.lines_before += static_cast<uint32_t>(std::count(buffer.data(), buffer.data() + usable, '\n'));
      } else if (usable > 0) {
        // The bytes after `usable` stand in for simdjson's padding while a line is parsed.
        line = read_jsonl(buffer.data(), usable, buffer.size(), ctx, sink, line);
      }
      carried = filled - usable;
      std::memmove(buffer.data(), buffer.data() + usable, carried);
    }
    ::close(fd);
    return ok && (was_failed || !reject_failed);
  }

  // --- CSV -------------------------------------------------------------------------------

  // What a CSV file's later chunks need from the earlier ones.
  struct CsvState {
    std::vector<int64_t> columns;  // name id per column, -1 when not a known field
    bool have_header = false;
    bool header_bad = false;
    std::string header_text;       // kept for the reject file
    uint32_t lines_before = 0;     // lines in the chunks already read
  };

  void read_csv(std::string_view data, FileCtx& ctx, RecordSink& sink) {
    CsvState state;
    read_csv(data, ctx, sink, state);
  }

  void read_csv(std::string_view data, FileCtx& ctx, RecordSink& sink, CsvState& st) {
    CsvSplitter csv(data);
    const uint32_t base = st.lines_before;
    // One pass over the whole chunk; rows are checked one by one only when it fails.
    const bool all_utf8 = simdjson::validate_utf8(data.data(), data.size());
    std::vector<int64_t>& columns = st.columns;
    bool& have_header = st.have_header;
    bool& header_bad = st.header_bad;
    for (;;) {
      const auto status = csv.next();
      if (status == CsvSplitter::Status::End) break;
      if (status == CsvSplitter::Status::Error) {
        if (!have_header) {
          // The header itself is broken: nothing in this file can be read.
          report_file_line(base + csv.error_line(), fmt::format("header: {}", csv.error()));
          have_header = true;
          header_bad = true;
          st.header_text = std::string(csv.raw());
          ctx.header_raw = st.header_text;
          continue;
        }
        begin_record(base + csv.line());
        const char* message = csv.error();
        report(base + csv.error_line(), [&] { return std::string(message); });
        finish_record(csv.raw(), ctx, sink);
        continue;
      }
      bool all_empty = true;
      for (size_t i = 0; i < csv.size() && all_empty; ++i)
        if (!trim(csv.cell(i)).empty()) all_empty = false;
      if (all_empty) continue;  // blank line or a row of empty cells

      if (!have_header) {
        have_header = true;
        st.header_text = std::string(csv.raw());
        ctx.header_raw = st.header_text;
        header_bad = !read_header(csv, columns, base);
        continue;
      }
      begin_record(base + csv.line());
      rec.file = ctx.index;
      rec.line = base + csv.line();
      if (header_bad) {
        bad = true;  // already reported once, on the header
      } else if (!all_utf8 && !simdjson::validate_utf8(csv.raw().data(), csv.raw().size())) {
        report(line, [] { return std::string("invalid UTF-8"); });
      } else if (csv.size() != columns.size()) {
        report(line, [&] {
          return fmt::format("row has {} cells but the header has {}", csv.size(), columns.size());
        });
      } else {
        for (size_t i = 0; i < columns.size(); ++i)
          if (columns[i] >= 0) set_value(static_cast<uint32_t>(columns[i]), VKind::String, csv.cell(i));
        validate();
      }
      finish_record(csv.raw(), ctx, sink);
    }
  }

  void report_file_line(uint32_t at_line, std::string message) {
    ++error_count;
    if (errors.size() < options.max_errors) errors.push_back(InputError{*file, at_line, std::move(message)});
  }

  bool read_header(const CsvSplitter& csv, std::vector<int64_t>& columns, uint32_t base) {
    const uint32_t at = base + csv.line();
    if (!simdjson::validate_utf8(csv.raw().data(), csv.raw().size())) {
      report_file_line(at, "header: invalid UTF-8");
      return false;
    }
    columns.assign(csv.size(), -1);
    bool ok = true;
    for (size_t i = 0; i < csv.size(); ++i) {
      std::string_view name = trim(csv.cell(i));
      const int64_t found = name_ids.find(name);
      if (found < 0) continue;
      const auto name_id_found = static_cast<uint32_t>(found);
      if (std::find(columns.begin(), columns.end(), name_id_found) != columns.end()) {
        report_file_line(at, fmt::format("column '{}' appears twice in the header", show(name)));
        ok = false;
      }
      columns[i] = name_id_found;
    }
    for (uint32_t required : {name_type, name_date}) {
      if (std::find(columns.begin(), columns.end(), required) == columns.end()) {
        report_file_line(at, fmt::format("header has no '{}' column", names[required]));
        ok = false;
      }
    }
    return ok;
  }

  // --- files -----------------------------------------------------------------------------

  bool load(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      report_file(path, fmt::format("cannot open: {}", std::strerror(errno)));
      return false;
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
      report_file(path, fmt::format("cannot read: {}", std::strerror(errno)));
      ::close(fd);
      return false;
    }
    if (S_ISDIR(st.st_mode)) {
      report_file(path, "cannot read: is a directory");
      ::close(fd);
      return false;
    }
    std::string chunked;
    bool ok = true;
    if (S_ISREG(st.st_mode)) {
      const auto size = static_cast<size_t>(st.st_size);
      padded = simdjson::padded_string(size);
      size_t done = 0;
      while (done < size) {
        ssize_t got = ::read(fd, padded.data() + done, size - done);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) {
          ok = got == 0;  // the file shrank: read what is there
          if (!ok) report_file(path, fmt::format("cannot read: {}", std::strerror(errno)));
          break;
        }
        done += static_cast<size_t>(got);
      }
      if (ok && done < size) {
        simdjson::padded_string shorter(padded.data(), done);
        padded.swap(shorter);
      }
    } else {  // a pipe or device: read until the end
      char buffer[1 << 16];
      for (;;) {
        ssize_t got = ::read(fd, buffer, sizeof buffer);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) {
          ok = false;
          report_file(path, fmt::format("cannot read: {}", std::strerror(errno)));
          break;
        }
        if (got == 0) break;
        chunked.append(buffer, static_cast<size_t>(got));
      }
      if (ok) padded = simdjson::padded_string(chunked);
    }
    ::close(fd);
    return ok;
  }

  bool read_loaded(const std::string& name, uint32_t file_index, RecordSink& sink) {
    file = &name;
    if (file_names.size() <= file_index) file_names.resize(file_index + 1);
    file_names[file_index] = name;
    FileCtx ctx;
    ctx.name = &name;
    ctx.index = file_index;
    const bool was_failed = reject_failed;
    if (has_extension(name, ".csv")) {
      ctx.csv = true;
      read_csv(std::string_view(padded.data(), padded.size()), ctx, sink);
    } else {
      read_jsonl(padded.data(), padded.size(), padded.size() + simdjson::SIMDJSON_PADDING, ctx, sink);
    }
    padded = simdjson::padded_string();
    return was_failed || !reject_failed;
  }

  bool supported(const std::string& name) {
    if (has_extension(name, ".csv") || has_extension(name, ".jsonl") || has_extension(name, ".ndjson") ||
        has_extension(name, ".json"))
      return true;
    report_file(name, "unsupported input format (expected .jsonl, .ndjson, .json or .csv)");
    return false;
  }

  bool finish() {
    if (!options.skip_bad || options.reject_path.empty()) return true;
    const std::string& target = options.reject_path;
    if (reject == nullptr) {
      if (reject_failed) return false;
      // Nothing rejected: no reject file (and none left from an earlier run).
      if (is_input(target)) return true;
      std::error_code ec;
      std::filesystem::remove(target, ec);
      return true;
    }
    bool ok = std::fflush(reject) == 0 && !std::ferror(reject);
    if (std::fclose(reject) != 0) ok = false;
    reject = nullptr;
    if (!ok) {
      report_file(target, fmt::format("cannot write the reject file: {}", std::strerror(errno)));
      std::remove(reject_tmp.c_str());
      return false;
    }
    if (is_input(target)) {
      report_file(target, "the reject file would overwrite an input file");
      std::remove(reject_tmp.c_str());
      return false;
    }
    if (std::rename(reject_tmp.c_str(), target.c_str()) != 0) {
      report_file(target, fmt::format("cannot write the reject file: {}", std::strerror(errno)));
      std::remove(reject_tmp.c_str());
      return false;
    }
    return true;
  }
};

EventReader::EventReader(const Program& program, Symbols& symbols, ReadOptions options)
    : impl_(std::make_unique<Impl>(program, symbols, std::move(options))) {
  impl_->build();
}

EventReader::~EventReader() {
  if (impl_ && impl_->reject != nullptr) {
    std::fclose(impl_->reject);
    std::remove(impl_->reject_tmp.c_str());
  }
}

bool EventReader::read_file(const std::string& path, uint32_t file_index, RecordSink& sink) {
  impl_->input_paths.push_back(path);
  if (!impl_->supported(path)) return false;
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode))
    return impl_->stream_file(path, file_index, sink, has_extension(path, ".csv"));
  if (!impl_->load(path)) return false;
  return impl_->read_loaded(path, file_index, sink);
}

bool EventReader::read_buffer(std::string_view data, const std::string& name, uint32_t file_index,
                              RecordSink& sink) {
  if (!impl_->supported(name)) return false;
  impl_->padded = simdjson::padded_string(data);
  return impl_->read_loaded(name, file_index, sink);
}

bool EventReader::finish() { return impl_->finish(); }

const ReadStats& EventReader::stats() const { return impl_->stats; }

const std::vector<InputError>& EventReader::errors() const { return impl_->errors; }

uint64_t EventReader::error_count() const { return impl_->error_count; }

}  // namespace rb
