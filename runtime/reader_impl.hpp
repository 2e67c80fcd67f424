// The event reader's insides, shared by its files: one record validator (reader_validate.cpp)
// over which each input format (reader_jsonl.cpp, reader_csv.cpp) collects a record's fields;
// reader.cpp opens files, writes the reject file and holds the public API. A new input format
// is a new file that fills `values` and calls validate() and finish_record() per record.
//
// Layout: the constructor turns the Program into lookup plans (field names -> name ids,
// type names, units and aliases, enum member texts, an open-addressing index per table);
// each input record is first collected into `values` (one entry per known field name,
// stamped with a generation number so nothing is cleared per record), then validated by
// one routine shared by every format. Steady state allocates nothing per record: strings
// are views into the file buffer, the simdjson string buffer or the CSV scratch; unique
// keys go into an arena-backed hash set of 64-bit words.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <sys/types.h>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <simdjson.h>

#include "csv.hpp"
#include "flat_map.hpp"
#include <fmt/format.h>

#include "messages.hpp"
#include "output_file.hpp"
#include "reader.hpp"
#include "reject_file.hpp"
#include "text_decoding.hpp"

namespace rb::input {

namespace od = simdjson::ondemand;

constexpr int64_t kAbsentWord = INT64_MIN;

// Text -> number, for the fixed vocabularies (field names, type names, units and aliases,
// table key texts, enum members): the texts back to back in one arena, indexed by TextSlots.
class StrIndex {
 public:
  // Keeps the first value given for a text; false when the text was already there.
  bool insert(std::string_view key, uint32_t value) {
    const uint64_t h = text_hash(key);
    if (slots_.find(key, h, text_of()) >= 0) return false;
    starts_.push_back(static_cast<uint32_t>(arena_.size()));
    arena_.append(key);
    ends_.push_back(static_cast<uint32_t>(arena_.size()));
    values_.push_back(value);
    slots_.add(h, static_cast<uint32_t>(values_.size() - 1));
    return true;
  }
  int64_t find(std::string_view key) const {
    const int64_t e = slots_.find(key, text_hash(key), text_of());
    return e < 0 ? int64_t{-1} : int64_t{values_[static_cast<size_t>(e)]};
  }

 private:
  struct TextOf {
    const StrIndex* index;
    std::string_view operator()(uint32_t e) const {
      return std::string_view(index->arena_.data() + index->starts_[e], index->ends_[e] - index->starts_[e]);
    }
  };
  TextOf text_of() const { return TextOf{this}; }

