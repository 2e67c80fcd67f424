// Writing output files for the CLI commands.
#pragma once

#include <cstdio>
#include <fstream>
#include <string>

namespace rb {

// Writes a whole output file at once via a temporary file, so a failure leaves nothing
// half-written.
inline bool write_file_atomically(const std::string& path, const std::string& content) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return false;
    out << content;
    if (!out.flush()) return false;
  }
  return std::rename(tmp.c_str(), path.c_str()) == 0;
}

}  // namespace rb
