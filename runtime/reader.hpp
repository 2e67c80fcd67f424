// Reading event records: JSON Lines or CSV files in, validated Records out.
//
// Everything the reader checks comes from the Program (the rulebook's declared schema):
// event types, their fields and kinds, units and aliases, enums, tables and unique
// constraints. Nothing about one particular rulebook is written here.
//
// Input formats (by file extension, case-insensitive):
//   .jsonl .ndjson .json  JSON Lines: one JSON object per line.
//   .csv                  RFC 4180 CSV whose first non-blank record is the header, in
//                         UTF-8, GB18030 or UTF-16 with LF, CRLF or CR line ends
//                         (text_decoding.hpp).
//   .xlsx                 an Excel workbook: each sheet a table like a CSV file, or a
//                         sheet of one event type (reader_xlsx.cpp); locations SHEET!CELL.
// A UTF-8 byte order mark at the start is skipped in both. Blank lines (and in CSV, rows
// whose cells are all empty) are skipped but still counted for line numbers.
//
// Values: every text (type, units, table keys, texts, enum members, dates, numbers given as
// strings) is trimmed of ASCII space, tab and U+3000 first. A field that is absent, JSON
// null, or empty after trimming (so an empty CSV cell, and likewise "" in JSON) is absent.
// A JSON number is accepted where text is expected (its text as written, so {"id": 12}
// and the CSV cell 12 read the same); booleans, arrays and objects are not. Numbers are
// parsed exactly from the text as written (parse_decimal), never through a double:
// exponents, more than 6 decimals (kMaxInputDecimals) or values beyond 64 bits are errors,
// not roundings.
// Fields the record's event type does not declare are ignored.
//
// Errors: every problem with a record is reported as one InputError (file, 1-based line,
// message); a record may have several. Reading goes on through the whole input. Only the
// first max_errors are kept as messages (building them, suggestions included, costs
// nothing after that unless a reject file needs them), error_count() counts them all.
// Messages:
//   not valid JSON: <simdjson's reason>                 (also invalid UTF-8 in a JSON line)
//   not valid JSON: bad value 'tru' for 'other'        (a malformed literal, 01, 1., nul)
//   not a JSON object
//   text after the JSON object
//   invalid UTF-8; the file looks like GB18030/GBK. Save it as ...   (a CSV file's first such row;
//   and 6891 more rows that are not valid UTF-8                        the others once, at its end)
//   the text is not UTF-8, GB18030/GBK or UTF-16 ...   (line 0: a CSV file in no known encoding)
//   <CSV splitter message>                             e.g. unterminated quoted field
//   row has 3 cells but the header has 5
//   header has no 'type' column / column 'x' appears twice in the header /
//   header: <CSV splitter message> / header: invalid UTF-8  (the file's rows are all rejected)
//   missing field 'type' / missing field 'date' / missing field 'level'
//   field 'id' given twice
//   field 'level' must be a string, not a boolean      (also array, object)
//   unknown event type 'portal_warnin' (did you mean portal_warning?)
//   field 'date' is not a date: '4/1/2022' (write 2022-03-05, 2022/3/5, 2022.3.5 or 2022年3月5日)
//   field 'date' is not a calendar date: '2022-02-30'
//   unknown unit '县审记局' (did you mean 县审计局?)
//   field 'score' is not a number: 'one'
//   field 'score' is not a number: '1e3' (exponents are not accepted)
//   field 'score' has too many decimals: '0.1234567'; numbers in events keep at most 6 decimals, ...
//   level 'town' is not one of province, city, county
//   unknown account (微博, 云和公安) (did you mean (微信订阅号, 云和公安)?)
//   account (x, y) has no unit in table T              (a table row without units)
//   unit '县教育局' does not match account (抖音, 云和交警) of 县公安局
//   duplicate nm_weekly_score for (抖音, 云和交警, 2022-09-04): first at events.jsonl:3
// Values quoted in messages are cut to 60 characters and control characters escaped.
//
// Records: a record is valid when it has no problem at all. Valid records dated within
// [period_from, period_to] go to the sink in input order; valid records outside the period
// are counted (out_of_period) and dropped. Bad records never reach the sink, whatever the
// options; stats.rejected counts them (so records == in_period + out_of_period + rejected).
// Unique constraints are checked over all valid records (in period or not) of all files
// read by this reader; the later record is the bad one.
//
// Record contents: type, date, file, line (the line the record starts on), present (bit i
// when slot i was given), fields[i] per slot (units as unit index, texts and enum members
// as symbols, numbers exact, dates as days, table keys as row index; absent slots and
// slots past the type's fields are 0).
// unit: the Unit field's unit, else the key field's table row's first unit, else 0 (an
// event type with neither has no unit). row: the key field's row, else the row of the
// type's first TableKey field when given, else 0.
// When an event type takes its unit from a table key, a unit given as well (its declared
// Unit field, or else an input field named like any Unit field of the program, or `unit`)
// must be that row's unit.
//
// skip_bad only decides what happens to bad records besides being reported and counted:
// with it they are written to the reject file (when reject_path is set); the caller decides
// whether a run with errors goes on. Without reject_path they are only counted.
//
// Reject file (options.skip_bad with a non-empty reject_path): each bad record in input
// order with its reasons and where the first one is, in the format the file's name says
// (reject_file.hpp). It is written by finish() to `<reject_path>.tmp` and renamed over
// reject_path. When nothing was rejected, finish() creates no file and removes an existing
// file at reject_path (left from an earlier run), so the file exists exactly when this run
// rejected something. The reject file may not be one of the input files.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "bytecode.hpp"
#include "record.hpp"
#include "text_decoding.hpp"