  std::string arena_;
  std::vector<uint32_t> starts_, ends_;
  std::vector<uint32_t> values_;
  TextSlots slots_;
};

// Trims ASCII space, tab and U+3000 (E3 80 80) from both ends.
inline std::string_view trim(std::string_view s) {
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

// JSON number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
bool json_number_ok(std::string_view t);

// 2022-03-05, 2022/3/5, 2022.3.5 or 2022年3月5日, a time of day after it ignored. shape: the
// text has one of these forms; returns true for a real calendar date.
bool parse_date(std::string_view t, int32_t& days, bool& shape);

// An Excel serial date ("44621", "44621.5"); shape: the text is a serial at all.
bool excel_serial_date(std::string_view t, int32_t& days, bool& shape);

// A value from the input, shown in a message: at most 60 code points, control characters
// escaped.
std::string show(std::string_view s);

// Whether `path` ends with `ext` (lower case, with its dot), ignoring ASCII case.
bool has_extension(const std::string& path, std::string_view ext);

inline uint64_t mix(uint64_t h, uint64_t w) {
  h ^= w + 0x9E3779B97F4A7C15ULL + (h << 6) + (h >> 2);
  h *= 0xFF51AFD7ED558CCDULL;
  h ^= h >> 32;
  return h;
}

// Keys of unique constraints, and where each was first seen. A key is the constraint's
// number followed by its words (every key of one constraint has the same number of words),
// so each constraint keeps its keys back to back in its own arena, with no per-key offset,
// length or stored hash: a key costs its words, 8 bytes for where it was seen and 8 to 16
// bytes of open-addressing index (about 40 bytes for an (account, date) key).
class UniqueSet {
 public:
  struct Where {
    uint32_t file = 0;
    uint32_t line = 0;
  };

  static uint64_t hash(const std::vector<uint64_t>& key) { return hash(key.data(), key.size()); }

  const Where* find(const std::vector<uint64_t>& key, uint64_t h) const {
    if (key.empty() || key[0] >= parts_.size()) return nullptr;
    const Part& part = parts_[key[0]];
    const int64_t i = part.find(key.data() + 1, h);
    return i < 0 ? nullptr : &part.where[static_cast<size_t>(i)];
  }

  void insert(const std::vector<uint64_t>& key, uint64_t h, uint32_t file, uint32_t line) {
    if (key.empty()) return;
    if (key[0] >= parts_.size()) parts_.resize(key[0] + 1);
    Part& part = parts_[key[0]];
    if (part.where.empty()) part.width = key.size() - 1;
    part.insert(key.data() + 1, h, key[0], Where{file, line});
  }

 private:
  static uint64_t hash(const uint64_t* words, size_t n) {
    uint64_t h = 0x243F6A8885A308D3ULL ^ n;
    for (size_t i = 0; i < n; ++i) h = mix(h, words[i]);
    return h;
  }

  struct Part {
    size_t width = 0;            // words per key (after the constraint's number)
    std::vector<uint64_t> keys;  // key i is keys[i * width, (i + 1) * width)
    std::vector<Where> where;
    std::vector<uint32_t> table;  // key index + 1, 0 = empty

    bool same(size_t i, const uint64_t* words) const {
      return std::equal(words, words + width, keys.begin() + static_cast<ptrdiff_t>(i * width));
    }
    int64_t find(const uint64_t* words, uint64_t h) const {
      if (table.empty()) return -1;
      const size_t mask = table.size() - 1;
      for (size_t i = h & mask;; i = (i + 1) & mask) {
        const uint32_t v = table[i];
        if (v == 0) return -1;
        if (same(v - 1, words)) return v - 1;
      }
    }
    void insert(const uint64_t* words, uint64_t h, uint64_t id, Where w) {
      if ((where.size() + 1) * 2 > table.size()) grow(id);
      keys.insert(keys.end(), words, words + width);
      where.push_back(w);
      place(h, static_cast<uint32_t>(where.size()));
    }
    void place(uint64_t h, uint32_t index1) {
      const size_t mask = table.size() - 1;
      for (size_t i = h & mask;; i = (i + 1) & mask) {
        if (table[i] == 0) {
          table[i] = index1;
          return;
        }
      }
    }
    // The index is rebuilt from the keys (their hashes are not kept).
    void grow(uint64_t id) {
      table.assign(std::max<size_t>(64, table.size() * 2), 0);
      std::vector<uint64_t> key(width + 1);
      key[0] = id;
      for (size_t i = 0; i < where.size(); ++i) {
        std::copy(keys.begin() + static_cast<ptrdiff_t>(i * width),
                  keys.begin() + static_cast<ptrdiff_t>((i + 1) * width), key.begin() + 1);
        place(UniqueSet::hash(key.data(), key.size()), static_cast<uint32_t>(i + 1));
      }
    }
  };

  std::vector<Part> parts_;  // by constraint number
};

// A table's rows indexed by their key symbols (open addressing). Each slot holds a row's
// number + 1 (0 = empty) and its hash's low 32 bits, and the rows' keys are copied back to
// back into one array, so a lookup reads the slots and, on a matching hash, one compact
// run of key symbols, not the row in the Program.
struct TableIndex {
  struct Slot {
    uint32_t row1 = 0;
    uint32_t hash = 0;
  };
  std::vector<Slot> slots;
  std::vector<uint32_t> keys;    // every row's key symbols, back to back
  std::vector<uint32_t> starts;  // row r's keys are keys[starts[r], starts[r + 1])

  static uint64_t hash(const uint32_t* k, size_t n) {
    uint64_t h = 0x13198A2E03707344ULL ^ n;
    for (size_t i = 0; i < n; ++i) h = mix(h, k[i]);
    return h;
  }
  void build(const TableDef& table) {
    size_t cap = 16;
    while (cap < table.rows.size() * 2 + 2) cap *= 2;
    slots.assign(cap, Slot{});
    keys.clear();
    starts.assign(1, 0);
    for (const auto& row : table.rows) {
      keys.insert(keys.end(), row.keys.begin(), row.keys.end());
      starts.push_back(static_cast<uint32_t>(keys.size()));
    }
    for (size_t r = 0; r < table.rows.size(); ++r) {
      const uint32_t* k = keys.data() + starts[r];
      const size_t n = starts[r + 1] - starts[r];
      if (lookup(k, n) >= 0) continue;  // a repeated key: first row wins
      const auto h = static_cast<uint32_t>(hash(k, n));
      const size_t mask = slots.size() - 1;
      for (size_t i = h & mask;; i = (i + 1) & mask) {
        if (slots[i].row1 == 0) {
          slots[i] = Slot{static_cast<uint32_t>(r + 1), h};
          break;
        }
      }
    }
  }
  int64_t lookup(const uint32_t* k, size_t n) const {
    const auto h = static_cast<uint32_t>(hash(k, n));
    const size_t mask = slots.size() - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
      const Slot slot = slots[i];
      if (slot.row1 == 0) return -1;
      if (slot.hash != h) continue;
      const uint32_t r = slot.row1 - 1;
      if (starts[r + 1] - starts[r] != n) continue;
      const uint32_t* row = keys.data() + starts[r];
      size_t j = 0;
      while (j < n && row[j] == k[j]) ++j;
      if (j == n) return r;
    }
  }
};

// CellNumber: a workbook cell holding a number; read as its text, except that where a date
// is expected it is an Excel serial date.
enum class VKind : uint8_t { Absent, String, Number, CellNumber, Other };

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
  StrIndex members;     // codes, then display names -> the member's symbol
  std::string listing;  // "province, city, county"
};

