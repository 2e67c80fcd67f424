#include "reject_file.hpp"

#include <xlsxwriter.h>

#include <cstdio>
#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "csv.hpp"
#include "messages.hpp"
#include "platform.hpp"
#include "xlsx_error.hpp"

namespace rb {

namespace {

std::vector<std::string> split_csv_line(std::string_view line) {
  std::vector<std::string> cells;
  CsvSplitter csv(line);
  if (csv.next() == CsvSplitter::Status::Record)
    for (size_t i = 0; i < csv.size(); ++i) cells.emplace_back(csv.cell(i));
  return cells;
}

bool ends_with(const std::string& s, std::string_view tail) {
  if (s.size() < tail.size()) return false;
  for (size_t i = 0; i < tail.size(); ++i) {
    char c = s[s.size() - tail.size() + i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != tail[i]) return false;
  }
  return true;
}

}  // namespace

void RejectFile::add(std::string_view raw, std::string_view header, std::string reason, std::string where) {
  Entry e;
  e.raw.assign(raw);
  if (!header.empty()) {
    e.header = split_csv_line(header);
    e.cells = split_csv_line(raw);
  }
  e.reason = std::move(reason);
  e.where = std::move(where);
  entries_.push_back(std::move(e));
}

void RejectFile::table_row(const Entry& e, std::vector<std::string>& header, std::vector<std::string>& row) {
  if (e.header.empty()) {
    header = {"原因", "位置", "记录"};
    row = {e.reason, e.where, e.raw};
    return;
  }
  header = e.header;
  header.insert(header.end(), {"原因", "位置"});
  row = e.cells;
  row.resize(e.header.size());
  row.insert(row.end(), {e.reason, e.where});
}

bool RejectFile::write(const std::string& path, const std::string& name, std::string& error) const {
  const bool ok = ends_with(name, ".xlsx")                                                        ? write_xlsx(path, error)
                  : ends_with(name, ".jsonl") || ends_with(name, ".ndjson") || ends_with(name, ".json") ? write_jsonl(path)
                                                                                                   : write_csv(path);
  if (!ok && error.empty()) error = text(Msg::cannot_write_reject);
  return ok;
}

bool RejectFile::write_csv(const std::string& path) const {
  std::ofstream out(native_path(path), std::ios::binary | std::ios::trunc);
  out << "\xEF\xBB\xBF";
  std::vector<std::string> last, header, row;
  for (const Entry& e : entries_) {
    table_row(e, header, row);
    for (const auto* line : {&header, &row}) {
      if (line == &header && header == last) continue;
      for (size_t i = 0; i < line->size(); ++i) out << (i ? "," : "") << csv_cell((*line)[i]);
      out << "\r\n";
    }
    last = header;
  }
  return static_cast<bool>(out.flush());
}

bool RejectFile::write_jsonl(const std::string& path) const {
  std::ofstream out(native_path(path), std::ios::binary | std::ios::trunc);
  for (const Entry& e : entries_) {
    nlohmann::ordered_json j;
    if (e.header.empty()) {
      auto parsed = nlohmann::ordered_json::parse(e.raw, nullptr, false);
      if (parsed.is_object()) j = std::move(parsed);
      else j["记录"] = e.raw;
    } else {
      for (size_t i = 0; i < e.header.size() && i < e.cells.size(); ++i)
        if (!e.cells[i].empty()) j[e.header[i]] = e.cells[i];
    }
    j["原因"] = e.reason;
    j["位置"] = e.where;
    out << j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) << "\n";
  }
  return static_cast<bool>(out.flush());
}

bool RejectFile::write_xlsx(const std::string& path, std::string& error) const {
  lxw_workbook* book = workbook_new(path.c_str());
  if (book == nullptr) return false;
  lxw_format* bold = workbook_add_format(book);
  format_set_bold(bold);
  std::vector<std::string> last, header, row;
  lxw_worksheet* sheet = nullptr;
  lxw_row_t at = 0;
  int sheets = 0;
  for (const Entry& e : entries_) {
    table_row(e, header, row);
    if (sheet == nullptr || header != last) {
      sheet = workbook_add_worksheet(book, fmt::format("退回记录{}", ++sheets).c_str());
      for (size_t c = 0; c < header.size(); ++c)
        worksheet_write_string(sheet, 0, static_cast<lxw_col_t>(c), header[c].c_str(), bold);
      worksheet_freeze_panes(sheet, 1, 0);
      at = 0;
      last = header;
    }
    ++at;
    for (size_t c = 0; c < row.size(); ++c)
      worksheet_write_string(sheet, at, static_cast<lxw_col_t>(c), row[c].c_str(), nullptr);
  }
  const lxw_error status = workbook_close(book);
  if (status != LXW_NO_ERROR) error = tr(Msg::cannot_write_reject_reason, xlsx_error_text(status));
  return status == LXW_NO_ERROR;
}

}  // namespace rb
