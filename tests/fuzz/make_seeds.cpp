// Writes the .rbc seeds of fuzz_rbc into OUT_DIR: every bundled rulebook (rules/, examples/)
// and every tests/lang rulebook that compiles, compiled now, so the seeds always have the
// current bytecode format (tests/fuzz/run.sh runs it before fuzzing).
//
//   fuzz_make_seeds OUT_DIR
#include <filesystem>
#include <fstream>

#include "fuzz_support.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: fuzz_make_seeds OUT_DIR\n");
    return 2;
  }
  namespace fs = std::filesystem;
  const fs::path root(RB_SOURCE_DIR);
  std::vector<fs::path> sources = {root / "rules/yunhe-2022.rules", root / "examples/yunhe-2023/yunhe-2023.rules",
                                   root / "examples/xinfang-2022/xinfang-2022.rules"};
  for (const auto& entry : fs::directory_iterator(root / "tests/lang"))
    if (entry.path().extension() == ".rules") sources.push_back(entry.path());
  fs::create_directories(argv[1]);
  int written = 0;
  for (const auto& path : sources) {
    rb::Diagnostics diags;
    const std::string relative = fs::relative(path, root).string();
    auto program = rb::fuzz::compile_text(path.string(), rb::fuzz::source_file(relative), diags,
                                          path.parent_path().string(), written % 2 == 1);
    if (!program) continue;  // the tests/lang files that show errors
    const std::string out = (fs::path(argv[1]) / path.stem()).string() + ".rbc";
    std::string error;
    if (!rb::write_rbc_file(out, *program, error)) {
      std::fprintf(stderr, "fuzz_make_seeds: %s\n", error.c_str());
      return 1;
    }
    ++written;
  }
  std::printf("fuzz_make_seeds: %d .rbc seeds in %s\n", written, argv[1]);
  return written > 0 ? 0 : 1;
}