struct FileCtx {
  const std::string* name = nullptr;
  uint32_t index = 0;
  bool csv = false;
  std::string_view header_raw;
};


}  // namespace rb::input

namespace rb {

using namespace input;

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

  RejectFile rejects;
  std::string reject_tmp;
  bool reject_failed = false;

  od::parser parser;

  // --- setup ---------------------------------------------------------------------------

  uint32_t name_id(const std::string& name);

  void build();

  void add_display_names();

  // --- errors ----------------------------------------------------------------------------

  template <class F>
  void report(uint32_t at_line, F&& build_message) {
    report_field(at_line, UINT32_MAX, build_message);
  }

  // A problem with the field `name` (a name id; UINT32_MAX for the record as a whole): in a
  // workbook it is placed at the field's cell, or at the row's first cell.
  template <class F>
  void report_field(uint32_t at_line, uint32_t name, F&& build_message) {
    bad = true;
    ++error_count;
    const bool kept = errors.size() < options.max_errors;
    if (!kept && !rejecting()) return;  // the message is not needed: build nothing
    InputError e{*file, at_line, build_message(), place(at_line, name), {}, {}};
    if (rejecting()) {
      if (reasons.empty()) reason_where = e.place.empty() ? fmt::format("{}:{}", e.file, e.line) : fmt::format("{}:{}", e.file, e.place);
      reasons.push_back(e.message);
    }
    if (kept) errors.push_back(std::move(e));
  }

  // Bad records go to a reject file: their reasons and where the first one is are kept.
  bool rejecting() const { return options.skip_bad && !options.reject_path.empty(); }
  std::vector<std::string> reasons;
  std::string reason_where;

  // Where a problem is in a workbook ("政策解读!C14"); "" for other formats.
  std::string place(uint32_t at_line, uint32_t name) const;

  // The current workbook sheet, while one is read: its name, and the column of each name id
  // (-1 when the sheet has none).
  std::string sheet;
  std::vector<int32_t> sheet_columns;

  void report_file(const std::string& name, std::string message) {
    ++error_count;
    if (errors.size() < options.max_errors) errors.push_back(InputError{name, 0, std::move(message), {}, {}, {}});
  }

  // --- values ----------------------------------------------------------------------------

