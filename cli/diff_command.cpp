#include "cli/diff_command.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <optional>
#include <set>
#include <sstream>

#include "cli/console.hpp"
#include "compiler/compiler.hpp"
#include "compiler/parser.hpp"
#include "compiler/rulebook_diff.hpp"
#include "runtime/messages.hpp"
#include "runtime/output_file.hpp"
#include "runtime/platform.hpp"

namespace rb {

namespace {

struct Loaded {
  ast::Rulebook ast;
  Program program;
};

// Reads, parses and compiles one rulebook source, printing its diagnostics (warnings
// too) unless `shown` already has them (the same file given twice prints them once);
// nullopt when it has an error. The diff needs the source, so `.rbc` is refused.
std::optional<Loaded> load(const std::string& path, std::set<std::string>& shown) {
  if (path.size() >= 4 && path.compare(path.size() - 4, 4, ".rbc") == 0) {
    std::cerr << error_line(path, text(Msg::diff_needs_source));
    return std::nullopt;
  }
  std::ifstream in(native_path(path), std::ios::binary);
  if (!in) {
    std::cerr << error_line(path, text(Msg::cannot_open_rulebook));
    return std::nullopt;
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  Diagnostics diags;
  auto parsed = parse_rulebook(path, buffer.str(), diags);
  std::optional<Program> program;
  if (parsed) {
    auto slash = path.find_last_of('/');
    program = compile(*parsed, slash == std::string::npos ? "." : path.substr(0, slash), diags);
  }
  for (const auto& d : diags.all())
    if (std::string shown_text = render(d, buffer.str()); shown.insert(shown_text).second) std::cerr << paint(shown_text);
  if (size_t errors = diags.error_count())
    std::cerr << tr(errors == 1 ? Msg::error_count_one : Msg::error_count_many, errors) << "\n";
  if (!parsed || !program) return std::nullopt;
  return Loaded{std::move(*parsed), std::move(*program)};
}

}  // namespace

int diff_command(const DiffArgs& a) {
  std::set<std::string> shown;
  auto old_book = load(a.old_rules, shown);
  auto new_book = load(a.new_rules, shown);
  if (!old_book || !new_book) return 1;
  RulebookDiff diff = diff_rulebooks(old_book->ast, new_book->ast, &old_book->program, &new_book->program);
  std::optional<ImpactRun> run;
  if (!a.events.empty()) {
    run = run_impact(old_book->program, new_book->program, a.events, &diff);
    if (!run->ok) {
      constexpr size_t kShown = 100;
      for (size_t i = 0; i < run->problems.size() && i < kShown; ++i) std::cerr << run->problems[i] << "\n";
      if (run->problem_count > kShown) std::cerr << tr(Msg::more_problems, run->problem_count - kShown) << "\n";
      std::cerr << tr(run->problem_count == 1 ? Msg::input_problems_one : Msg::input_problems_many, run->problem_count)
                << "\n";
      return 1;
    }
  }
  const Impact* impact = run ? &run->impact : nullptr;
  std::string text = a.format == "json" ? format_diff_json(diff, impact) : format_diff_text(diff, impact);
  if (a.output.empty()) {
    std::cout << text;
  } else if (std::string error; !write_file_atomically(a.output, text, error)) {
    std::cerr << error_line("", error);
    return 1;
  }
  if (impact)
    std::cerr << tr(Msg::diff_summary, impact->records, impact->old_side.summary.in_period,
                    impact->old_side.summary.out_of_period, impact->new_side.summary.in_period,
                    impact->new_side.summary.out_of_period)
              << "\n";
  return 0;
}

}  // namespace rb
