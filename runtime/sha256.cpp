#include "runtime/sha256.hpp"

#include "runtime/platform.hpp"

#include <fmt/format.h>

#include <cstdint>
#include <fstream>
#include <vector>

#ifdef _WIN32
#include <windows.h>
#include <bcrypt.h>
#else
#include <nettle/sha2.h>
#endif

namespace rb {

namespace {
std::string to_hex(const uint8_t* digest, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += fmt::format("{:02x}", digest[i]);
  return out;
}
}  // namespace

#ifdef _WIN32
struct Sha256::State {
  BCRYPT_ALG_HANDLE alg = nullptr;
  BCRYPT_HASH_HANDLE hash = nullptr;
};

Sha256::Sha256() : state_(std::make_unique<State>()) {
  BCryptOpenAlgorithmProvider(&state_->alg, BCRYPT_SHA256_ALGORITHM, nullptr, 0);
  BCryptCreateHash(state_->alg, &state_->hash, nullptr, 0, nullptr, 0, 0);
}

Sha256::~Sha256() {
  if (state_->hash) BCryptDestroyHash(state_->hash);
  if (state_->alg) BCryptCloseAlgorithmProvider(state_->alg, 0);
}

void Sha256::update(const void* data, size_t size) {
  const auto* p = static_cast<const uint8_t*>(data);
  while (size > 0) {
    const ULONG piece = size > 0x40000000u ? 0x40000000u : static_cast<ULONG>(size);
    BCryptHashData(state_->hash, const_cast<PUCHAR>(p), piece, 0);
    p += piece;
    size -= piece;
  }
}

std::string Sha256::hex() {
  uint8_t digest[32] = {};
  BCryptFinishHash(state_->hash, digest, sizeof digest, 0);
  return to_hex(digest, sizeof digest);
}
#else
struct Sha256::State {
  sha256_ctx ctx;
};

Sha256::Sha256() : state_(std::make_unique<State>()) { sha256_init(&state_->ctx); }
Sha256::~Sha256() = default;

void Sha256::update(const void* data, size_t size) {
  sha256_update(&state_->ctx, size, static_cast<const uint8_t*>(data));
}

std::string Sha256::hex() {
  uint8_t digest[SHA256_DIGEST_SIZE];
  sha256_digest(&state_->ctx, sizeof digest, digest);
  return to_hex(digest, sizeof digest);
}
#endif

std::string sha256_hex(const void* data, size_t size) {
  Sha256 h;
  h.update(data, size);
  return h.hex();
}

bool sha256_file(const std::string& path, std::string& hex, unsigned long long& bytes) {
  std::ifstream in(native_path(path), std::ios::binary);
  if (!in) return false;
  Sha256 h;
  std::vector<char> buffer(1 << 20);
  bytes = 0;
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    const auto got = static_cast<size_t>(in.gcount());
    if (got == 0) break;
    h.update(buffer.data(), got);
    bytes += got;
  }
  if (in.bad()) return false;
  hex = h.hex();
  return true;
}

}  // namespace rb
