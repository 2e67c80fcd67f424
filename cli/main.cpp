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

#include "cli/console.hpp"
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
#include "runtime/sha256.hpp"

namespace {

using namespace rb;

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

void print_diagnostics(const Diagnostics& diags, const std::string& source) {
  for (const auto& d : diags.all()) std::cerr << paint(render(d, source));
  size_t errors = diags.error_count();
  if (errors > 0) std::cerr << tr(errors == 1 ? Msg::error_count_one : Msg::error_count_many, errors) << "\n";
}

// Loads a program from a `.rbc` file or compiles a `.rules` file; prints what went wrong.
std::optional<Program> load_program(const std::string& path) {
  if (ends_with(path, ".rbc")) {
    auto loaded = read_rbc_file(path);
    if (auto* err = std::get_if<LoadError>(&loaded)) {
      std::cerr << error_line(path, err->message);
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
    for (const auto& p : problems) std::cerr << error_line(path, tr(Msg::internal_verification, p));
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
      std::cerr << error_line("", *problem);
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
      j["end_column"] = end_column(d, d.file == path ? std::string_view(source) : std::string_view());
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
      std::cout << tr(warnings == 1 ? Msg::check_strict_failed_one : Msg::check_strict_failed_many, path, warnings) << "\n";
    } else if (program && errors == 0) {
      size_t items = 0;
      for (const auto& n : program->nodes) items += n.kind == NodeKind::Item ? 1 : 0;
      std::cout << tr(Msg::check_ok, path, program->units.size(), program->events.size(), program->categories.size(),
                      items, warnings ? tr(warnings == 1 ? Msg::check_ok_warnings_one : Msg::check_ok_warnings_many, warnings) : "")
                << "\n";
    }
  }
  if (errors > 0 || !program) return 1;
  return strict && warnings > 0 ? 1 : 0;
}

// `text` with every line ended by CRLF.
std::string with_crlf(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 32);
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') continue;
    if (text[i] == '\n') out += '\r';
    out += text[i];
  }
  return out;
}

