// Reports people open: one self-contained HTML file (ranking, per-unit breakdown with a
// chart, the full derivation one click away, a print stylesheet) and an Excel workbook
// (a ranking sheet and a per-item sheet). Both name the rulebook and the inputs with
// their hashes and record counts, so a result can be reproduced and audited later.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "runtime/result.hpp"

namespace rb {

struct InputFile {
  std::string path;
  std::string hash;  // FNV-1a 64 of the file's bytes, hex
  uint64_t bytes = 0;
};

// Each unit's score at the end of each month of the period (as `run --as-of` that day would
// give it), for the report's month-by-month view.
struct MonthlyScores {
  std::vector<std::string> months;  // 2022-01, 2022-02, ...
  // Per unit (Result order), per month: the score, or none when the unit is not assessed.
  std::vector<std::vector<std::optional<Rational>>> scores;
};

struct ReportMeta {
  std::string rulebook_path;
  std::string rulebook_hash;  // FNV-1a 64 of the compiled program (.rbc image), hex
  std::vector<InputFile> inputs;
  bool by_group = false;                    // one ranking per unit group besides the overall one
  const MonthlyScores* monthly = nullptr;   // the month-by-month view, when asked for
};

// Hash of a whole file, or empty when it cannot be read.
InputFile describe_input(const std::string& path);

// `result` must come from a traced run (the derivations are part of the report).
std::string format_html(const Result& result, const ReportMeta& meta);

// Every unit's notice (explain --prose) in one document an office can paste into its own:
// Markdown, or with `html` a self-contained page that prints on A4, a unit to a page. Units
// in ranking order. `result` must come from a traced run.
std::string notices_document(const Result& result, bool html);

// Writes an .xlsx workbook; false with `error` set when it cannot be written.
bool write_xlsx(const Result& result, const ReportMeta& meta, const std::string& path, std::string& error);

}  // namespace rb
