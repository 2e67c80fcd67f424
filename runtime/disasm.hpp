// A readable listing of a compiled program, for `rulebook disasm`, debugging and golden
// tests: the header, each event type's handler, and each phase-2 step, with operands
// named from the program and source lines where Program::lines has them.
#pragma once

#include <string>

#include "bytecode.hpp"

namespace rb {

// The listing is deterministic (the same program always gives the same text). It is safe
// on programs that failed verification too: bad indices are marked, and a block stops at
// an undecodable instruction.
std::string disassemble(const Program& p);

}  // namespace rb
