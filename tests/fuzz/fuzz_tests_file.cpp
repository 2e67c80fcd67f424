// The tests-file parser (compiler/tests_file.cpp) on any text, with its diagnostics
// rendered; each test that parses has its records scored against rules/yunhe-2022 (compiled
// once), traced, as `rulebook test` runs them.
#include "compiler/tests_file.hpp"
#include "fuzz_support.hpp"

namespace {

const rb::Program* yunhe = nullptr;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  yunhe = new rb::Program(rb::fuzz::bundled_program("rules/yunhe-2022.rules"));
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string source(reinterpret_cast<const char*>(data), size);
  rb::Diagnostics diags;
  auto tests = rb::parse_tests("fuzz.tests", source, diags);
  for (const auto& d : diags.all()) (void)rb::render(d, source);
  if (!tests) return 0;
  for (const auto& test : *tests) {
    std::string records;
    for (const auto& r : test.records) records += r.json + "\n";
    rb::fuzz::score(*yunhe, "test.jsonl", records, true);
  }
  return 0;
}
