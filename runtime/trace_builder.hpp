// Lays out each unit's derivation from what the VM recorded while tracing (see trace.hpp).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "record.hpp"
#include "trace.hpp"
#include "vm.hpp"

namespace rb {

namespace detail {
class Builder;
}

// One unit's derivation at a time, for reports that write a unit and let it go, so that
// thousands of units never have their traces in memory at once. Same arguments as below.
class TraceSource {
 public:
  TraceSource(const Program& program, const Machine& machine, const Symbols& symbols,
              const std::vector<std::string>& files);
  ~TraceSource();
  UnitTrace unit(uint32_t u);

 private:
  std::unique_ptr<detail::Builder> builder_;
};

// `machine` must have run with tracing on and finished. `files` are the input file names
// in the order they were read (records refer to them by index).
std::vector<UnitTrace> build_traces(const Program& program, const Machine& machine, const Symbols& symbols,
                                    const std::vector<std::string>& files);

}  // namespace rb