namespace rb {

struct InputError {
  std::string file;
  uint32_t line = 0;  // 0: the whole file (e.g. cannot open); in a workbook, the sheet's row
  std::string message;
  std::string place;  // in a workbook, the sheet and cell: "政策解读!C14"
  // Set when the problem is an unknown event type or unit name: the name as written (for
  // `rulebook diff`, which leaves out records only the other rulebook knows).
  std::string unknown_type, unknown_unit;
};

// "file:line: message", "file:place: message" in a workbook, or "file: message" for line 0.
std::string to_string(const InputError& error);

struct ReadOptions {
  bool skip_bad = false;
  Encoding encoding = Encoding::Detect;  // of CSV files (JSON Lines is always UTF-8)
  std::string reject_path;
  size_t max_errors = 100;
  // Threads that read and validate (1: all on the calling thread). The records, errors,
  // symbols and reject file are the same for any number.
  unsigned threads = 1;
  size_t chunk_bytes = size_t{8} << 20;  // how much of a file is read at a time
};

struct ReadStats {
  uint64_t records = 0;        // non-blank records read (header rows not counted)
  uint64_t in_period = 0;      // valid and passed to the sink
  uint64_t out_of_period = 0;  // valid but dated outside the period
  uint64_t rejected = 0;       // bad records (never passed on)
};

class RecordSink {
 public:
  virtual ~RecordSink() = default;
  virtual void accept(const Record& r) = 0;
  // A valid record dated outside the period; traces use it to say why an item gave nothing.
  virtual void ignored(const Record&) {}
};

class EventReader {
 public:
  EventReader(const Program& program, Symbols& symbols, ReadOptions options);
  ~EventReader();
  EventReader(const EventReader&) = delete;
  EventReader& operator=(const EventReader&) = delete;

  // Reads one file (JSON Lines for .jsonl/.ndjson/.json, CSV with header for .csv; any other
  // extension is an error), passes every valid in-period record to sink and validates all
  // records. Returns false when the file cannot be read (or has an unsupported extension,
  // or the reject file cannot be written); problems with records do not make it false.
  bool read_file(const std::string& path, uint32_t file_index, RecordSink& sink);

  // Reads records from a buffer as if it were the file `name` (format from its extension).
  // read_file uses it; tests and tools may call it directly.
  bool read_buffer(std::string_view data, const std::string& name, uint32_t file_index, RecordSink& sink);

  // After all files: completes the reject file (see above). Returns false on I/O failure,
  // which is also reported as an error with line 0.
  bool finish();

  const ReadStats& stats() const;
  const std::vector<InputError>& errors() const;  // the first max_errors problems
  uint64_t error_count() const;                    // all problems, even past the cap

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace rb
