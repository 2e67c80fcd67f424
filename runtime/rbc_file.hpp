// Loading and saving compiled rulebooks (`.rbc` files), and the verifier that every
// program passes before the VM may run it: programs read from disk (always, in release
// builds too) and programs just compiled. The VM trusts a verified program: every index
// it meets is in range and every code block keeps the stack within kMaxStackDepth.
//
// File layout, all integers little-endian:
//   "RBC\x1A"           magic (0x1A, Ctrl-Z, stops DOS `type` before the binary part)
//   u32                 format version, 1 .. kRbcVersion
//   u64                 payload length in bytes
//   u64                 FNV-1a 64 checksum of the payload
//   payload             the Program, section by section, each section opened by a tag
//                       byte; strings are u32 length + bytes, lists u32 count + items,
//                       a Rational is two i64 (num, den), enums and flags one byte.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "bytecode.hpp"

namespace rb {

// 2: date parameters, coverage points; 3: item time bounds; 4: indicators, values across
// units, rankings per class and by position, item caps and full marks, who is assessed, grades;
// 5: display names of event types, fields and enum members; 6: accumulators' descriptions
// and coverage points in both languages.
inline constexpr uint32_t kRbcVersion = 6;

// The deepest stack any code block may reach; the verifier rejects deeper code, so the VM
// can allocate its stack once. Rulebook expressions nest a few levels, not hundreds.
inline constexpr uint32_t kMaxStackDepth = 256;

// ---- files

// The whole `.rbc` file image. Throws std::length_error if a list exceeds the format's
// 32-bit counts (no rulebook comes near).
std::vector<uint8_t> serialize(const Program& p);

// Why a file could not be loaded, as a sentence for the user.
struct LoadError {
  std::string message;
};

// Checks magic, version, length and checksum, decodes, then verifies. Never crashes or
// allocates more than a small multiple of `size`, whatever the bytes.
std::variant<Program, LoadError> deserialize(const uint8_t* data, size_t size);

// Writes a temporary file beside `path`, syncs it and renames it over `path`, so a failure
// never leaves a half-written file. On failure returns false and sets `error`.
bool write_rbc_file(const std::string& path, const Program& p, std::string& error);

std::variant<Program, LoadError> read_rbc_file(const std::string& path);

// The payload checksum (FNV-1a 64). Any single changed byte changes it.
uint64_t rbc_checksum(const uint8_t* data, size_t size);

// ---- verification

// Every problem found in `p`, each a sentence naming where it is; empty means the VM may
// run it.
std::vector<std::string> verify(const Program& p);

// True for day numbers from 0001-01-01 to 9999-12-31, the dates format_date can print.
bool day_in_range(int32_t days);

// ---- instructions

// The most operands any opcode takes, from the opcode table.
inline constexpr int kMaxOperands = [] {
  int most = 0;
  for (const char* layout : kOpOperands) {
    int n = 0;
    while (layout[n] != '\0') ++n;
    most = n > most ? n : most;
  }
  return most;
}();

// One decoded instruction. Operands are decoded from the layout letters in opcodes.def:
// 'u' as an unsigned 16-bit index, 'j' as a signed 16-bit offset.
struct Instruction {
  Op op = Op::HALT;
  uint32_t offset = 0;  // of the opcode byte in Program::code
  uint32_t size = 1;    // opcode byte plus operands
  int operand_count = 0;
  int32_t operands[kMaxOperands] = {};

  uint32_t next() const { return offset + size; }
  // Where a 'j' operand leads: relative to the end of the instruction. May lie anywhere.
  int64_t jump_target(int i) const { return int64_t{next()} + operands[i]; }
};

enum class DecodeStatus : uint8_t { Ok, BadOpcode, Truncated };

// Decodes the instruction at `offset`, which must lie before `end`; the instruction must
// end at or before `end` (the end of its code range) and of the code.
DecodeStatus decode_instruction(const std::vector<uint8_t>& code, uint32_t offset, uint32_t end, Instruction& out);

// What a 'u' operand indexes ('j' operands are Jump). None marks the slots past the last
// operand.
enum class OperandRef : uint8_t { None, Constant, Param, Field, Accumulator, Node, UnitSet, ValueSet, Jump, Coverage, RoundMode, RoundPlaces, PeriodMode };

// Which phase may run an opcode: Records code (phase 1 handlers) has a current record and
// no node values; Units code (phase 2 steps) has finished accumulators and nodes.
enum class OpPhase : uint8_t { Any, Records, Units };

// The facts about an opcode that the verifier and the disassembler need beyond its operand
// layout: stack effect, phase, what each operand refers to, and for accumulator updates
// the accumulator kind they apply to.
struct OpSemantics {
  uint8_t pops = 0;
  uint8_t pushes = 0;
  OpPhase phase = OpPhase::Any;
  std::array<OperandRef, kMaxOperands> operands{};
  std::optional<AccKind> acc_kind;
};

OpSemantics op_semantics(Op op);

}  // namespace rb
