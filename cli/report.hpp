// Reports people open: one self-contained HTML file (ranking, per-unit breakdown with a
// chart, the full derivation one click away, a print stylesheet) and an Excel workbook
// (a ranking sheet and a per-item sheet). Both name the rulebook and the inputs with
// their hashes and record counts, so a result can be reproduced and audited later.
#pragma once

#include <string>
#include <vector>

#include "runtime/result.hpp"

namespace rb {

struct InputFile {
  std::string path;
  std::string hash;  // FNV-1a 64 of the file's bytes, hex
  uint64_t bytes = 0;
};

struct ReportMeta {
  std::string rulebook_path;
  std::string rulebook_hash;  // FNV-1a 64 of the compiled program (.rbc image), hex
  std::vector<InputFile> inputs;
};

// Hash of a whole file, or empty when it cannot be read.
InputFile describe_input(const std::string& path);

// `result` must come from a traced run (the derivations are part of the report).
std::string format_html(const Result& result, const ReportMeta& meta);

// Writes an .xlsx workbook; false with `error` set when it cannot be written.
bool write_xlsx(const Result& result, const ReportMeta& meta, const std::string& path, std::string& error);

}  // namespace rb
