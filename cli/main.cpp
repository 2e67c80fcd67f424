// The command-line tool: a thin layer that wires the compiler, the runtime and the output
// formats together.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/diff_command.hpp"
#include "cli/explain.hpp"
#include "cli/format.hpp"
#include "cli/monthly.hpp"
#include "cli/report.hpp"
#include "cli/template_command.hpp"
#include "cli/test_command.hpp"
#include "cli/version.hpp"
#include "compiler/compiler.hpp"
#include "compiler/formatter.hpp"
#include "runtime/disasm.hpp"
#include "runtime/messages.hpp"
#include "runtime/output_file.hpp"
#include "runtime/platform.hpp"
#include "runtime/rbc_file.hpp"
#include "runtime/session.hpp"

namespace {

using namespace rb;

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

void print_diagnostics(const Diagnostics& diags, const std::string& source) {
  for (const auto& d : diags.all()) std::cerr << render(d, source);
  size_t errors = diags.error_count();
  if (errors > 0) std::cerr << tr(errors == 1 ? Msg::error_count_one : Msg::error_count_many, errors) << "\n";
}

// Loads a program from a `.rbc` file or compiles a `.rules` file; prints what went wrong.
std::optional<Program> load_program(const std::string& path) {
  if (ends_with(path, ".rbc")) {
    auto loaded = read_rbc_file(path);
    if (auto* err = std::get_if<LoadError>(&loaded)) {
      std::cerr << fmt::format("{}: error: {}\n", path, err->message);
      return std::nullopt;
    }
    return std::get<Program>(std::move(loaded));
  }
  Diagnostics diags;
  std::string source;
  auto program = compile_file(path, diags, &source);
  print_diagnostics(diags, source);
  if (!program) return std::nullopt;
  auto problems = verify(*program);
  if (!problems.empty()) {
    for (const auto& p : problems) std::cerr << fmt::format("{}: internal error: compiled code failed verification: {}\n", path, p);
    return std::nullopt;
  }
  return program;
}

// Prints why an output file may not be written (it is an input, or a folder); false then.
// Checked before anything is read, so a mistyped -o never costs an input file.
bool refuse_outputs(std::vector<std::string> inputs, const std::vector<std::string>& outputs) {
  bool ok = true;
  for (const auto& output : outputs) {
    if (output.empty()) continue;
    if (auto problem = output_conflict(output, inputs)) {
      std::cerr << fmt::format("error: {}\n", *problem);
      ok = false;
    }
    inputs.push_back(output);  // two outputs of one run may not be one file either
  }
  return ok;
}

// A date such as 2023-02-15 as a day number, for date parameters.
std::optional<Rational> parse_date_value(const std::string& text) {
  int y = 0, m = 0, d = 0;
  char a = 0, b = 0, rest = 0;
  if (std::sscanf(text.c_str(), "%4d%c%2d%c%2d%c", &y, &a, &m, &b, &d, &rest) != 5 || a != '-' || b != '-' ||
      text.size() != 10 || !valid_date(y, m, d))
    return std::nullopt;
  return Rational(days_from_civil(y, m, d));
}

// `rulebook check`: exit 0 when clean, 1 with errors (or, with --strict, warnings).
int check(const std::string& path, const std::string& format, bool strict) {
  Diagnostics diags;
  std::string source;
  auto program = compile_file(path, diags, &source);
  size_t errors = diags.error_count(), warnings = diags.all().size() - errors;
  if (format == "json") {
    nlohmann::ordered_json out;
    out["file"] = path;
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (const auto& d : diags.all()) {
      nlohmann::ordered_json j;
      j["file"] = d.file;
      j["line"] = d.span.line;
      j["column"] = d.span.col;
      j["end_line"] = d.span.line;
      j["end_column"] = d.span.col + std::max<uint32_t>(d.span.length, 1);
      j["severity"] = d.severity == Severity::Error ? "error" : d.severity == Severity::Warning ? "warning" : "note";
      j["message"] = d.message;
      if (!d.hint.empty()) j["hint"] = d.hint;
      list.push_back(j);
    }
    out["diagnostics"] = list;
    out["errors"] = errors;
    out["warnings"] = warnings;
    std::cout << out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  } else {
    print_diagnostics(diags, source);
    if (program && errors == 0 && strict && warnings > 0) {
      std::cout << fmt::format("{}: not ok: {} warning{}, which --strict counts as errors\n", path, warnings,
                               warnings == 1 ? "" : "s");
    } else if (program && errors == 0) {
      size_t items = 0;
      for (const auto& n : program->nodes) items += n.kind == NodeKind::Item ? 1 : 0;
      std::cout << fmt::format("{}: ok: {} units, {} event types, {} categories, {} items{}\n", path,
                               program->units.size(), program->events.size(), program->categories.size(), items,
                               warnings ? fmt::format(", {} warning{}", warnings, warnings == 1 ? "" : "s") : "");
    }
  }
  if (errors > 0 || !program) return 1;
  return strict && warnings > 0 ? 1 : 0;
}

// `rulebook fmt`: formats each file in place (only those that change), or with --check lists
// those that are not formatted. A file that does not parse is reported and left alone.
int format_files(const std::vector<std::string>& files, bool check_only) {
  int status = 0;
  for (const auto& path : files) {
    std::ifstream in(native_path(path), std::ios::binary);
    if (!in) {
      std::cerr << fmt::format("{}: error: cannot open the file\n", path);
      status = 1;
      continue;
    }
    std::stringstream buffer;
    buffer << in.rdbuf();
    std::string source = buffer.str();
    Diagnostics diags;
    auto formatted = format_rulebook(path, source, diags);
    if (!formatted) {
      print_diagnostics(diags, source);
      status = 1;
      continue;
    }
    if (*formatted == source) continue;
    if (check_only) {
      std::cout << fmt::format("{}: not formatted (run rulebook fmt {})\n", path, path);
      status = 1;
    } else if (std::string error; !write_file_atomically(path, *formatted, error)) {
      std::cerr << fmt::format("error: {}\n", error);
      status = 1;
    } else {
      std::cerr << fmt::format("formatted {}\n", path);
    }
  }
  return status;
}

struct RunArgs {
  std::string rules;
  std::vector<std::string> events;
  std::string format = "json";
  std::vector<std::string> params;
  std::string output;
  std::string reject;
  std::string encoding;
  bool skip_bad = false;
  bool trace = false;
  std::string as_of;  // score the period up to this date only
  bool by_group = false;  // one ranking per unit group (table, csv, html, xlsx)
  bool monthly = false;   // html, xlsx: each unit's score at each month's end
  // explain
  std::string unit, item;
  bool prose = false;
  bool all = false;  // every unit's notice in one document
};

int run(const RunArgs& a) {
  std::vector<std::string> inputs{a.rules};
  inputs.insert(inputs.end(), a.events.begin(), a.events.end());
  if (!refuse_outputs(inputs, {a.output, a.reject})) return 2;
  auto program = load_program(a.rules);
  if (!program) return 1;
  if (!a.as_of.empty()) {
    // The year so far: the period ends on that day, so every rule measured against the
    // period (records, gaps, deadlines, sub-periods, means) is measured to it.
    auto day = parse_date_value(a.as_of);
    if (!day) {
      std::cerr << fmt::format("error: --as-of {}: expected a date written YYYY-MM-DD, such as 2022-06-30\n", a.as_of);
      return 2;
    }
    const auto as_of = static_cast<int32_t>(day->num);
    if (as_of < program->period_from) {
      std::cerr << fmt::format("error: --as-of {} is before the assessment period starts ({})\n", a.as_of,
                               format_date(program->period_from));
      return 2;
    }
    program->period_to = std::min(program->period_to, as_of);
  }
  ReadOptions options;
  options.skip_bad = a.skip_bad;
  options.reject_path = a.reject;
  if (!a.encoding.empty()) options.encoding = *parse_encoding(a.encoding);
  bool report = a.format == "html" || a.format == "xlsx";
  Session session(*program, options, a.trace || report || !a.unit.empty() || a.all);
  Machine& machine = session.machine();
  std::vector<std::pair<std::string, Rational>> param_values;
  for (const auto& p : a.params) {
    auto eq = p.find('=');
    std::string name = p.substr(0, eq);
    auto def = std::find_if(program->params.begin(), program->params.end(), [&](const ParamDef& d) { return d.name == name; });
    if (def == program->params.end()) {
      std::vector<std::string> names;
      for (const auto& d : program->params) names.push_back(d.name);
      std::cerr << fmt::format("error: the rulebook has no parameter {} (it has: {})\n", name,
                               names.empty() ? "none" : fmt::format("{}", fmt::join(names, ", ")));
      return 2;
    }
    std::optional<Rational> value;
    if (eq != std::string::npos)
      value = def->is_date ? parse_date_value(p.substr(eq + 1)) : parse_decimal(p.substr(eq + 1));
    if (!value) {
      std::cerr << fmt::format("error: --param {}: expected {}={}\n", p, name, def->is_date ? "YYYY-MM-DD" : "NUMBER");
      return 2;
    }
    machine.set_param(name, *value);
    param_values.emplace_back(name, *value);
  }
  bool io_ok = true;
  try {
    io_ok = session.read(a.events);
  } catch (const RunError& e) {
    std::cerr << run_error_message(*program, e) << "\n";
    return 1;
  }
  const EventReader& reader = session.reader();
  for (const auto& e : reader.errors()) std::cerr << to_string(e) << "\n";
  uint64_t problems = reader.error_count();
  if (problems > reader.errors().size())
    std::cerr << fmt::format("... and {} more problems\n", problems - reader.errors().size());
  const auto& stats = reader.stats();
  if (!io_ok || (problems > 0 && !a.skip_bad)) {
    std::cerr << fmt::format("{} problem{} in the input; no scores were computed\n", problems, problems == 1 ? "" : "s");
    return 1;
  }
  if (a.skip_bad && stats.rejected > 0)
    std::cerr << fmt::format("skipped {} bad record{}{}\n", stats.rejected, stats.rejected == 1 ? "" : "s",
                             a.reject.empty() ? "" : " into " + a.reject);
  Result result;
  try {
    result = session.finish();
  } catch (const RunError& e) {
    std::cerr << run_error_message(*program, e) << "\n";
    return 1;
  }
  show_paths_relative(result);
  std::string text;
  if (a.all) {
    // 通报.md or 通报.html: every unit's notice, for the office's own document.
    text = notices_document(result, ends_with(a.output, ".html") || ends_with(a.output, ".htm"));
    if (a.output.empty()) {
      std::cout << text;
    } else if (std::string error; !write_file_atomically(a.output, text, error)) {
      std::cerr << fmt::format("error: {}\n", error);
      return 1;
    }
    return 0;
  }
  if (!a.unit.empty()) {
    auto it = std::find_if(result.traces.begin(), result.traces.end(), [&](const UnitTrace& t) { return t.unit == a.unit; });
    if (it == result.traces.end()) {
      std::string hint = nearest(a.unit, program->units);
      std::cerr << fmt::format("error: no unit {} in the rulebook{}\n", a.unit, hint.empty() ? "" : " (did you mean " + hint + "?)");
      return 2;
    }
    const TraceNode* root = &it->score;
    if (!a.item.empty()) {
      root = find_node(it->score, a.item);
      if (!root) {
        std::vector<std::string> names;
        collect_names(it->score, names);
        std::string hint = nearest(a.item, names);
        std::cerr << fmt::format("error: no item {} in the rulebook{}\n", a.item, hint.empty() ? "" : " (did you mean " + hint + "?)");
        return 2;
      }
    }
    const NoticeHead head = notice_head(result, static_cast<size_t>(it - result.traces.begin()));
    std::cout << (a.prose ? explain_prose(*it, *root, &head) : explain_tree(*it, *root));
    return 0;
  }
  if (report) {
    ReportMeta meta;
    meta.rulebook_path = display_path(a.rules);
    auto image = serialize(*program);
    meta.rulebook_hash = fmt::format("{:016x}", rbc_checksum(image.data(), image.size()));
    for (const auto& f : a.events) {
      meta.inputs.push_back(describe_input(f));
      meta.inputs.back().path = display_path(f);
    }
    meta.by_group = a.by_group;
    MonthlyScores monthly;
    if (a.monthly) {
      monthly = monthly_scores(*program, options, a.events, param_values);
      meta.monthly = &monthly;
    }
    if (a.format == "xlsx") {
      if (a.output.empty()) {
        std::cerr << "error: --format xlsx needs -o FILE.xlsx\n";
        return 2;
      }
      std::string error;
      if (!write_xlsx(result, meta, a.output, error)) {
        std::cerr << fmt::format("error: {}\n", error);
        return 1;
      }
    } else {
      text = format_html(result, meta);
    }
  }
  if (a.format == "json") text = format_json(result);
  else if (a.format == "table") text = format_table(result, a.by_group);
  else if (a.format == "csv") text = format_csv(result, a.by_group);
  if (a.format == "xlsx") {
  } else if (a.output.empty()) {
    std::cout << text;
  } else if (std::string error; !write_file_atomically(a.output, text, error)) {
    std::cerr << fmt::format("error: {}\n", error);
    return 1;
  }
  const uint64_t outside_units = result.summary.outside_unit_dates;
  std::cerr << fmt::format("{} records read, {} scored, {} ignored as outside {} 至 {}{}, {} units\n", stats.records,
                           stats.in_period - outside_units, stats.out_of_period, result.period_from, result.period_to,
                           outside_units ? fmt::format(", {} ignored as dated before their unit was set up or after it "
                                                       "closed", outside_units)
                                         : "",
                           result.units.size());
  return 0;
}

// The language of every message: `--lang zh|en` anywhere on the command line, else the
// environment's (LC_ALL, LC_MESSAGES, LANG), else Chinese. Read before the command line is
// parsed, so that the help and CLI11's own messages are in that language too.
Lang language_of(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--") break;
    std::string_view value;
    if (arg == "--lang" && i + 1 < argc) value = argv[i + 1];
    else if (arg.starts_with("--lang=")) value = arg.substr(7);
    else continue;
    if (auto lang = parse_language(value)) return *lang;
  }
  return language_from_environment();
}

}  // namespace

