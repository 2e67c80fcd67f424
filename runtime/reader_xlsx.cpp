// Excel workbooks (.xlsx): the zip container through libzip, the XML through expat, both
// streamed, so memory grows with the shared strings and merged ranges, not with the sheets.
//
// Each sheet with a header row is a table like a CSV file: its first non-empty row names
// the columns (codes or display names). A sheet named after an event type (its code or
// display name) holds records of that type and needs no type column; any other sheet is
// read when it has a type column, and skipped when it names no field at all (an
// explanation sheet). Cells are read as Excel stores them: numbers as written in the file
// (and as Excel serial dates where a date is expected), shared and inline strings, booleans
// as TRUE/FALSE, a formula by its saved value. A merged range gives every cell in it the
// value of its first cell. Locations in messages are SHEET!CELL.
#include <expat.h>
#include <zip.h>

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <map>

#include <fmt/format.h>

#include "reader_impl.hpp"

namespace rb {

namespace {

// A number cell as Excel shows it: 15 significant digits. The file keeps the double's
// round-trip form (0.1 + 0.2 is stored as 0.30000000000000004, a typed 83.4 computed by a
// formula as 83.40000000000001); Excel and WPS show, and people mean, 0.3 and 83.4. A value
// whose 15 digits need an exponent is left as stored (the reader then says why it refuses it).
std::string excel_number_text(const std::string& stored) {
  double value = 0;
  const char* end = stored.data() + stored.size();
  auto [ptr, ec] = std::from_chars(stored.data(), end, value);
  if (ec != std::errc() || ptr != end || !std::isfinite(value)) return stored;
  std::string shown = fmt::format("{:.15g}", value);
  return shown.find_first_of("eE") == std::string::npos ? shown : stored;
}

// "B14" -> column 1 (0-based) and row 14; false for anything else.
bool parse_cell_ref(std::string_view ref, uint32_t& column, uint32_t& row) {
  size_t i = 0;
  uint32_t col = 0;
  while (i < ref.size() && ref[i] >= 'A' && ref[i] <= 'Z' && i < 3) col = col * 26 + static_cast<uint32_t>(ref[i++] - 'A' + 1);
  uint32_t r = 0;
  size_t digits = 0;
  while (i < ref.size() && ref[i] >= '0' && ref[i] <= '9' && digits < 8) r = r * 10 + static_cast<uint32_t>(ref[i++] - '0'), ++digits;
  if (col == 0 || r == 0 || i != ref.size()) return false;
  column = col - 1;
  row = r;
  return true;
}

// The local part of an XML name: "x:row" -> "row".
std::string_view local(const XML_Char* name) {
  std::string_view n(name);
  const size_t colon = n.rfind(':');
  return colon == std::string_view::npos ? n : n.substr(colon + 1);
}

const char* attribute(const XML_Char** attrs, std::string_view wanted) {
  for (size_t i = 0; attrs[i] != nullptr; i += 2)
    if (local(attrs[i]) == wanted) return attrs[i + 1];
  return nullptr;
}

// Streams one entry of the archive through an expat parser. "" on success, else what went wrong.
std::string parse_entry(zip_t* zip, const std::string& entry, XML_StartElementHandler start,
                        XML_EndElementHandler end, XML_CharacterDataHandler text, void* user) {
  zip_file_t* f = zip_fopen(zip, entry.c_str(), 0);
  if (f == nullptr) return tr(Msg::workbook_no_entry, entry);
  XML_Parser parser = XML_ParserCreate("UTF-8");
  XML_SetUserData(parser, user);
  XML_SetElementHandler(parser, start, end);
  XML_SetCharacterDataHandler(parser, text);
  std::string problem;
  char buffer[1 << 16];
  for (;;) {
    const zip_int64_t got = zip_fread(f, buffer, sizeof buffer);
    if (got < 0) {
      zip_error_t* error = zip_file_get_error(f);
      problem = tr(Msg::workbook_entry_unreadable, entry,
                   language() == Lang::En ? zip_error_strerror(error) : tr(Msg::zip_other, zip_error_code_zip(error)));
      break;
    }
    if (XML_Parse(parser, buffer, static_cast<int>(got), got == 0) == XML_STATUS_ERROR) {
      problem = tr(Msg::workbook_entry_damaged, entry,
                   language() == Lang::En ? XML_ErrorString(XML_GetErrorCode(parser)) : rb::text(Msg::xml_malformed),
                   XML_GetCurrentLineNumber(parser));
      break;
    }
    if (got == 0) break;
  }
  XML_ParserFree(parser);
  zip_fclose(f);
  return problem;
}

// xl/workbook.xml and its relationships: the sheets in order, each with its part's path.
struct WorkbookParts {
  struct Sheet {
    std::string name, rel, path;
  };
  std::vector<Sheet> sheets;
  std::map<std::string, std::string> targets;  // relationship id -> target

