// The Excel workbook: a ranking sheet, a per-item sheet with every unit's amounts, and a
// sheet naming the rulebook and inputs. Written with libxlsxwriter into an OutputFile, so a
// failure leaves nothing half-written.
#include <fmt/format.h>
#include <xlsxwriter.h>

#include <algorithm>
#include <numeric>

#include "cli/report.hpp"
#include "runtime/bytecode.hpp"
#include "runtime/output_file.hpp"

namespace rb {

namespace {

double value(const Rational& v, int decimals) { return to_double_rounded(v, decimals); }

void items_of(const TraceNode& n, std::vector<const TraceNode*>& out) {
  if (n.kind == "item" || n.kind == "veto" || n.kind == "group" || n.kind == "category") out.push_back(&n);
  for (const auto& c : n.children) items_of(c, out);
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
    error = fmt::format("cannot write '{}': cannot create the workbook", path);
    return false;
  }
  lxw_format* bold = workbook_add_format(book);
  format_set_bold(bold);
  lxw_format* decimal = workbook_add_format(book);
  const std::string shown = r.decimals > 0 ? "0." + std::string(static_cast<size_t>(r.decimals), '0') : "0";
  format_set_num_format(decimal, shown.c_str());

  // 排名: units by score, one column per category.
  lxw_worksheet* ranking = workbook_add_worksheet(book, "排名");
  std::vector<std::string> header = {"名次", "单位", "得分"};
  if (r.graded) header.push_back("等级");
  header.insert(header.end(), r.category_names.begin(), r.category_names.end());
  header.insert(header.end(), r.indicator_names.begin(), r.indicator_names.end());
  header.insert(header.end(), r.output_names.begin(), r.output_names.end());
  header.push_back("否决");
  for (size_t c = 0; c < header.size(); ++c)
    worksheet_write_string(ranking, 0, static_cast<lxw_col_t>(c), header[c].c_str(), bold);
  std::vector<size_t> order(r.units.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return r.units[a].score > r.units[b].score; });
  size_t rank = 0;
  for (size_t i = 0; i < order.size(); ++i) {
    const auto& u = r.units[order[i]];
    if (i == 0 || !(u.score == r.units[order[i - 1]].score)) rank = i + 1;
    auto row = static_cast<lxw_row_t>(i + 1);
    lxw_col_t col = 0;
    worksheet_write_number(ranking, row, col++, static_cast<double>(rank), nullptr);
    worksheet_write_string(ranking, row, col++, u.unit.c_str(), nullptr);
    worksheet_write_number(ranking, row, col++, value(u.score, r.decimals), decimal);
    if (r.graded) worksheet_write_string(ranking, row, col++, u.grade.c_str(), nullptr);
    for (const auto& [name, v] : u.categories) worksheet_write_number(ranking, row, col++, value(v, r.decimals), decimal);
    for (const auto& [name, v] : u.indicators) worksheet_write_number(ranking, row, col++, value(v, r.decimals), decimal);
    for (const auto& [name, v] : u.outputs) worksheet_write_number(ranking, row, col++, value(v, r.decimals), decimal);
    std::string vetoes;
    for (size_t k = 0; k < u.veto_items.size(); ++k) vetoes += (k ? "、" : "") + u.veto_items[k];
    if (!u.assessed) vetoes = "不参与考核：" + u.not_assessed_reason;
    worksheet_write_string(ranking, row, col, vetoes.c_str(), nullptr);
  }
  worksheet_set_column(ranking, 1, 1, 24, nullptr);
  worksheet_freeze_panes(ranking, 1, 0);

  // 条目: one row per unit and item (and group and category), with the clause and notes.
  lxw_worksheet* items = workbook_add_worksheet(book, "条目");
  const char* item_header[] = {"单位", "类别", "条目", "依据", "分值", "说明"};
  for (lxw_col_t c = 0; c < 6; ++c) worksheet_write_string(items, 0, c, item_header[c], bold);
  lxw_row_t row = 1;
  for (size_t u = 0; u < r.units.size() && u < r.traces.size(); ++u) {
    for (const TraceNode& category : r.traces[u].score.children) {
      std::vector<const TraceNode*> nodes;
      items_of(category, nodes);
      for (const TraceNode* n : nodes) {
        std::string notes;
        for (const auto& note : n->notes) notes += (notes.empty() ? "" : "；") + note;
        worksheet_write_string(items, row, 0, r.units[u].unit.c_str(), nullptr);
        worksheet_write_string(items, row, 1, category.name.c_str(), nullptr);
        worksheet_write_string(items, row, 2, n->name.c_str(), n == &category ? bold : nullptr);
        worksheet_write_string(items, row, 3, n->citation.c_str(), nullptr);
        worksheet_write_number(items, row, 4, value(n->value, r.decimals), decimal);
        worksheet_write_string(items, row, 5, notes.c_str(), nullptr);
        ++row;
      }
    }
  }
  worksheet_set_column(items, 0, 2, 20, nullptr);
  worksheet_set_column(items, 3, 3, 28, nullptr);
  worksheet_freeze_panes(items, 1, 0);

  // 来源: what was scored with what.
  lxw_worksheet* source = workbook_add_worksheet(book, "来源");
  auto put = [&](lxw_row_t rr, const std::string& k, const std::string& v) {
    worksheet_write_string(source, rr, 0, k.c_str(), bold);
    worksheet_write_string(source, rr, 1, v.c_str(), nullptr);
  };
  put(0, "考核", r.title);
  put(1, "考核期", r.period_from + " 至 " + r.period_to);
  put(2, "规则文件", meta.rulebook_path);
  put(3, "编译后哈希 (FNV-1a)", meta.rulebook_hash);
  put(4, "记录", fmt::format("读取 {} 条，计分 {} 条，考核期外 {} 条，跳过 {} 条", r.summary.records, r.summary.in_period,
                             r.summary.out_of_period, r.summary.rejected));
  lxw_row_t rr = 5;
  for (size_t i = 0; i < meta.inputs.size(); ++i) {
    const auto& f = meta.inputs[i];
    RunSummary c = i < r.input_counts.size() ? r.input_counts[i] : RunSummary{};
    put(rr++, "输入文件", fmt::format("{}  {} 字节  FNV-1a {}  记录 {} 条，计分 {} 条，考核期外 {} 条", f.path, f.bytes,
                                      f.hash, c.records, c.in_period, c.out_of_period));
  }
  worksheet_set_column(source, 0, 0, 20, nullptr);
  worksheet_set_column(source, 1, 1, 80, nullptr);

  lxw_doc_properties props = {};
  std::string title = r.title;
  props.title = title.data();
  workbook_set_properties(book, &props);
  lxw_error status = workbook_close(book);
  if (status != LXW_NO_ERROR) {
    error = fmt::format("cannot write '{}': {}", path, lxw_strerror(status));
    return false;
  }
  if (!out.commit()) {
    error = out.error();
    return false;
  }
  return true;
}

}  // namespace rb
