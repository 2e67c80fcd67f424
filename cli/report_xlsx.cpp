// The Excel workbook: a ranking sheet (and one per unit group, and the month-by-month
// scores, when asked for), a per-item sheet with every unit's amounts, and a sheet naming
// the rulebook and inputs. Every sheet has a title row, a header row that repeats on each
// printed page, a filter, widths fitted to its contents, and A4 landscape page setup fitted
// to the page width. Deductions show as −N and bonuses as +N (number formats, so the cells
// stay numbers); a veto that hit shows as 命中. Written with libxlsxwriter into an
// OutputFile, so a failure leaves nothing half-written.
#include <fmt/format.h>
#include <xlsxwriter.h>

#include <algorithm>
#include <map>

#include "cli/format.hpp"
#include "cli/report.hpp"
#include "runtime/bytecode.hpp"
#include "runtime/messages.hpp"
#include "runtime/output_file.hpp"
#include "runtime/xlsx_error.hpp"

namespace rb {

namespace {

double value(const Rational& v, int decimals) { return to_double_rounded(v, decimals); }

void items_of(const TraceNode& n, const std::string& role, std::vector<std::pair<const TraceNode*, std::string>>& out) {
  const std::string& own = n.kind == "category" && !n.role.empty() ? n.role : role;
  if (n.kind == "item" || n.kind == "veto" || n.kind == "group" || n.kind == "category") out.emplace_back(&n, own);
  for (const auto& c : n.children) items_of(c, own, out);
}

// The number formats of a workbook: plain, and signed by a category's role.
class Formats {
 public:
  Formats(lxw_workbook* book, int decimals) : book_(book) {
    digits_ = decimals > 0 ? "0." + std::string(static_cast<size_t>(decimals), '0') : "0";
    bold_ = workbook_add_format(book);
    format_set_bold(bold_);
    header_ = workbook_add_format(book);
    format_set_bold(header_);
    format_set_text_wrap(header_);
    format_set_bg_color(header_, 0xF2F4F6);
    format_set_border(header_, LXW_BORDER_THIN);
    format_set_align(header_, LXW_ALIGN_CENTER);
    format_set_align(header_, LXW_ALIGN_VERTICAL_CENTER);
    title_ = workbook_add_format(book);
    format_set_bold(title_);
    format_set_font_size(title_, 14);
    plain_ = number("{0}");
    deduction_ = number("\"−\"{0};\"+\"{0};{0}");
    bonus_ = number("\"+\"{0};\"−\"{0};{0}");
  }
  lxw_format* bold() const { return bold_; }
  lxw_format* header() const { return header_; }
  lxw_format* title() const { return title_; }
  lxw_format* plain() const { return plain_; }
  lxw_format* signed_by(const std::string& role) const {
    return role == "deduction" ? deduction_ : role == "bonus" ? bonus_ : plain_;
  }

 private:
  lxw_format* number(const std::string& pattern) {
    lxw_format* f = workbook_add_format(book_);
    const std::string text = fmt::format(fmt::runtime(pattern), digits_);
    format_set_num_format(f, text.c_str());
    return f;
  }
  lxw_workbook* book_;
  std::string digits_;
  lxw_format *bold_, *header_, *title_, *plain_, *deduction_, *bonus_;
};

// One sheet: a title row, a header row, then data rows; it remembers each column's widest
// text for the widths and sets up printing when finished.
class Sheet {
 public:
  Sheet(lxw_workbook* book, const Formats& f, const std::string& name, const std::string& title,
        const std::vector<std::string>& header)
      : f_(f), columns_(header.size()) {
    ws_ = workbook_add_worksheet(book, name.c_str());
    worksheet_write_string(ws_, 0, 0, title.c_str(), f.title());
    widths_.assign(header.size(), 6);
    for (size_t c = 0; c < header.size(); ++c) {
      worksheet_write_string(ws_, 1, col(c), header[c].c_str(), f.header());
      size_t longest = 0;
      for (size_t start = 0; start <= header[c].size();) {  // the widest line of a wrapped header
        size_t end = header[c].find('\n', start);
        if (end == std::string::npos) end = header[c].size();
        longest = std::max(longest, display_width(header[c].substr(start, end - start)));
        start = end + 1;
      }
      widths_[c] = std::max(widths_[c], longest + 2);
    }
  }
  lxw_worksheet* ws() const { return ws_; }
  void text(size_t c, const std::string& s, lxw_format* format = nullptr) {
    worksheet_write_string(ws_, row(), col(c), s.c_str(), format);
    widths_[c] = std::max(widths_[c], std::min<size_t>(display_width(s) + 2, 60));
  }
  void number(size_t c, double v, lxw_format* format, size_t shown_width = 10) {
    worksheet_write_number(ws_, row(), col(c), v, format);
    widths_[c] = std::max(widths_[c], shown_width);
  }
  void next_row() { ++rows_; }
  void finish() {
    for (size_t c = 0; c < columns_; ++c) worksheet_set_column(ws_, col(c), col(c), static_cast<double>(widths_[c]), nullptr);
    worksheet_freeze_panes(ws_, 2, 0);
    worksheet_repeat_rows(ws_, 1, 1);
    if (columns_ > 0) worksheet_autofilter(ws_, 1, 0, static_cast<lxw_row_t>(1 + rows_), col(columns_ - 1));
    worksheet_set_paper(ws_, 9);  // A4
    worksheet_set_landscape(ws_);
    worksheet_fit_to_pages(ws_, 1, 0);
    worksheet_set_margins(ws_, 0.5, 0.5, 0.6, 0.6);
    worksheet_set_footer(ws_, rb::text(Msg::rp_footer));
  }

