// Lays out each unit's derivation from what the VM recorded while tracing (see trace.hpp).
#pragma once

#include <string>
#include <vector>

#include "record.hpp"
#include "trace.hpp"
#include "vm.hpp"

namespace rb {

// `machine` must have run with tracing on and finished. `files` are the input file names
// in the order they were read (records refer to them by index).
std::vector<UnitTrace> build_traces(const Program& program, const Machine& machine, const Symbols& symbols,
                                    const std::vector<std::string>& files);

}  // namespace rb
