// The template workbook (libxlsxwriter): a first sheet 说明 saying, per event type, which
// items read it and how to fill it in; one sheet per event type named by its display name,
// with the display names as headers (required columns in bold red), a frozen header row,
// date-formatted date columns and dropdown lists of the registry's units, enum members and
// table keys; and a sheet 名录 holding those lists. Its sheets and headers are what the
// workbook reader (runtime/reader_xlsx.cpp) expects: 说明 and 名录 name no field, so they
// are skipped when the filled-in workbook is read.
#include "cli/template_command.hpp"

#include <fmt/format.h>
#include <xlsxwriter.h>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <vector>

#include "cli/console.hpp"
#include "compiler/compiler.hpp"
#include "compiler/parser.hpp"
#include "runtime/messages.hpp"
#include "runtime/output_file.hpp"
#include "runtime/record.hpp"
#include "runtime/xlsx_error.hpp"

namespace rb {

namespace {

// Rows a dropdown and a date format cover below the header.
constexpr lxw_row_t kFormRows = 5000;

const std::string& shown(const std::string& display, const std::string& code) { return display.empty() ? code : display; }

// One column of a form: its header and what goes in it.
struct FormColumn {
  std::string header;
  bool required = true;
  bool date = false;
  bool number = false;
  int list = -1;  // index into the lists of 名录, or -1
};

struct Lists {
  std::vector<std::string> titles;
  std::vector<std::vector<std::string>> values;
  int add(std::string title, std::vector<std::string> items) {
    titles.push_back(std::move(title));
    values.push_back(std::move(items));
    return static_cast<int>(titles.size()) - 1;
  }
};

std::string column_name(size_t column) {
  std::string out;
  for (size_t c = column + 1; c > 0; c = (c - 1) / 26) out.insert(out.begin(), static_cast<char>('A' + (c - 1) % 26));
  return out;
}

}  // namespace

int template_command(const std::string& rules, const std::string& output) {
  Diagnostics diags;
  std::string source;
  EventUses uses;
  auto program = compile_file(rules, diags, &source, false, &uses);
  for (const auto& d : diags.all()) std::cerr << render(d, source);
  if (!program) return 1;
  const Program& p = *program;
  Symbols symbols(p.symbols);

  Lists lists;
  const int units = lists.add(text(Msg::template_units_list), p.units);
  std::vector<int> enum_lists;
  for (const auto& e : p.enums) {
    std::vector<std::string> items;
    for (size_t m = 0; m < e.members.size(); ++m)
      items.push_back(shown(m < e.displays.size() ? e.displays[m] : "", std::string(symbols.text(e.members[m]))));
    enum_lists.push_back(lists.add(tr(Msg::template_list_of, e.name), items));
  }
  std::vector<std::vector<int>> key_lists;  // per table, per key column
  for (const auto& t : p.tables) {
    key_lists.emplace_back();
    for (size_t c = 0; c < t.columns.size(); ++c) {
      std::vector<std::string> items;
      for (const auto& row : t.rows)
        if (c < row.keys.size() && std::find(items.begin(), items.end(), symbols.text(row.keys[c])) == items.end())
          items.emplace_back(symbols.text(row.keys[c]));
      key_lists.back().push_back(lists.add(tr(Msg::template_list_of, t.name + ":" + t.columns[c]), items));
    }
  }

  // Written whole or not at all (as every output: runtime/output_file.hpp).
  OutputFile out(output);
  if (!out.ok()) {
    std::cerr << error_line("", out.error());
    return 1;
  }
  lxw_workbook* book = workbook_new(out.open_name().c_str());
  if (book == nullptr) {
    std::cerr << error_line(output, rb::text(Msg::template_cannot_create));
    return 1;
  }
  lxw_format* bold = workbook_add_format(book);
  format_set_bold(bold);
  lxw_format* required = workbook_add_format(book);
  format_set_bold(required);
  format_set_font_color(required, LXW_COLOR_RED);
  lxw_format* optional = workbook_add_format(book);
  format_set_bold(optional);
  format_set_font_color(optional, LXW_COLOR_GRAY);
  lxw_format* date = workbook_add_format(book);
  format_set_num_format(date, "yyyy-mm-dd");

  const std::string about_name = text(Msg::template_sheet_about), lists_name = text(Msg::template_sheet_lists);
  lxw_worksheet* about = workbook_add_worksheet(book, about_name.c_str());
  const Msg about_header[] = {Msg::template_head_type, Msg::template_head_code, Msg::template_head_items,
                              Msg::template_head_how};
  for (lxw_col_t c = 0; c < 4; ++c) worksheet_write_string(about, 0, c, text(about_header[c]), bold);
  // Texts a validation keeps a pointer to, alive until the workbook is closed.
  const std::string not_in_list_title = text(Msg::template_not_in_list_title), not_in_list = text(Msg::template_not_in_list),
                    date_hint = text(Msg::template_date_hint), number_hint = text(Msg::template_number_hint);
  const std::string separator = text(Msg::list_separator);
  worksheet_set_column(about, 0, 0, 26, nullptr);
  worksheet_set_column(about, 1, 1, 30, nullptr);
  worksheet_set_column(about, 2, 2, 40, nullptr);
  worksheet_set_column(about, 3, 3, 60, nullptr);
  worksheet_freeze_panes(about, 1, 0);

  for (size_t t = 0; t < p.events.size(); ++t) {
    const EventTypeDef& ev = p.events[t];
    std::vector<FormColumn> columns{{text(Msg::template_date_column), true, true, false, -1}};
    for (const FieldDef& f : ev.fields) {
      if (f.kind == FieldKind::TableKey && f.ref < p.tables.size()) {
        const TableDef& table = p.tables[f.ref];
        for (size_t k = 0; k < f.key_fields.size(); ++k)
          columns.push_back({k < table.columns.size() ? table.columns[k] : f.key_fields[k], !f.optional, false, false,
                             k < key_lists[f.ref].size() ? key_lists[f.ref][k] : -1});
        continue;
      }
      FormColumn c{shown(f.display, f.name), !f.optional, f.kind == FieldKind::Date, f.kind == FieldKind::Number, -1};
      if (f.kind == FieldKind::Unit) c.list = units;
      if (f.kind == FieldKind::Enum && f.ref < enum_lists.size()) c.list = enum_lists[f.ref];
      columns.push_back(c);
    }
    const std::string sheet_name = shown(ev.display, ev.name);
    lxw_worksheet* ws = workbook_add_worksheet(book, sheet_name.c_str());
    if (ws == nullptr) {
      std::cerr << error_line(rules, tr(Msg::template_bad_sheet_name, sheet_name));
      workbook_close(book);
      return 1;
    }
    worksheet_freeze_panes(ws, 1, 0);
    std::string required_names;
    for (size_t c = 0; c < columns.size(); ++c) {
      const FormColumn& col = columns[c];
      const auto lc = static_cast<lxw_col_t>(c);
      worksheet_write_string(ws, 0, lc, col.header.c_str(), col.required ? required : optional);
      worksheet_set_column(ws, lc, lc, std::max<double>(12, static_cast<double>(col.header.size())), col.date ? date : nullptr);
      if (col.required) required_names += (required_names.empty() ? "" : separator) + col.header;
      lxw_data_validation validation{};
      std::string formula;
      if (col.list >= 0) {
        const auto& items = lists.values[static_cast<size_t>(col.list)];
        formula = fmt::format("='{}'!${}$2:${}${}", lists_name, column_name(static_cast<size_t>(col.list)),
                              column_name(static_cast<size_t>(col.list)), items.size() + 1);
        validation.validate = LXW_VALIDATION_TYPE_LIST_FORMULA;
        validation.value_formula = formula.data();
        validation.error_title = const_cast<char*>(not_in_list_title.c_str());
        validation.error_message = const_cast<char*>(not_in_list.c_str());
      } else if (col.date) {
        validation.validate = LXW_VALIDATION_TYPE_DATE;
        validation.criteria = LXW_VALIDATION_CRITERIA_BETWEEN;
        validation.minimum_datetime = {1900, 1, 1, 0, 0, 0};
        validation.maximum_datetime = {9999, 12, 31, 0, 0, 0};
        validation.error_message = const_cast<char*>(date_hint.c_str());
      } else if (col.number) {
        validation.validate = LXW_VALIDATION_TYPE_DECIMAL;
        validation.criteria = LXW_VALIDATION_CRITERIA_BETWEEN;
        validation.minimum_number = -1e15;
        validation.maximum_number = 1e15;
        validation.error_message = const_cast<char*>(number_hint.c_str());
      } else {
        continue;
      }
      validation.ignore_blank = LXW_VALIDATION_ON;
      worksheet_data_validation_range(ws, 1, lc, kFormRows, lc, &validation);
    }
    const auto row = static_cast<lxw_row_t>(t + 1);
    std::string items;
    for (const auto& item : uses[t]) items += (items.empty() ? "" : separator) + item;
    worksheet_write_string(about, row, 0, sheet_name.c_str(), nullptr);
    worksheet_write_string(about, row, 1, ev.name.c_str(), nullptr);
    worksheet_write_string(about, row, 2, items.empty() ? text(Msg::template_no_item) : items.c_str(), nullptr);
    const std::string how = tr(Msg::template_how, sheet_name, required_names);
    worksheet_write_string(about, row, 3, how.c_str(), nullptr);
  }

  lxw_worksheet* registry = workbook_add_worksheet(book, lists_name.c_str());
  for (size_t l = 0; l < lists.titles.size(); ++l) {
    const auto lc = static_cast<lxw_col_t>(l);
    worksheet_write_string(registry, 0, lc, lists.titles[l].c_str(), bold);
    for (size_t i = 0; i < lists.values[l].size(); ++i)
      worksheet_write_string(registry, static_cast<lxw_row_t>(i + 1), lc, lists.values[l][i].c_str(), nullptr);
    worksheet_set_column(registry, lc, lc, 20, nullptr);
  }

  const lxw_error status = workbook_close(book);
  if (status != LXW_NO_ERROR) {
    std::cerr << error_line(output, tr(Msg::template_cannot_write, xlsx_error_text(status)));
    return 1;
  }
  if (!out.commit()) {
    std::cerr << error_line("", out.error());
    return 1;
  }
  std::cerr << tr(Msg::template_wrote, output, p.events.size()) << "\n";
  return 0;
}

}  // namespace rb