  static void start(void* user, const XML_Char* name, const XML_Char** attrs) {
    auto* self = static_cast<WorkbookParts*>(user);
    const std::string_view n = local(name);
    if (n == "sheet") {
      const char* sheet_name = attribute(attrs, "name");
      const char* id = attribute(attrs, "id");
      self->sheets.push_back({sheet_name ? sheet_name : "", id ? id : "", {}});
    } else if (n == "Relationship") {
      const char* id = attribute(attrs, "Id");
      const char* target = attribute(attrs, "Target");
      if (id && target) self->targets[id] = target;
    }
  }
  static void end(void*, const XML_Char*) {}
  static void text(void*, const XML_Char*, int) {}
};

// xl/sharedStrings.xml: the text of each <si>, its runs joined, phonetic guides (<rPh>) left out.
struct SharedStrings {
  std::vector<std::string> strings;
  bool in_t = false;
  int phonetic = 0;

  static void start(void* user, const XML_Char* name, const XML_Char**) {
    auto* self = static_cast<SharedStrings*>(user);
    const std::string_view n = local(name);
    if (n == "si") self->strings.emplace_back();
    else if (n == "rPh") ++self->phonetic;
    else if (n == "t") self->in_t = true;
  }
  static void end(void* user, const XML_Char* name) {
    auto* self = static_cast<SharedStrings*>(user);
    const std::string_view n = local(name);
    if (n == "rPh") --self->phonetic;
    else if (n == "t") self->in_t = false;
  }
  static void text(void* user, const XML_Char* s, int len) {
    auto* self = static_cast<SharedStrings*>(user);
    if (self->in_t && self->phonetic == 0 && !self->strings.empty()) self->strings.back().append(s, static_cast<size_t>(len));
  }
};

// One cell as the sheet stores it.
struct Cell {
  uint32_t column = 0;
  char type = 'n';  // n number, s shared string, i inline or formula string, b boolean, e error
  bool formula = false;
  bool has_value = false;
  std::string value;
};

// A merged range: every cell in it shows the value of its first cell.
struct Merge {
  uint32_t first_row, last_row, first_col, last_col;
  bool seen = false;  // the first cell has been read
  Cell cell;
};

// The <mergeCell ref="A2:A4"/> elements of a sheet (they follow its rows, so they are read
// in a pass of their own).
struct MergeList {
  std::vector<Merge> merges;
  static void start(void* user, const XML_Char* name, const XML_Char** attrs) {
    if (local(name) != "mergeCell") return;
    const char* ref = attribute(attrs, "ref");
    if (ref == nullptr) return;
    const std::string_view r(ref);
    const size_t colon = r.find(':');
    if (colon == std::string_view::npos) return;
    Merge m{};
    if (parse_cell_ref(r.substr(0, colon), m.first_col, m.first_row) &&
        parse_cell_ref(r.substr(colon + 1), m.last_col, m.last_row) && m.first_row <= m.last_row &&
        m.first_col <= m.last_col)
      static_cast<MergeList*>(user)->merges.push_back(m);
  }
  static void end(void*, const XML_Char*) {}
  static void text(void*, const XML_Char*, int) {}
};

// The rows of a sheet, each handed to `on_row` when it ends.
struct SheetRows {
  std::function<void(uint32_t row, std::vector<Cell>& cells)> on_row;
  std::vector<Cell> cells;
  uint32_t row = 0;
  bool in_value = false, in_inline = false, in_t = false;
  int phonetic = 0;

