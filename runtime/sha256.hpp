// SHA-256, for the provenance reports print (which rulebook and which input files, by their
// bytes). Nettle's on Linux; Windows' own CNG (bcrypt) where Nettle is not built.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

namespace rb {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(const void* data, size_t size);
  std::string hex();  // the digest as 64 lowercase hex digits; call once

 private:
  struct State;
  std::unique_ptr<State> state_;
};

std::string sha256_hex(const void* data, size_t size);

// The SHA-256 of a file's bytes, read in pieces; false when it cannot be read.
bool sha256_file(const std::string& path, std::string& hex, unsigned long long& bytes);

}  // namespace rb
