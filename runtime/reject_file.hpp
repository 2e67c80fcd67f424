// The reject file of a run with --skip-bad --reject FILE: each rejected record with the
// reason and where it was (位置: FILE:LINE, or FILE:SHEET!CELL in a workbook), in the format
// the file's name says:
//   .jsonl .ndjson .json  JSON Lines: the record's own object (or, from CSV and workbooks,
//                         its header's fields), with 原因 and 位置 added; a line that is not
//                         a JSON object is kept as the text 记录.
//   .xlsx                 a workbook: a sheet per source header, its columns then 原因, 位置.
//   anything else         CSV with a byte order mark (so Excel opens it): the source's header
//                         and cells then 原因 and 位置; JSON records as 原因, 位置, 记录.
// Corrected records can be read again as they are: the reader ignores the 原因 and 位置 fields.
// The records are kept until write(), which writes the whole file at once.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace rb {

class RejectFile {
 public:
  // raw: the record's text, a JSON line or a CSV line of cells; header: the CSV header line
  // of a table's records, empty for JSON Lines.
  void add(std::string_view raw, std::string_view header, std::string reason, std::string where);
  bool empty() const { return entries_.empty(); }
  // Writes the file at `path` in the format `name` says; false with `error` on failure.
  bool write(const std::string& path, const std::string& name, std::string& error) const;

 private:
  struct Entry {
    std::string raw;
    std::vector<std::string> header, cells;  // a table's records
    std::string reason, where;
  };
  // The columns and cells of an entry in a table: its own, or 原因, 位置, 记录 for JSON.
  static void table_row(const Entry& e, std::vector<std::string>& header, std::vector<std::string>& row);
  bool write_csv(const std::string& path) const;
  bool write_jsonl(const std::string& path) const;
  bool write_xlsx(const std::string& path, std::string& error) const;

  std::vector<Entry> entries_;
};

}  // namespace rb