  static void start(void* user, const XML_Char* name, const XML_Char** attrs) {
    auto* self = static_cast<SheetRows*>(user);
    const std::string_view n = local(name);
    if (n == "row") {
      const char* r = attribute(attrs, "r");
      self->row = r ? static_cast<uint32_t>(std::strtoul(r, nullptr, 10)) : self->row + 1;
      self->cells.clear();
    } else if (n == "c") {
      Cell c;
      const char* ref = attribute(attrs, "r");
      uint32_t column = 0, row = 0;
      c.column = ref && parse_cell_ref(ref, column, row) ? column : self->cells.empty() ? 0 : self->cells.back().column + 1;
      const std::string_view t = attribute(attrs, "t") ? attribute(attrs, "t") : "n";
      c.type = t == "s" ? 's' : t == "inlineStr" || t == "str" ? 'i' : t == "b" ? 'b' : t == "e" ? 'e' : t == "d" ? 'i' : 'n';
      self->cells.push_back(std::move(c));
    } else if (self->cells.empty()) {
      return;
    } else if (n == "v") {
      self->in_value = true;
      self->cells.back().has_value = true;
    } else if (n == "f") {
      self->cells.back().formula = true;
    } else if (n == "is") {
      self->in_inline = true;
      self->cells.back().has_value = true;
    } else if (n == "rPh") {
      ++self->phonetic;
    } else if (n == "t") {
      self->in_t = true;
    }
  }
  static void end(void* user, const XML_Char* name) {
    auto* self = static_cast<SheetRows*>(user);
    const std::string_view n = local(name);
    if (n == "row") self->on_row(self->row, self->cells);
    else if (n == "v") self->in_value = false;
    else if (n == "is") self->in_inline = false;
    else if (n == "rPh") --self->phonetic;
    else if (n == "t") self->in_t = false;
  }
  static void text(void* user, const XML_Char* s, int len) {
    auto* self = static_cast<SheetRows*>(user);
    if (self->cells.empty()) return;
    if (self->in_value || (self->in_inline && self->in_t && self->phonetic == 0))
      self->cells.back().value.append(s, static_cast<size_t>(len));
  }
};

// The shared string a cell of type s refers to; nullptr when there is no such string.
const std::string* shared_string(const Cell& c, const std::vector<std::string>& strings) {
  char* end = nullptr;
  const unsigned long index = std::strtoul(c.value.c_str(), &end, 10);
  if (c.value.empty() || *end != '\0' || index >= strings.size()) return nullptr;
  return &strings[index];
}

std::string column_letters(uint32_t column) {
  std::string out;
  for (uint32_t c = column + 1; c > 0; c = (c - 1) / 26) out.insert(out.begin(), static_cast<char>('A' + (c - 1) % 26));
  return out;
}

// A row's cells as one CSV line, for the reject file.
std::string csv_line(const std::vector<std::string_view>& cells) {
  std::string out;
  for (size_t i = 0; i < cells.size(); ++i) {
    if (i > 0) out += ',';
    out += csv_cell(cells[i]);
  }
  return out;
}

}  // namespace

std::string EventReader::Impl::place(uint32_t at_line, uint32_t name) const {
  if (sheet.empty() || at_line == 0) return {};
  const int32_t column = name < sheet_columns.size() && sheet_columns[name] >= 0 ? sheet_columns[name] : 0;
  return fmt::format("{}!{}{}", sheet, column_letters(static_cast<uint32_t>(column)), at_line);
}

bool EventReader::Impl::read_xlsx(const std::string& name, uint32_t file_index, RecordSink& sink, void* opened) {
  zip_t* zip = static_cast<zip_t*>(opened);
  file = &name;
  if (file_names.size() <= file_index) file_names.resize(file_index + 1);
  file_names[file_index] = name;
  const bool was_failed = reject_failed;
  auto damaged = [&](const std::string& problem) {
    report_file(name, tr(Msg::workbook_unreadable, problem));
    return false;
  };

  WorkbookParts parts;
  std::string problem = parse_entry(zip, "xl/workbook.xml", WorkbookParts::start, WorkbookParts::end,
                                    WorkbookParts::text, &parts);
  if (problem.empty())
    problem = parse_entry(zip, "xl/_rels/workbook.xml.rels", WorkbookParts::start, WorkbookParts::end,
                          WorkbookParts::text, &parts);
  SharedStrings shared;
  if (problem.empty() && zip_name_locate(zip, "xl/sharedStrings.xml", 0) >= 0)
    problem = parse_entry(zip, "xl/sharedStrings.xml", SharedStrings::start, SharedStrings::end, SharedStrings::text,
                          &shared);
  bool ok = problem.empty() || damaged(problem);

  for (auto& s : parts.sheets) {
    if (!ok) break;
    auto target = parts.targets.find(s.rel);
    if (target == parts.targets.end()) {
      ok = damaged(tr(Msg::sheet_no_part, s.name));
      break;
    }
    const std::string& t = target->second;
    s.path = t.starts_with("/") ? t.substr(1) : "xl/" + t;

    MergeList merges;
    problem = parse_entry(zip, s.path, MergeList::start, MergeList::end, MergeList::text, &merges);
    if (!problem.empty()) {
      ok = damaged(problem);
      break;
    }

    const int64_t sheet_type = type_ids.find(s.name);
    sheet = s.name;
    FileCtx ctx;
    ctx.name = &name;
    ctx.index = file_index;
    ctx.csv = true;
    std::string header_text;
    std::vector<int64_t> columns;
    bool have_header = false, header_bad = false, skip = false;
    std::vector<std::string> texts;
    std::vector<std::string_view> views;

    SheetRows rows;
    rows.on_row = [&](uint32_t row, std::vector<Cell>& cells) {
      if (skip) return;
      // A row with nothing of its own is empty, even where a merged range covers it.
      const bool own_value = std::any_of(cells.begin(), cells.end(), [&](const Cell& c) {
        const std::string* text = c.type == 's' ? shared_string(c, shared.strings) : &c.value;
        return c.formula || text == nullptr || !trim(*text).empty();
      });
      if (!own_value) return;
      // Merged ranges: remember each range's first cell, give it to the others.
      for (auto& m : merges.merges) {
        if (row < m.first_row || row > m.last_row) continue;
        for (const Cell& c : cells)
          if (row == m.first_row && c.column == m.first_col) m.cell = c, m.seen = true;
        if (!m.seen) continue;
        for (uint32_t col = m.first_col; col <= m.last_col; ++col) {
          if (row == m.first_row && col == m.first_col) continue;
          auto it = std::find_if(cells.begin(), cells.end(), [&](const Cell& c) { return c.column == col; });
          if (it == cells.end()) {
            cells.push_back(m.cell);
            cells.back().column = col;
          } else if (!it->has_value) {
            *it = m.cell;
            it->column = col;
          }
        }
      }
      std::sort(cells.begin(), cells.end(), [](const Cell& a, const Cell& b) { return a.column < b.column; });
      const uint32_t width = cells.empty() ? 0 : cells.back().column + 1;
      texts.assign(width, std::string());
      std::vector<VKind> kinds(width, VKind::String);
      std::vector<std::string> cell_problems(width);
      bool all_empty = true;
      for (const Cell& c : cells) {
        std::string& text = texts[c.column];
        if (c.type == 's') {
          if (const std::string* found = shared_string(c, shared.strings))
            text = *found;
          else
            cell_problems[c.column] = tr(Msg::shared_string_missing, show(c.value));
        } else if (c.type == 'b') {
          text = c.value == "1" ? "TRUE" : "FALSE";
        } else if (c.type == 'e') {
          cell_problems[c.column] = tr(Msg::cell_holds_error, show(c.value));
        } else {
          text = c.type == 'n' ? excel_number_text(c.value) : c.value;
          if (c.type == 'n') kinds[c.column] = VKind::CellNumber;
        }
        if (c.formula && !c.has_value)
          cell_problems[c.column] = rb::text(Msg::formula_no_value);
        if (!trim(text).empty() || !cell_problems[c.column].empty()) all_empty = false;
      }
      if (all_empty) return;  // an empty row
      views.assign(texts.begin(), texts.end());
      if (!have_header) {
        have_header = true;
        header_text = csv_line(views);
        header_bad = !header_columns(views, columns, row);
        const bool has_type = std::find(columns.begin(), columns.end(), name_type) != columns.end();
        const bool any_field = std::any_of(columns.begin(), columns.end(), [](int64_t c) { return c >= 0; });
        if (!has_type && sheet_type < 0) {
          skip = !any_field;  // an explanation sheet
          if (!skip)
            report_file_line(row, tr(Msg::sheet_no_type, show(s.name)));
          header_bad = true;
        } else if (std::find(columns.begin(), columns.end(), name_date) == columns.end()) {
          report_file_line(row, rb::text(Msg::header_missing_date));
          header_bad = true;
        }
        sheet_columns.assign(names.size(), -1);
        for (size_t i = 0; i < columns.size(); ++i)
          if (columns[i] >= 0) sheet_columns[static_cast<size_t>(columns[i])] = static_cast<int32_t>(i);
        ctx.header_raw = header_text;
        return;
      }
      begin_record(row);
      rec.file = file_index;
      rec.line = row;
      if (header_bad) {
        bad = true;
      } else {
        for (size_t i = 0; i < cell_problems.size(); ++i) {
          if (cell_problems[i].empty()) continue;
          const uint32_t id = i < columns.size() && columns[i] >= 0 ? static_cast<uint32_t>(columns[i]) : UINT32_MAX;
          if (id == UINT32_MAX) continue;  // a column that is not a field is not read
          report_field(row, id, [&] { return cell_problems[i]; });
        }
        if (!bad) {
          if (sheet_type >= 0 && std::find(columns.begin(), columns.end(), name_type) == columns.end())
            set_value(name_type, VKind::String, program.events[static_cast<size_t>(sheet_type)].name);
          for (size_t i = 0; i < columns.size() && i < views.size(); ++i)
            if (columns[i] >= 0) set_value(static_cast<uint32_t>(columns[i]), kinds[i], views[i]);
          validate();
        }
      }
      const std::string raw = csv_line(views);
      finish_record(raw, ctx, sink);
    };
    problem = parse_entry(zip, s.path, SheetRows::start, SheetRows::end, SheetRows::text, &rows);
    if (!problem.empty()) ok = damaged(problem);
  }
  sheet.clear();
  sheet_columns.clear();
  zip_discard(zip);
  return ok && (was_failed || !reject_failed);
}

}  // namespace rb