  void begin_record(uint32_t at_line) {
    bad = false;
    reasons.clear();
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
    if (kind == VKind::String || kind == VKind::Number || kind == VKind::CellNumber) {
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
  bool text_of(const Value& v, uint32_t name, std::string_view& out);

  bool resolve_unit(std::string_view text, uint32_t& unit);

  // Reports an unknown unit name in field `name`, marked as such for `rulebook diff`.
  void report_unknown_unit(uint32_t name, std::string_view text);
  std::string unknown_unit_message(std::string_view text);

  std::string row_key_text(const TableDef& table, uint32_t row) const;

  // "(a, b)" for a key of several fields, "'a'" for one.
  std::string input_key_text(const SlotPlan& sp) const;

  std::string row_display(const TableDef& table, uint32_t row, size_t nkeys) const;

  void validate();

  bool read_date(uint32_t name, bool optional, int32_t& days);

  // Row index, or -1 (absent optional key, or an error reported).
  int64_t read_key(const SlotPlan& sp);

  void build_key(const Constraint& c, const TypePlan& plan);

  std::string slot_display(const TypePlan& plan, uint32_t s) const;

  void check_unique(const TypePlan& plan, const EventTypeDef& ev);

  // --- records ---------------------------------------------------------------------------

  void finish_record(std::string_view raw, const FileCtx& ctx, RecordSink& sink);

  bool is_input(const std::string& path) const;

  void write_reject(std::string_view raw, const FileCtx& ctx);

  // --- JSON Lines ------------------------------------------------------------------------

  // Collects the known fields of one JSON object into `values`; false when the line is not
  // a usable JSON object (the error is reported).
  bool fill_json(const char* p, size_t len, size_t capacity);

  // Reads whole lines; `first_line` is the number of the line before data (0 at the start
  // of a file, where a byte order mark is skipped). Returns the number of the last line.
  uint32_t read_jsonl(const char* data, size_t size, size_t allocated, const FileCtx& ctx, RecordSink& sink,
                      uint32_t first_line = 0);

  // Where a CSV chunk can end: after its last line break outside a quoted field (quotes
  // toggle the state; a doubled quote toggles it twice). 0 when there is none.
  static size_t csv_cut(const char* data, size_t size);

  // Reads up to `room` bytes into `to`: the count, 0 at the end, -1 with errno on failure.
  using ByteSource = std::function<ssize_t(char* to, size_t room)>;

  // Reads one file's records from `read` (see reader.cpp).
  bool stream(const std::string& name, uint32_t file_index, RecordSink& sink, bool is_csv, const ByteSource& read);

  // --- CSV -------------------------------------------------------------------------------

  // What a CSV file's later chunks need from the earlier ones.
  struct CsvState {
    std::vector<int64_t> columns;  // name id per column, -1 when not a known field
    bool have_header = false;
    bool header_bad = false;
    std::string header_text;       // kept for the reject file
    uint32_t lines_before = 0;     // lines in the chunks already read
    uint64_t bad_utf8_rows = 0;    // rows that are not UTF-8 (only the first has a message)
    uint32_t first_bad_utf8_line = 0;
  };

  void read_csv(std::string_view data, FileCtx& ctx, RecordSink& sink, CsvState& st);

  void report_file_line(uint32_t at_line, std::string message) {
    ++error_count;
    if (errors.size() < options.max_errors)
      errors.push_back(InputError{*file, at_line, std::move(message), place(at_line, UINT32_MAX), {}, {}});
  }

  bool read_header(const CsvSplitter& csv, std::vector<int64_t>& columns, uint32_t base);

  // --- files -----------------------------------------------------------------------------

  bool supported(const std::string& name);

  bool finish();

  // --- workbooks (reader_xlsx.cpp) ---------------------------------------------------------

  // Reports a workbook that libzip cannot open (its ZIP_ER_* code); returns false.
  bool workbook_unreadable(const std::string& name, int zip_error);
  // Reads the records of an opened workbook; takes ownership of `zip` (a zip_t*).
  bool read_xlsx(const std::string& name, uint32_t file_index, RecordSink& sink, void* zip);
  // The header of a table (CSV or sheet): the name id of each column, -1 when not a field;
  // reports a column given twice (false then).
  bool header_columns(const std::vector<std::string_view>& cells, std::vector<int64_t>& columns, uint32_t at);
};

}  // namespace rb