 private:
  static lxw_col_t col(size_t c) { return static_cast<lxw_col_t>(c); }
  lxw_row_t row() const { return static_cast<lxw_row_t>(2 + rows_); }
  const Formats& f_;
  lxw_worksheet* ws_;
  size_t columns_;
  size_t rows_ = 0;
  std::vector<size_t> widths_;
};

// Sheet names: at most 31 characters, none of : \ / ? * [ ].
std::string sheet_name(const std::string& wanted) {
  std::string out;
  for (char c : wanted) out += std::string(":\\/?*[]").find(c) == std::string::npos ? c : '_';
  size_t chars = 0, cut = out.size();
  for (size_t i = 0; i < out.size(); ++i)
    if ((static_cast<unsigned char>(out[i]) & 0xC0) != 0x80 && ++chars > 31) {
      cut = i;
      break;
    }
  return out.substr(0, cut);
}

void ranking_sheet(lxw_workbook* book, const Formats& f, const Result& r, const RankingView& view, const std::string& name,
                   const std::string& title) {
  std::vector<std::string> header = {text(Msg::rp_rank), text(Msg::rp_unit), text(Msg::rp_score)};
  if (r.graded) header.push_back(text(Msg::rp_grade));
  for (size_t c = 0; c < r.category_names.size(); ++c)
    header.push_back(r.category_names[c] + "\n" + role_word(r.category_roles[c]));
  header.insert(header.end(), r.indicator_names.begin(), r.indicator_names.end());
  header.insert(header.end(), r.output_names.begin(), r.output_names.end());
  header.push_back(text(Msg::rp_veto));
  Sheet sheet(book, f, name, title, header);
  for (const Standing& s : standings(r, view.units)) {
    const auto& u = r.units[s.unit];
    size_t col = 0;
    if (u.assessed) sheet.number(col++, static_cast<double>(s.rank), nullptr, 6);
    else sheet.text(col++, "-");
    sheet.text(col++, u.unit);
    if (u.assessed) sheet.number(col++, value(u.score, r.decimals), f.plain());
    else sheet.text(col++, text(Msg::rp_not_assessed));
    if (r.graded) sheet.text(col++, u.grade);
    for (size_t c = 0; c < u.categories.size(); ++c) {
      if (u.assessed)
        sheet.number(col++, value(u.categories[c], r.decimals),
                     f.signed_by(c < r.category_roles.size() ? r.category_roles[c] : ""));
      else
        ++col;  // no score, so no category amounts either
    }
    for (const Rational& v : u.indicators) sheet.number(col++, value(v, r.decimals), f.plain());
    for (const Rational& v : u.outputs) sheet.number(col++, value(v, r.decimals), f.plain());
    sheet.text(col, veto_cell(u));
    sheet.next_row();
  }
  sheet.finish();
}

}  // namespace

bool write_xlsx(const Result& r, const ReportMeta& meta, const std::string& path, std::string& error) {
  OutputFile out(path);
  if (!out.ok()) {
    error = out.error();
    return false;
  }
  lxw_workbook* book = workbook_new(out.open_name().c_str());
  if (!book) {
    error = tr(Msg::cannot_write_file, path, text(Msg::template_cannot_create));
    return false;
  }
  const Formats f(book, r.decimals);
  const std::string period = tr(Msg::rp_period_range, r.period_from, r.period_to);

  // 排名, and one per unit group when asked for.
  const auto views = ranking_views(r, true, meta.by_group);
  for (size_t v = 0; v < views.size(); ++v) {
    const std::string ranking = text(Msg::rp_ranking);
    if (views[v].title.empty())
      ranking_sheet(book, f, r, views[v], ranking, tr(Msg::rp_sheet_title, r.title, ranking, period));
    else
      ranking_sheet(book, f, r, views[v], sheet_name(ranking + "-" + views[v].title),
                    tr(Msg::rp_sheet_group_title, r.title, views[v].title, period, views[v].units.size()));
  }

  // 逐月得分: each unit's score at each month's end.
  if (meta.monthly) {
    std::vector<std::string> header = {text(Msg::rp_unit)};
    header.insert(header.end(), meta.monthly->months.begin(), meta.monthly->months.end());
    Sheet sheet(book, f, text(Msg::rp_monthly), tr(Msg::rp_sheet_monthly_title, r.title), header);
    for (const Standing& s : standings(r, views.front().units)) {
      sheet.text(0, r.units[s.unit].unit);
      for (size_t k = 0; k < meta.monthly->months.size(); ++k) {
        const auto& scores = meta.monthly->scores;
        if (s.unit < scores.size() && k < scores[s.unit].size() && scores[s.unit][k])
          sheet.number(k + 1, value(*scores[s.unit][k], r.decimals), f.plain());
        else
          sheet.text(k + 1, "-");
      }
      sheet.next_row();
    }
    sheet.finish();
  }

  // 条目: one row per unit and item (and group and category), with the clause and notes.
  {
    Sheet sheet(book, f, text(Msg::rp_sheet_items), tr(Msg::rp_sheet_title, r.title, text(Msg::rp_items_title), period),
                {text(Msg::rp_unit), text(Msg::rp_category), text(Msg::rp_item), text(Msg::rp_basis), text(Msg::rp_value),
                 text(Msg::rp_notes)});
    for (size_t u = 0; u < r.units.size(); ++u) {
      std::optional<UnitTrace> built;
      const UnitTrace* trace = unit_trace(r, meta, u, built);
      if (!trace) break;
      for (const TraceNode& category : trace->score.children) {
        std::vector<std::pair<const TraceNode*, std::string>> nodes;
        items_of(category, "", nodes);
        for (const auto& [n, role] : nodes) {
          std::string notes;
          for (const auto& note : n->notes) notes += (notes.empty() ? "" : "；") + note;
          sheet.text(0, r.units[u].unit);
          sheet.text(1, category.name);
          sheet.text(2, n->name, n == &category ? f.bold() : nullptr);
          sheet.text(3, n->citation);
          if (role == "veto") sheet.text(4, text(n->value.is_zero() ? Msg::rp_not_hit : Msg::rp_hit));
          else sheet.number(4, value(n->value, r.decimals), f.signed_by(role));
          sheet.text(5, notes);
          sheet.next_row();
        }
      }
    }
    sheet.finish();
  }

  // 来源: what was scored with what.
  {
    Sheet sheet(book, f, text(Msg::rp_sheet_sources), tr(Msg::rp_sources_title, r.title),
                {text(Msg::rp_field), text(Msg::rp_content)});
    auto put = [&](const std::string& k, const std::string& v) {
      sheet.text(0, k, f.bold());
      sheet.text(1, v);
      sheet.next_row();
    };
    put(text(Msg::rp_assessment), r.title);
    put(text(Msg::rp_period_label), period);
    put(text(Msg::rp_rulebook), meta.rulebook_path);
    put(text(Msg::rp_rulebook_sha), meta.rulebook_hash);
    put(text(Msg::rp_records), tr(Msg::rp_records_summary, r.summary.records,
                            r.summary.in_period - r.summary.outside_unit_dates, r.summary.out_of_period,
                            r.summary.outside_unit_dates, r.summary.rejected));
    for (size_t i = 0; i < meta.inputs.size(); ++i) {
      const auto& in = meta.inputs[i];
      RunSummary c = i < r.input_counts.size() ? r.input_counts[i] : RunSummary{};
      put(text(Msg::rp_input_file), tr(Msg::rp_input_summary, in.path, in.bytes, in.hash,
                                  c.records, c.in_period - c.outside_unit_dates, c.out_of_period));
    }
    sheet.finish();
  }

  lxw_doc_properties props = {};
  std::string title = r.title;
  props.title = title.data();
  workbook_set_properties(book, &props);
  lxw_error status = workbook_close(book);
  if (status != LXW_NO_ERROR) {
    error = tr(Msg::cannot_write_file, path, xlsx_error_text(status));
    return false;
  }
  if (!out.commit()) {
    error = out.error();
    return false;
  }
  return true;
}

}  // namespace rb