int main(int argc, char** argv) {
  init_console(argc, argv);
  set_language(language_of(argc, argv));
  CLI::App app{"Rulebook: compile scoring rulebooks and score units from events"};
  app.require_subcommand(1);
  // Options are written --name on every system: on Windows CLI11 would otherwise take an
  // argument starting with '/' (a path such as /data/x.rules) for an option.
  app.allow_windows_style_options(false);
  app.set_version_flag("--version", fmt::format("rulebook {} (bytecode format {})", kRulebookVersion, kRbcVersion),
                       "Print the version and the bytecode format version, then exit");
  app.fallthrough();  // --lang after the subcommand too
  std::string lang_option;
  app.add_option("--lang", lang_option, "zh or en: the language of every message (default: the environment's, else zh)")
      ->check(CLI::IsMember({"zh", "en"}))
      ->configurable(false);

  RunArgs run_args;
  auto* run_cmd = app.add_subcommand("run", "Score every unit from events");
  run_cmd->add_option("rules", run_args.rules, "Rulebook (.rules source or compiled .rbc)")->required();
  run_cmd->add_option("--events", run_args.events, "Events file (.jsonl or .csv); repeat for several")->required();
  run_cmd->add_option("--format", run_args.format, "Output format")->check(CLI::IsMember({"json", "table", "csv", "html", "xlsx"}));
  run_cmd->add_option("--param", run_args.params, "Override a rulebook parameter: NAME=NUMBER");
  run_cmd->add_option("--as-of", run_args.as_of, "Score the year so far: the period up to this date (YYYY-MM-DD)");
  run_cmd->add_option("-o,--output", run_args.output, "Write the result to this file instead of standard output");
  const auto encoding_check = [](const std::string& name) {
    return parse_encoding(name) ? std::string() : fmt::format("unknown encoding '{}' (known: {})", name, kEncodingNames);
  };
  run_cmd->add_option("--encoding", run_args.encoding, "Encoding of CSV files (default: detected)")->check(encoding_check);
  run_cmd->add_flag("--skip-bad", run_args.skip_bad, "Skip bad records instead of stopping (they are listed on stderr)");
  run_cmd->add_option("--reject", run_args.reject, "With --skip-bad: write the skipped records to this file");
  run_cmd->add_flag("--trace", run_args.trace, "Add each unit's derivation to the JSON output (docs/trace.md)");
  run_cmd->add_flag("--by-group", run_args.by_group,
                    "table, csv, html, xlsx: one ranking per unit group (the groups 本类 ranks within)");
  run_cmd->add_flag("--monthly", run_args.monthly, "html, xlsx: each unit's score at the end of every month");

  RunArgs explain_args;
  auto* explain_cmd = app.add_subcommand("explain", "Show how one unit's score was derived, down to the records");
  explain_cmd->add_option("rules", explain_args.rules, "Rulebook (.rules source or compiled .rbc)")->required();
  explain_cmd->add_option("--events", explain_args.events, "Events file (.jsonl or .csv); repeat for several")->required();
  explain_cmd->add_option("--encoding", explain_args.encoding, "Encoding of CSV files (default: detected)")->check(encoding_check);
  auto* unit_opt = explain_cmd->add_option("--unit", explain_args.unit, "The unit to explain");
  auto* all_opt = explain_cmd->add_flag("--all", explain_args.all,
                                        "Every unit's notice in one document (Markdown; HTML when -o names a .html file)");
  unit_opt->excludes(all_opt);
  explain_cmd->add_option("-o,--output", explain_args.output, "With --all: write the notices to this file (.md or .html)");
  explain_cmd->add_option("--item", explain_args.item, "Only this item, group or category");
  explain_cmd->add_flag("--prose", explain_args.prose, "Write each deduction and bonus as a sentence");
  explain_cmd->add_option("--param", explain_args.params, "Override a rulebook parameter: NAME=VALUE");
  explain_cmd->add_option("--as-of", explain_args.as_of, "Explain the year so far: the period up to this date");

  std::string check_rules, check_format = "text";
  bool strict = false;
  auto* check_cmd = app.add_subcommand("check", "Compile a rulebook without running it and report every problem");
  check_cmd->add_option("rules", check_rules, "Rulebook (.rules)")->required();
  check_cmd->add_option("--format", check_format, "text, or json for editors and CI")->check(CLI::IsMember({"text", "json"}));
  check_cmd->add_flag("--strict", strict, "Treat warnings as errors");

  std::string compile_rules, compile_out;
  auto* compile_cmd = app.add_subcommand("compile", "Compile a rulebook to a self-contained bytecode file");
  compile_cmd->add_option("rules", compile_rules, "Rulebook (.rules)")->required();
  compile_cmd->add_option("-o,--output", compile_out, "Output .rbc file")->required();

  TestArgs test_args;
  auto* test_cmd = app.add_subcommand("test", "Run the tests written beside a rulebook (X.tests next to X.rules)");
  test_cmd->add_option("rules", test_args.rules, "Rulebook (.rules)")->required();
  test_cmd->add_option("--tests", test_args.tests, "Tests file (default: the rulebook's name with .tests)");
  test_cmd->add_flag("--coverage", test_args.coverage, "Report which items, amounts, caps, substitutions, rankings and time bounds the tests exercised");
  test_cmd->add_option("--threshold", test_args.threshold, "Fail when item coverage is below this percentage");

  DiffArgs diff_args;
  auto* diff_cmd = app.add_subcommand("diff", "Compare two rulebooks: the change list, and with --events every unit's old and new score");
  diff_cmd->add_option("old", diff_args.old_rules, "The earlier rulebook (.rules)")->required();
  diff_cmd->add_option("new", diff_args.new_rules, "The revised rulebook (.rules)")->required();
  diff_cmd->add_option("--events", diff_args.events, "Score these records with both rulebooks (.jsonl or .csv); repeat for several");
  diff_cmd->add_option("--format", diff_args.format, "Output format")->check(CLI::IsMember({"text", "json"}));
  diff_cmd->add_option("-o,--output", diff_args.output, "Write the comparison to this file instead of standard output");

  std::vector<std::string> fmt_files;
  bool fmt_check = false;
  auto* fmt_cmd = app.add_subcommand("fmt", "Lay out rulebooks in the canonical style (comments kept, tables aligned)");
  fmt_cmd->add_option("files", fmt_files, "Rulebooks (.rules) to format in place")->required();
  fmt_cmd->add_flag("--check", fmt_check, "Change nothing; list the files that are not formatted and exit 1 if any");

  std::string template_rules, template_out;
  auto* template_cmd = app.add_subcommand("template", "Write a workbook to fill in with records, one sheet per event type");
  template_cmd->add_option("rules", template_rules, "Rulebook (.rules)")->required();
  template_cmd->add_option("-o,--output", template_out, "The workbook to write (.xlsx)")->required();

  std::string disasm_input;
  auto* disasm_cmd = app.add_subcommand("disasm", "Print the bytecode of a compiled rulebook");
  disasm_cmd->add_option("program", disasm_input, "Compiled .rbc (or a .rules source)")->required();

  CLI11_PARSE(app, argc, argv);

  // The one place where an exception nobody expected ends the program: with a message and
  // exit status 1, never std::terminate.
  try {
    if (*run_cmd) return run(run_args);
    if (*diff_cmd) {
      std::vector<std::string> inputs{diff_args.old_rules, diff_args.new_rules};
      inputs.insert(inputs.end(), diff_args.events.begin(), diff_args.events.end());
      if (!refuse_outputs(inputs, {diff_args.output})) return 2;
      return diff_command(diff_args);
    }
    if (*explain_cmd) {
      if (explain_args.unit.empty() && !explain_args.all) {
        std::cerr << "error: explain needs --unit NAME (one unit) or --all (every unit's notice)\n";
        return 2;
      }
      return run(explain_args);
    }
    if (*check_cmd) return check(check_rules, check_format, strict);
    if (*test_cmd) return test_command(test_args);
    if (*fmt_cmd) return format_files(fmt_files, fmt_check);
    if (*template_cmd) {
      if (!refuse_outputs({template_rules}, {template_out})) return 2;
      return template_command(template_rules, template_out);
    }
    if (*compile_cmd) {
      if (!refuse_outputs({compile_rules}, {compile_out})) return 2;
      auto program = load_program(compile_rules);
      if (!program) return 1;
      std::string error;
      if (!write_rbc_file(compile_out, *program, error)) {
        std::cerr << fmt::format("error: {}\n", error);
        return 1;
      }
      std::cerr << fmt::format("wrote {}\n", compile_out);
      return 0;
    }
    if (*disasm_cmd) {
      auto program = load_program(disasm_input);
      if (!program) return 1;
      std::cout << disassemble(*program);
      return 0;
    }
  } catch (const std::exception& e) {
    std::cerr << fmt::format("error: internal error: {}; nothing was written\n", e.what());
    return 1;
  } catch (...) {
    std::cerr << "error: internal error; nothing was written\n";
    return 1;
  }
  return 2;
}
