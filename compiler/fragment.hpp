// A piece of bytecode under construction. All code is emitted through a Fragment, which
// checks operand ranges and records the rulebook line of every instruction; fragments are
// later appended to the Program's code (jumps are relative, so code can move).
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "runtime/bytecode.hpp"
#include "runtime/messages.hpp"

namespace rb {

// Raised when a rulebook exceeds a limit of the encoding (e.g. more than 65536 constants).
struct LimitError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Fragment {
 public:
  void emit(Op op, uint32_t line) {
    mark(line);
    bytes_.push_back(static_cast<uint8_t>(op));
  }
  void emit(Op op, uint32_t a, uint32_t line) {
    emit(op, line);
    operand(a);
  }
  void emit(Op op, uint32_t a, uint32_t b, uint32_t line) {
    emit(op, a, line);
    operand(b);
  }
  void emit(Op op, uint32_t a, uint32_t b, uint32_t c, uint32_t line) {
    emit(op, a, b, line);
    operand(c);
  }
  // Emits a jump with a placeholder offset; `patch` points it at the current end.
  size_t jump(Op op, uint32_t line) {
    emit(op, line);
    size_t at = bytes_.size();
    bytes_.push_back(0);
    bytes_.push_back(0);
    return at;
  }
  void patch(size_t at) {
    long offset = static_cast<long>(bytes_.size()) - static_cast<long>(at + 2);
    if (offset > 32767) throw LimitError(text(Msg::limit_jump_too_long));
    auto v = static_cast<uint16_t>(static_cast<int16_t>(offset));
    bytes_[at] = static_cast<uint8_t>(v & 0xFF);
    bytes_[at + 1] = static_cast<uint8_t>(v >> 8);
  }
  // Appends another fragment's code.
  void append(const Fragment& other) {
    size_t base = bytes_.size();
    for (const auto& e : other.lines_) lines_.push_back({static_cast<uint32_t>(base + e.offset), e.line});
    bytes_.insert(bytes_.end(), other.bytes_.begin(), other.bytes_.end());
  }
  bool empty() const { return bytes_.empty(); }
  const std::vector<uint8_t>& bytes() const { return bytes_; }
  const std::vector<LineEntry>& lines() const { return lines_; }

 private:
  void mark(uint32_t line) {
    // Line 0 marks code no rulebook line asks for (the score formula); it is recorded so
    // that the code is not attributed to the line before it.
    if (!lines_.empty() && lines_.back().line == line) return;
    lines_.push_back({static_cast<uint32_t>(bytes_.size()), line});
  }
  void operand(uint32_t v) {
    if (v > kMaxIndex) throw LimitError(text(Msg::limit_operand));
    bytes_.push_back(static_cast<uint8_t>(v & 0xFF));
    bytes_.push_back(static_cast<uint8_t>(v >> 8));
  }

  std::vector<uint8_t> bytes_;
  std::vector<LineEntry> lines_;
};

}  // namespace rb