// `rulebook fmt`: formats each file in place (only those that change), saying which it
// rewrote, or with --check lists those that are not formatted. A file whose first line ends
// in CRLF (as Windows editors save) keeps CRLF line ends. A file that does not parse is
// reported and left alone.
int format_files(const std::vector<std::string>& files, bool check_only) {
  int status = 0;
  size_t rewritten = 0;
  for (const auto& path : files) {
    std::ifstream in(native_path(path), std::ios::binary);
    if (!in) {
      std::cerr << error_line(path, rb::text(Msg::cannot_open_the_file));
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
    const size_t first_end = source.find('\n');
    if (first_end != std::string::npos && first_end > 0 && source[first_end - 1] == '\r') *formatted = with_crlf(*formatted);
    if (*formatted == source) continue;
    if (check_only) {
      std::cout << tr(Msg::fmt_not_formatted, path) << "\n";
      status = 1;
    } else if (std::string error; !write_file_atomically(path, *formatted, error)) {
      std::cerr << error_line("", error);
      status = 1;
    } else {
      std::cerr << tr(Msg::fmt_rewrote, path) << "\n";
      ++rewritten;
    }
  }
  if (!check_only && status == 0 && rewritten == 0) std::cerr << tr(files.size() == 1 ? Msg::fmt_all_formatted_one : Msg::fmt_all_formatted_many, files.size()) << "\n";
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
  if (a.trace && (a.format == "table" || a.format == "csv")) {
    std::cerr << error_line("", tr(Msg::trace_needs_json, a.format));
    return 2;
  }
  auto program = load_program(a.rules);
  if (!program) return 1;
  if (!a.as_of.empty()) {
    // The year so far: the period ends on that day, so every rule measured against the
    // period (records, gaps, deadlines, sub-periods, means) is measured to it.
    auto day = parse_date_value(a.as_of);
    if (!day) {
      std::cerr << error_line("", tr(Msg::as_of_not_date, a.as_of));
      return 2;
    }
    const auto as_of = static_cast<int32_t>(day->num);
    if (as_of < program->period_from) {
      std::cerr << error_line("", tr(Msg::as_of_before_period, a.as_of, format_date(program->period_from)));
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
      std::cerr << error_line("", tr(Msg::no_such_param, name,
                                     names.empty() ? rb::text(Msg::no_params)
                                                   : fmt::format("{}", fmt::join(names, rb::text(Msg::list_separator)))));
      return 2;
    }
    std::optional<Rational> value;
    if (eq != std::string::npos)
      value = def->is_date ? parse_date_value(p.substr(eq + 1)) : parse_decimal(p.substr(eq + 1));
    if (!value) {
      std::cerr << error_line("", tr(Msg::param_bad_value, p, name, def->is_date ? "YYYY-MM-DD" : rb::text(Msg::param_number)));
      return 2;
    }
    machine.set_param(name, *value);
    param_values.emplace_back(name, *value);
  }
  bool io_ok = true;
  try {
    io_ok = session.read(a.events);
  } catch (const RunError& e) {
    std::cerr << paint(run_error_message(*program, e)) << "\n";
    return 1;
  }
  const EventReader& reader = session.reader();
  for (const auto& e : reader.errors()) std::cerr << to_string(e) << "\n";
  uint64_t problems = reader.error_count();
  if (problems > reader.errors().size())
    std::cerr << tr(Msg::more_problems, problems - reader.errors().size()) << "\n";
  const auto& stats = reader.stats();
  if (!io_ok || (problems > 0 && !a.skip_bad)) {
    std::cerr << tr(problems == 1 ? Msg::input_problems_one : Msg::input_problems_many, problems) << "\n";
    return 1;
  }
  if (a.skip_bad && stats.rejected > 0)
    std::cerr << tr(stats.rejected == 1 ? Msg::skipped_one : Msg::skipped_many, stats.rejected)
              << (a.reject.empty() ? "" : tr(Msg::skipped_into, a.reject)) << "\n";
  Result result;
  try {
    // Reports build each unit's derivation when they come to it (trace_of below), not all
    // at once: thousands of units' traces never sit in memory together.
    result = session.finish(!report);
  } catch (const RunError& e) {
    std::cerr << paint(run_error_message(*program, e)) << "\n";
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
      std::cerr << error_line("", error);
      return 1;
    }
    return 0;
  }
  if (!a.unit.empty()) {
    auto it = std::find_if(result.traces.begin(), result.traces.end(), [&](const UnitTrace& t) { return t.unit == a.unit; });
    if (it == result.traces.end()) {
      std::string hint = nearest(a.unit, program->units);
      std::cerr << error_line("", tr(Msg::no_unit, a.unit) + (hint.empty() ? "" : tr(Msg::did_you_mean_cli, hint)));
      return 2;
    }
    const TraceNode* root = &it->score;
    if (!a.item.empty()) {
      root = find_node(it->score, a.item);
      if (!root) {
        std::vector<std::string> names;
        collect_names(it->score, names);
        std::string hint = nearest(a.item, names);
        std::cerr << error_line("", tr(Msg::no_item, a.item) + (hint.empty() ? "" : tr(Msg::did_you_mean_cli, hint)));
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
    meta.rulebook_hash = sha256_hex(image.data(), image.size());
    for (const auto& f : a.events) {
      meta.inputs.push_back(describe_input(f));
      meta.inputs.back().path = display_path(f);
    }
    meta.by_group = a.by_group;
    meta.trace_of = [&session](size_t u) {
      UnitTrace t = session.trace_of(static_cast<uint32_t>(u));
      show_paths_relative(t);
      return t;
    };
    MonthlyScores monthly;
    if (a.monthly) {
      monthly = monthly_scores(*program, options, a.events, param_values);
      meta.monthly = &monthly;
    }
    if (a.format == "xlsx") {
      if (a.output.empty()) {
        std::cerr << error_line("", rb::text(Msg::xlsx_needs_output));
        return 2;
      }
      std::string error;
      try {
        if (!write_xlsx(result, meta, a.output, error)) {
          std::cerr << error_line("", error);
          return 1;
        }
      } catch (const RunError& e) {
        std::cerr << paint(run_error_message(*program, e)) << "\n";
        return 1;
      }
    } else {
      try {
        text = format_html(result, meta);
      } catch (const RunError& e) {
        std::cerr << paint(run_error_message(*program, e)) << "\n";
        return 1;
      }
    }
  }
  if (a.format == "json" || a.format == "table" || a.format == "csv") {
    // Written as it is produced, not first made into one text.
    auto write = [&](const TextSink& sink) {
      return a.format == "json"    ? write_json(result, sink)
             : a.format == "table" ? write_table(result, a.by_group, sink)
                                   : write_csv(result, a.by_group, sink);
    };
    if (a.output.empty()) {
      write([](std::string_view piece) { return static_cast<bool>(std::cout.write(piece.data(), static_cast<std::streamsize>(piece.size()))); });
    } else {
      OutputFile out(a.output);
      if (!out.ok() || !write([&](std::string_view piece) { return out.write(piece); }) || !out.commit()) {
        std::cerr << error_line("", out.error());
        return 1;
      }
    }
  } else if (a.format == "xlsx") {
  } else if (a.output.empty()) {
    std::cout << text;
  } else if (std::string error; !write_file_atomically(a.output, text, error)) {
    std::cerr << error_line("", error);
    return 1;
  }
  const uint64_t outside_units = result.summary.outside_unit_dates;
  std::cerr << tr(Msg::run_summary, stats.records, stats.in_period - outside_units, stats.out_of_period,
                  result.period_from, result.period_to,
                  outside_units ? tr(Msg::run_summary_unit_dates, outside_units) : "", result.units.size())
            << "\n";
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

// The columns a text takes on a terminal: two for a CJK or full-width character, else one.
size_t columns(std::string_view text) {
  size_t n = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if ((c & 0xC0) == 0x80) continue;  // a continuation byte
    n += c >= 0xE3 && c <= 0xED ? 2 : c == 0xEF && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) >= 0xBC ? 2 : 1;
  }
  return n;
}

// CLI11's help in the chosen language: its labels and the names of the kinds of values.
class HelpFormatter : public CLI::Formatter {
 public:
  HelpFormatter() {
    label("Usage", rb::text(Msg::help_usage));
    label("OPTIONS", rb::text(Msg::help_options_badge));
    label("SUBCOMMAND", rb::text(Msg::help_command_badge));
    label("SUBCOMMANDS", rb::text(Msg::help_command_badge));
    label("Positionals", rb::text(Msg::help_positionals));
    label("REQUIRED", rb::text(Msg::help_required));
    column_width(34);
  }

  // CLI11 pads by bytes; Chinese takes two columns a character and three bytes.
  std::string make_option(const CLI::Option* opt, bool is_positional) const override {
    const std::string name = "  " + make_option_name(opt, is_positional) + make_option_opts(opt);
    const std::string description = make_option_desc(opt);
    const size_t width = get_column_width(), used = columns(name);
    std::string out = name;
    if (!description.empty()) {
      out += used >= width ? "\n" + std::string(width, ' ') : std::string(width - used, ' ');
      for (char c : description) {
        out += c;
        if (c == '\n') out += std::string(width, ' ');
      }
    }
    return out + "\n";
  }

  std::string make_option_opts(const CLI::Option* opt) const override {
    std::string out = CLI::Formatter::make_option_opts(opt);
    // The kind of value leads the option's type name: "TEXT", "TEXT:{json,table}", "FLOAT".
    for (auto [word, label] : {std::pair{" TEXT", Msg::help_text}, std::pair{" FLOAT", Msg::help_number}}) {
      const size_t at = out.find(word);
      if (at != std::string::npos) out.replace(at + 1, std::string_view(word).size() - 1, rb::text(label));
    }
    return out;
  }
};

// The help and the groups of the tool and of every command in the chosen language; the
// footer (examples and exit statuses) of each.
void localise_before(CLI::App& app) {
  app.formatter(std::make_shared<HelpFormatter>());
  app.option_defaults()->group(rb::text(Msg::help_options));
  app.set_help_flag("-h,--help", rb::text(Msg::help_flag));
  app.group(rb::text(Msg::help_commands));  // inherited by the commands
  app.footer(rb::text(Msg::help_app_footer));
}

void localise_after(CLI::App& app, const std::vector<std::pair<CLI::App*, Msg>>& examples) {
  for (CLI::App* command : app.get_subcommands({})) {
    command->get_help_ptr()->group(rb::text(Msg::help_options));
    command->footer("");
  }
  for (const auto& [command, footer] : examples) command->footer(rb::text(footer));
}

// The first word that is not an option of the tool itself: the command as written.
std::optional<std::string> command_word(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--lang") {
      ++i;
      continue;
    }
    if (arg == "--") return i + 1 < argc ? std::optional<std::string>(argv[i + 1]) : std::nullopt;
    if (!arg.starts_with("-")) return std::string(arg);
  }
  return std::nullopt;
}

