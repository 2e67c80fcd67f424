// The compiler front end on any text: parse -> check -> bytecode -> verifier ->
// disassembler, with every diagnostic rendered, and the formatter. A program the compiler
// accepts must pass the verifier and come back whole from its own .rbc image; anything
// else is a compiler bug, reported as a crash.
#include <cstdio>
#include <cstdlib>

#include "compiler/formatter.hpp"
#include "fuzz_support.hpp"
#include "runtime/disasm.hpp"

namespace {

[[noreturn]] void fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "fuzz_compiler: %s: %s\n", what, detail.c_str());
  std::abort();
}

void render_all(const rb::Diagnostics& diags, const std::string& source) {
  for (const auto& d : diags.all()) {
    (void)rb::render(d, source);
    (void)rb::end_column(d, source);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string source(reinterpret_cast<const char*>(data), size);
  // Odd sizes compile with coverage points, as `rulebook test` does.
  const bool coverage = (size & 1) != 0;
  rb::Diagnostics diags;
  auto program = rb::fuzz::compile_text("fuzz.rules", source, diags, rb::fuzz::kNoFiles, coverage);
  render_all(diags, source);
  if (program) {
    const auto problems = rb::verify(*program);
    if (!problems.empty()) fail("a compiled program fails verification", problems.front());
    (void)rb::disassemble(*program);
    const auto image = rb::serialize(*program);
    auto loaded = rb::deserialize(image.data(), image.size());
    if (auto* error = std::get_if<rb::LoadError>(&loaded)) fail("a compiled program does not load", error->message);
    if (rb::serialize(std::get<rb::Program>(loaded)) != image) fail("a compiled program does not round-trip", "");
  }
  rb::Diagnostics format_diags;
  (void)rb::format_rulebook("fuzz.rules", source, format_diags);
  render_all(format_diags, source);
  return 0;
}
