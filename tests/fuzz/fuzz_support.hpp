// What the libFuzzer harnesses share: reading the bundled files, compiling a rulebook
// from text, and one scoring run of records held in memory, as `rulebook run` does it.
//
// Only the errors the product documents as bad input are caught here (RunError: a run that
// cannot be scored, which the CLI prints as "error while scoring"); anything else thrown
// escapes to libFuzzer and counts as a crash, like a sanitizer report or an abort.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "cli/format.hpp"
#include "compiler/compiler.hpp"
#include "compiler/parser.hpp"
#include "runtime/rbc_file.hpp"
#include "runtime/session.hpp"

namespace rb::fuzz {

// A file of the source tree (RB_SOURCE_DIR), whole; aborts when it cannot be read, since a
// harness without its fixed inputs would fuzz nothing.
inline std::string source_file(const std::string& relative) {
  const std::string path = std::string(RB_SOURCE_DIR) + "/" + relative;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "fuzz: cannot read %s\n", path.c_str());
    std::abort();
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// The first `lines` lines of a source file.
inline std::string first_lines(const std::string& relative, size_t lines) {
  const std::string text = source_file(relative);
  size_t end = 0;
  for (size_t i = 0; i < lines && end != std::string::npos; ++i) {
    end = text.find('\n', end);
    if (end != std::string::npos) ++end;
  }
  return end == std::string::npos ? text : text.substr(0, end);
}

// Where rulebooks compiled from fuzz input look up the files they name (来自 "x.csv"): a
// folder that does not exist, so a run never reads whatever happens to be on disk.
inline constexpr const char* kNoFiles = "/nonexistent-rulebook-fuzz";

// Parses and compiles rulebook source; nullopt when it has errors (diagnostics in `diags`).
inline std::optional<Program> compile_text(const std::string& path, const std::string& source, Diagnostics& diags,
                                           const std::string& base_dir = kNoFiles, bool coverage = false) {
  auto parsed = parse_rulebook(path, source, diags);
  if (!parsed) return std::nullopt;
  return compile(*parsed, base_dir, diags, coverage);
}

// A bundled rulebook compiled and verified, for harnesses that need a fixed program
// (called once, from LLVMFuzzerInitialize); aborts if it does not compile.
inline Program bundled_program(const std::string& relative) {
  Diagnostics diags;
  const std::string path = std::string(RB_SOURCE_DIR) + "/" + relative;
  auto program = compile_text(path, source_file(relative), diags, path.substr(0, path.rfind('/')));
  if (!program || !verify(*program).empty()) {
    std::fprintf(stderr, "fuzz: %s does not compile\n", relative.c_str());
    std::abort();
  }
  return std::move(*program);
}

// One scoring run, as `rulebook run --skip-bad`: the records in `text` (read as the file
// `name`, whose extension picks the format) validated, the good ones scored, the result
// printed as a table. With `trace`, the derivations are built as well. A run error is a
// documented outcome for bad input; it ends the run.
inline void score(const Program& program, const std::string& name, std::string_view text, bool trace,
                  Encoding encoding = Encoding::Detect) {
  ReadOptions options;
  options.skip_bad = true;
  options.encoding = encoding;
  options.max_errors = 8;
  Session session(program, options, trace);
  try {
    session.read_text(name, text);
    for (const auto& e : session.reader().errors()) (void)to_string(e);
    Result result = session.finish(trace);
    // The table, not the JSON: that prints every unit's derivation, which costs more than
    // the whole run and depends on nothing the input decides beyond the result.
    if (!trace) (void)format_table(result);
  } catch (const RunError& e) {
    (void)run_error_message(program, e);
  }
}

}  // namespace rb::fuzz