// "--events" for an option; the nearest option names of `command` and the tool's own.
std::vector<std::string> option_names(const CLI::App& app, const CLI::App& command) {
  std::vector<std::string> names;
  for (const CLI::App* a : {&command, &app}) {
    for (const CLI::Option* opt : a->get_options()) {
      for (const auto& n : opt->get_lnames()) names.push_back("--" + n);
      for (const auto& n : opt->get_snames()) names.push_back("-" + n);
    }
  }
  return names;
}

// What went wrong on the command line, in the chosen language (CLI11 says it in English).
std::string usage_problem(CLI::App& app, const CLI::ParseError& e, int argc, char** argv, std::string& command_path) {
  std::vector<std::string> commands;
  for (const CLI::App* c : app.get_subcommands({})) commands.push_back(c->get_name());
  const std::string what = e.what();
  auto word = command_word(argc, argv);
  const bool about_the_tool = what.starts_with("--lang");  // the tool's own option, not a command's
  if (!word && !about_the_tool) return tr(Msg::cli_command_required, fmt::join(commands, rb::text(Msg::list_separator)));
  if (word && std::find(commands.begin(), commands.end(), *word) == commands.end()) {
    std::string near = nearest(*word, commands);
    return near.empty() ? tr(Msg::cli_unknown_command, *word) : tr(Msg::cli_unknown_command_near, *word, near);
  }
  CLI::App& command = word ? *app.get_subcommand(*word) : app;
  if (word) command_path += " " + *word;
  // An option written wrong explains the rest (a required option "missing", say): said first.
  for (const std::string& extra : app.remaining(true)) {
    if (!extra.starts_with("-") || extra == "-") continue;
    const std::string name = extra.substr(0, extra.find('='));
    std::string near = nearest(name, option_names(app, command));
    return near.empty() ? tr(Msg::cli_unknown_option, name) : tr(Msg::cli_unknown_option_near, name, near);
  }
  const auto before = [&](std::string_view sep) { return what.substr(0, what.find(sep)); };
  if (dynamic_cast<const CLI::ExtrasError*>(&e)) {
    auto extras = app.remaining(true);
    return tr(Msg::cli_extra_argument, extras.empty() ? what : fmt::format("{}", fmt::join(extras, " ")));
  }
  if (dynamic_cast<const CLI::RequiredError*>(&e) && what.ends_with(" is required"))
    return tr(Msg::cli_option_required, before(" is required"));
  if (dynamic_cast<const CLI::ArgumentMismatch*>(&e)) return tr(Msg::cli_value_missing, before(":"));
  if (dynamic_cast<const CLI::ConversionError*>(&e) && what.starts_with("Could not convert: ")) {
    const std::string rest = what.substr(std::string_view("Could not convert: ").size());
    const size_t eq = rest.find(" = ");
    if (eq != std::string::npos) return tr(Msg::cli_value_not_number, rest.substr(0, eq), rest.substr(eq + 3));
  }
  if (dynamic_cast<const CLI::ValidationError*>(&e)) {
    // "--format: pdf not in {json,table}" from a list of choices; our own checks say it already.
    const size_t colon = what.find(": ");
    const size_t not_in = what.find(" not in ");
    if (colon != std::string::npos && not_in != std::string::npos && not_in > colon)
      return tr(Msg::cli_value_not_member, what.substr(0, colon), what.substr(colon + 2, not_in - colon - 2),
                what.substr(not_in + 8));
    return what;
  }
  return tr(Msg::cli_parse_error, what);
}

