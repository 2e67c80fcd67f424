// The .rbc loader on any bytes. The header's payload length and FNV-1a checksum are set to
// match the payload first (a fuzzer would never guess a checksum), so every input reaches
// the decoder and the verifier. A program that loads is disassembled and run over a small
// fixed set of records (the bundled examples' first lines), without and with a trace.
#include <cstring>

#include "fuzz_support.hpp"
#include "runtime/disasm.hpp"

namespace {

constexpr size_t kHeaderSize = 4 + 4 + 8 + 8;  // magic, version, payload length, checksum

void store_le(uint8_t* to, uint64_t value) {
  for (int i = 0; i < 8; ++i) to[i] = static_cast<uint8_t>(value >> (8 * i));
}

std::string* events = nullptr;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  events = new std::string(rb::fuzz::first_lines("examples/yunhe-2022/events.jsonl", 40) +
                           rb::fuzz::first_lines("examples/yunhe-2023/events-2023.jsonl", 20) +
                           rb::fuzz::first_lines("examples/xinfang-2022/events.jsonl", 40));
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // The bytes as they are: the header checks (magic, version, length, checksum).
  (void)rb::deserialize(data, size);
  if (size < kHeaderSize) return 0;
  std::vector<uint8_t> file(data, data + size);
  store_le(file.data() + 8, size - kHeaderSize);
  store_le(file.data() + 16, rb::rbc_checksum(file.data() + kHeaderSize, size - kHeaderSize));
  auto loaded = rb::deserialize(file.data(), file.size());
  auto* program = std::get_if<rb::Program>(&loaded);
  if (program == nullptr) return 0;
  (void)rb::disassemble(*program);
  rb::fuzz::score(*program, "events.jsonl", *events, false);
  rb::fuzz::score(*program, "events.jsonl", *events, true);
  return 0;
}
