// CSV with a header row: split by CsvSplitter, each row's cells matched to the header's
// field names.
#include <fmt/format.h>

#include "reader_impl.hpp"

namespace rb {

// Where a CSV chunk can end: after its last line break outside a quoted field, that is one
// with an even number of quotes before it (a doubled quote counts twice). 0 when there is
// none. The quotes are counted once over the chunk, then the line breaks are tried from the
// end, each taking off the quotes after it.
size_t EventReader::Impl::csv_cut(const char* data, size_t size) {
  const std::string_view text(data, size);
  auto quotes = static_cast<size_t>(std::count(data, data + size, '"'));
  size_t end = size;
  while (end > 0) {
    const size_t nl = text.rfind('\n', end - 1);
    if (nl == std::string_view::npos) return 0;
    quotes -= static_cast<size_t>(std::count(data + nl, data + end, '"'));
    if (quotes % 2 == 0) return nl + 1;
    end = nl;
  }
  return 0;
}

void EventReader::Impl::read_csv(std::string_view data, FileCtx& ctx, RecordSink& sink, CsvState& st) {
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
        report_file_line(base + csv.error_line(), tr(Msg::csv_header_problem, csv.error()));
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
      if (chunk_out != nullptr) {
        bad = utf8_bad = true;  // which of the file's such rows it is is known only in order
      } else {
        bad_utf8_row(csv.raw(), st);
      }
    } else if (csv.size() != columns.size()) {
      report(line, [&] {
        return tr(Msg::csv_row_cells, csv.size(), columns.size());
      });
    } else {
      // An empty cell is no value: it is left unset, which reads the same as absent.
      for (size_t i = 0; i < columns.size(); ++i)
        if (columns[i] >= 0 && !csv.cell_empty(i)) set_value(static_cast<uint32_t>(columns[i]), VKind::String, csv.cell(i));
      validate();
    }
    finish_record(csv.raw(), ctx, sink);
  }
}

// Said once per file, with the advice; the file's other such rows are counted at its end.
void EventReader::Impl::bad_utf8_row(std::string_view raw, CsvState& st) {
  if (st.bad_utf8_rows++ == 0) {
    st.first_bad_utf8_line = line;
    report(line, [&] { return tr(Msg::csv_row_invalid_utf8, looks_like(raw), rb::text(Msg::save_as_utf8)); });
  } else {
    bad = true;
  }
}

bool EventReader::Impl::header_columns(const std::vector<std::string_view>& cells, std::vector<int64_t>& columns,
                                       uint32_t at) {
  columns.assign(cells.size(), -1);
  bool ok = true;
  for (size_t i = 0; i < cells.size(); ++i) {
    std::string_view name = trim(cells[i]);
    const int64_t found = name_ids.find(name);
    if (found < 0) continue;
    const auto name_id_found = static_cast<uint32_t>(found);
    if (std::find(columns.begin(), columns.end(), name_id_found) != columns.end()) {
      report_file_line(at, tr(Msg::csv_column_twice, show(name)));
      ok = false;
    }
    columns[i] = name_id_found;
  }
  return ok;
}

bool EventReader::Impl::read_header(const CsvSplitter& csv, std::vector<int64_t>& columns, uint32_t base) {
  const uint32_t at = base + csv.line();
  if (!simdjson::validate_utf8(csv.raw().data(), csv.raw().size())) {
    report_file_line(at, tr(Msg::csv_header_invalid_utf8, looks_like(csv.raw()), rb::text(Msg::save_as_utf8)));
    return false;
  }
  std::vector<std::string_view> cells;
  for (size_t i = 0; i < csv.size(); ++i) cells.push_back(csv.cell(i));
  bool ok = header_columns(cells, columns, at);
  for (uint32_t required : {name_type, name_date}) {
    if (std::find(columns.begin(), columns.end(), required) == columns.end()) {
      report_file_line(at, tr(Msg::header_missing_column, names[required]));
      ok = false;
    }
  }
  return ok;
}

}  // namespace rb
