#include "compiler.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "parser.hpp"
#include "runtime/messages.hpp"
#include "runtime/platform.hpp"
#include "state.hpp"

namespace rb {

std::optional<Program> compile(const ast::Rulebook& rulebook, const std::string& base_dir, Diagnostics& diags,
                               bool coverage, EventUses* uses) {
  CompilerState state(rulebook, diags);
  state.coverage = coverage;
  state.program.source_name = rulebook.path;
  try {
    declare_registries(state, base_dir);
    lower_rules(state);
    if (!diags.has_errors()) review(state);
    lay_out(state);  // reports a cycle between values, with any other error
    if (diags.has_errors()) return std::nullopt;
  } catch (const LimitError& e) {
    diags.error(rulebook.path, {1, 1, 0, 1}, tr(Msg::compile_limit, e.what()));
    return std::nullopt;
  }
  if (uses) {
    uses->assign(state.program.events.size(), {});
    for (const auto& u : state.uses) {
      auto& items = (*uses)[u.type];
      if (std::find(items.begin(), items.end(), u.item) == items.end()) items.push_back(u.item);
    }
  }
  return std::move(state.program);
}

std::optional<Program> compile_file(const std::string& path, Diagnostics& diags, std::string* source_out,
                                    bool coverage, EventUses* uses) {
  // A directory opens as an empty file on some systems; say what it is rather than report
  // everything an empty rulebook lacks.
  std::error_code ec;
  if (std::filesystem::is_directory(native_path(path), ec)) {
    diags.error(path, {}, tr(Msg::compile_rulebook_is_directory), tr(Msg::compile_rulebook_is_directory_hint));
    return std::nullopt;
  }
  std::ifstream in(native_path(path), std::ios::binary);
  if (!in) {
    diags.error(path, {}, text(std::filesystem::exists(path, ec) ? Msg::compile_cannot_open : Msg::compile_no_such_file));
    return std::nullopt;
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string source = buffer.str();
  if (source_out) *source_out = source;
  auto parsed = parse_rulebook(path, source, diags);
  if (!parsed) return std::nullopt;
  auto slash = path.find_last_of('/');
  std::string base_dir = slash == std::string::npos ? "." : path.substr(0, slash);
  return compile(*parsed, base_dir, diags, coverage, uses);
}

}  // namespace rb
