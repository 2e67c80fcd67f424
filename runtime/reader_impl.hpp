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

// One record of a chunk a worker has read (reader_parallel.cpp): what finish_record needs.
struct RecordHead {
  uint32_t type = 0, unit = 0, row = 0, line = 0, present = 0;
  int32_t date = 0;
  uint32_t raw_at = 0, raw_size = 0;  // the record's text in the chunk
  uint32_t errors = 0;                // its problems, with a message or not
  uint32_t fields_at = 0;             // its slots in ChunkOut::fields (valid records only)
  bool bad = false;
  bool bad_utf8 = false;  // a CSV row that is not UTF-8 (said once per file, when taken)
};

// The record's fields that a RecordHead keeps too, copied either way.
template <class To, class From>
void copy_head(To& to, const From& from) {
  to.type = from.type;
  to.date = from.date;
  to.unit = from.unit;
  to.row = from.row;
  to.present = from.present;
}

// A worker's chunk: the records in order, the slots of the valid ones back to back (texts
// as the worker's own symbols), the errors with messages and the record each belongs to,
// and the texts the worker's symbol table gained.
struct ChunkOut {
  const char* base = nullptr;
  std::vector<RecordHead> heads;
  std::vector<Rational> fields;
  std::vector<InputError> errors;
  std::vector<uint32_t> error_record;
  std::vector<std::string> new_texts;

  void clear() {
    heads.clear();
    fields.clear();
    errors.clear();
    error_record.clear();
    new_texts.clear();
  }
  void add(const Record& r, size_t slots, uint32_t line, bool bad, bool bad_utf8, uint32_t errors_seen,
           std::string_view raw) {
    RecordHead h;
    h.line = line;
    h.raw_at = static_cast<uint32_t>(raw.data() - base);
    h.raw_size = static_cast<uint32_t>(raw.size());
    h.errors = errors_seen;
    h.bad = bad;
    h.bad_utf8 = bad_utf8;
    if (!bad) {
      copy_head(h, r);
      h.fields_at = static_cast<uint32_t>(fields.size());
      fields.insert(fields.end(), r.fields.begin(), r.fields.begin() + static_cast<ptrdiff_t>(slots));
    }
    heads.push_back(h);
  }
};

struct ReadWorker;


}  // namespace rb::input

namespace rb {

using namespace input;

struct EventReader::Impl {
  Impl(const Program& p, Symbols& s, ReadOptions o);
  ~Impl();

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
    // A worker keeps every message a reject file needs: the cap is applied when taken.
    const bool kept = errors.size() < options.max_errors || (chunk_out != nullptr && rejecting());
    if (!kept && !rejecting()) return;  // the message is not needed: build nothing
    InputError e{*file, at_line, build_message(), place(at_line, name), {}, {}};
    if (chunk_out != nullptr) {
      chunk_out->error_record.push_back(static_cast<uint32_t>(chunk_out->heads.size()));
      errors.push_back(std::move(e));
      return;
    }
    keep_error(std::move(e), kept);
  }

  // A record's problem: one of its reasons for the reject file, and a message when kept.
  void keep_error(InputError&& e, bool kept) {
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
    utf8_bad = false;
    record_errors_from = error_count;
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

  // A row that is not UTF-8: reported for the file's first such row, counted for the others.
  void bad_utf8_row(std::string_view raw, CsvState& st);

  // --- several threads (reader_parallel.cpp) ------------------------------------------------

  // Set while a worker reads a chunk: records and errors go there, not to a sink.
  ChunkOut* chunk_out = nullptr;
  uint64_t record_errors_from = 0;  // error_count when the record began
  bool utf8_bad = false;            // the record is a CSV row that is not UTF-8

  struct Parallel;
  std::unique_ptr<Parallel> parallel;
  // The workers for a file, when options.threads > 1 (nullptr: read here).
  Parallel* parallel_for_file();
  void submit_chunk(Parallel& par, const char* data, size_t size, uint32_t first_line, const FileCtx& ctx,
                    CsvState* csv, RecordSink& sink);
  void drain_chunks(Parallel& par, RecordSink& sink);
  void take_chunk(ChunkOut& out, const FileCtx& ctx, CsvState* csv, ReadWorker& w, RecordSink& sink);

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