// A command line CLI11 could not take: the problem and where the help is, exit status 2.
// Help (and whatever else CLI11 counts as done) is printed with status 0.
int parse_failed(CLI::App& app, const CLI::ParseError& e, int argc, char** argv) {
  if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) {
    app.exit(e);
    return 0;
  }
  std::string command_path = app.get_name();
  std::string problem = usage_problem(app, e, argc, argv, command_path);
  std::cerr << error_line("", problem) << tr(Msg::help_more, command_path) << "\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  init_console(argc, argv);
  set_language(language_of(argc, argv));
  CLI::App app{rb::text(Msg::help_app), "rulebook"};
  localise_before(app);
  app.require_subcommand(1);
  // Options are written --name on every system: on Windows CLI11 would otherwise take an
  // argument starting with '/' (a path such as /data/x.rules) for an option.
  app.allow_windows_style_options(false);
  app.set_version_flag("--version", fmt::format("rulebook {} (bytecode format {})", kRulebookVersion, kRbcVersion),
                       rb::text(Msg::help_version));
  app.fallthrough();  // --lang after the subcommand too
  std::string lang_option;
  app.add_option("--lang", lang_option, rb::text(Msg::help_lang))->check(CLI::IsMember({"zh", "en"}))->configurable(false);

  RunArgs run_args;
  auto* run_cmd = app.add_subcommand("run", rb::text(Msg::help_run));
  run_cmd->add_option(rb::text(Msg::arg_rules), run_args.rules, rb::text(Msg::help_rules_any))->required();
  run_cmd->add_option("--events", run_args.events, rb::text(Msg::help_events))->type_name(rb::text(Msg::help_file))->required();
  run_cmd->add_option("--format", run_args.format, rb::text(Msg::help_format_run))
      ->check(CLI::IsMember({"json", "table", "csv", "html", "xlsx"}));
  run_cmd->add_option("--param", run_args.params, rb::text(Msg::help_param))->type_name(rb::text(Msg::help_name_value));
  run_cmd->add_option("--as-of", run_args.as_of, rb::text(Msg::help_as_of))->type_name(rb::text(Msg::help_date));
  run_cmd->add_option("-o,--output", run_args.output, rb::text(Msg::help_output))->type_name(rb::text(Msg::help_file));
  const auto encoding_check = [](const std::string& name) {
    return parse_encoding(name) ? std::string() : tr(Msg::cli_unknown_encoding, name, kEncodingNames);
  };
  run_cmd->add_option("--encoding", run_args.encoding, rb::text(Msg::help_encoding))->check(encoding_check);
  run_cmd->add_flag("--skip-bad", run_args.skip_bad, rb::text(Msg::help_skip_bad));
  run_cmd->add_option("--reject", run_args.reject, rb::text(Msg::help_reject))->type_name(rb::text(Msg::help_file));
  run_cmd->add_flag("--trace", run_args.trace, rb::text(Msg::help_trace));
  run_cmd->add_flag("--by-group", run_args.by_group, rb::text(Msg::help_by_group));
  run_cmd->add_flag("--monthly", run_args.monthly, rb::text(Msg::help_monthly));

  RunArgs explain_args;
  auto* explain_cmd = app.add_subcommand("explain", rb::text(Msg::help_explain));
  explain_cmd->add_option(rb::text(Msg::arg_rules), explain_args.rules, rb::text(Msg::help_rules_any))->required();
  explain_cmd->add_option("--events", explain_args.events, rb::text(Msg::help_events))->type_name(rb::text(Msg::help_file))->required();
  explain_cmd->add_option("--encoding", explain_args.encoding, rb::text(Msg::help_encoding))->check(encoding_check);
  auto* unit_opt = explain_cmd->add_option("--unit", explain_args.unit, rb::text(Msg::help_unit))->type_name(rb::text(Msg::help_unit_value));
  auto* all_opt = explain_cmd->add_flag("--all", explain_args.all, rb::text(Msg::help_explain_all));
  unit_opt->excludes(all_opt);
  explain_cmd->add_option("-o,--output", explain_args.output, rb::text(Msg::help_explain_output))->type_name(rb::text(Msg::help_file));
  explain_cmd->add_option("--item", explain_args.item, rb::text(Msg::help_item))->type_name(rb::text(Msg::help_item_value));
  explain_cmd->add_flag("--prose", explain_args.prose, rb::text(Msg::help_prose));
  explain_cmd->add_option("--param", explain_args.params, rb::text(Msg::help_param))->type_name(rb::text(Msg::help_name_value));
  explain_cmd->add_option("--as-of", explain_args.as_of, rb::text(Msg::help_as_of_explain))->type_name(rb::text(Msg::help_date));

  std::string check_rules, check_format = "text";
  bool strict = false;
  auto* check_cmd = app.add_subcommand("check", rb::text(Msg::help_check));
  check_cmd->add_option(rb::text(Msg::arg_rules), check_rules, rb::text(Msg::help_rules_source))->required();
  check_cmd->add_option("--format", check_format, rb::text(Msg::help_format_check))->check(CLI::IsMember({"text", "json"}));
  check_cmd->add_flag("--strict", strict, rb::text(Msg::help_strict));

  std::string compile_rules, compile_out;
  auto* compile_cmd = app.add_subcommand("compile", rb::text(Msg::help_compile));
  compile_cmd->add_option(rb::text(Msg::arg_rules), compile_rules, rb::text(Msg::help_rules_source))->required();
  compile_cmd->add_option("-o,--output", compile_out, rb::text(Msg::help_compile_output))->type_name(rb::text(Msg::help_file))->required();

  TestArgs test_args;
  auto* test_cmd = app.add_subcommand("test", rb::text(Msg::help_test));
  test_cmd->add_option(rb::text(Msg::arg_rules), test_args.rules, rb::text(Msg::help_rules_source))->required();
  test_cmd->add_option("--tests", test_args.tests, rb::text(Msg::help_tests))->type_name(rb::text(Msg::help_file));
  test_cmd->add_flag("--coverage", test_args.coverage, rb::text(Msg::help_coverage));
  test_cmd->add_option("--threshold", test_args.threshold, rb::text(Msg::help_threshold));
  test_cmd->add_option("--format", test_args.format, rb::text(Msg::help_format_test))
      ->check(CLI::IsMember({"text", "json", "junit"}));
  test_cmd->add_option("-o,--output", test_args.output, rb::text(Msg::help_test_output))->type_name(rb::text(Msg::help_file));

  DiffArgs diff_args;
  auto* diff_cmd = app.add_subcommand("diff", rb::text(Msg::help_diff));
  diff_cmd->add_option(rb::text(Msg::arg_old), diff_args.old_rules, rb::text(Msg::help_diff_old))->required();
  diff_cmd->add_option(rb::text(Msg::arg_new), diff_args.new_rules, rb::text(Msg::help_diff_new))->required();
  diff_cmd->add_option("--events", diff_args.events, rb::text(Msg::help_diff_events))->type_name(rb::text(Msg::help_file));
  diff_cmd->add_option("--format", diff_args.format, rb::text(Msg::help_format_diff))->check(CLI::IsMember({"text", "json"}));
  diff_cmd->add_option("-o,--output", diff_args.output, rb::text(Msg::help_diff_output))->type_name(rb::text(Msg::help_file));

  std::vector<std::string> fmt_files;
  bool fmt_check = false;
  auto* fmt_cmd = app.add_subcommand("fmt", rb::text(Msg::help_fmt));
  fmt_cmd->add_option(rb::text(Msg::arg_files), fmt_files, rb::text(Msg::help_fmt_files))->required();
  fmt_cmd->add_flag("--check", fmt_check, rb::text(Msg::help_fmt_check));

  std::string template_rules, template_out;
  auto* template_cmd = app.add_subcommand("template", rb::text(Msg::help_template));
  template_cmd->add_option(rb::text(Msg::arg_rules), template_rules, rb::text(Msg::help_rules_source))->required();
  template_cmd->add_option("-o,--output", template_out, rb::text(Msg::help_template_output))->type_name(rb::text(Msg::help_file))->required();

  std::string disasm_input;
  auto* disasm_cmd = app.add_subcommand("disasm", rb::text(Msg::help_disasm));
  disasm_cmd->add_option(rb::text(Msg::arg_program), disasm_input, rb::text(Msg::help_disasm_program))->required();

  localise_after(app, {{run_cmd, Msg::help_run_footer},
                       {explain_cmd, Msg::help_explain_footer},
                       {check_cmd, Msg::help_check_footer},
                       {test_cmd, Msg::help_test_footer}});
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return parse_failed(app, e, argc, argv);
  }

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
        std::cerr << error_line("", rb::text(Msg::explain_needs_unit));
        return 2;
      }
      return run(explain_args);
    }
    if (*check_cmd) return check(check_rules, check_format, strict);
    if (*test_cmd) {
      if (!refuse_outputs({test_args.rules, test_args.tests}, {test_args.output})) return 2;
      return test_command(test_args);
    }
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
        std::cerr << error_line("", error);
        return 1;
      }
      std::cerr << tr(Msg::wrote_file, compile_out) << "\n";
      return 0;
    }
    if (*disasm_cmd) {
      auto program = load_program(disasm_input);
      if (!program) return 1;
      std::cout << disassemble(*program);
      return 0;
    }
  } catch (const std::exception& e) {
    std::cerr << error_line("", tr(Msg::internal_error, e.what()));
    return 1;
  } catch (...) {
    std::cerr << error_line("", rb::text(Msg::internal_error_unknown));
    return 1;
  }
  return 2;
}
