// One scoring run: the reader feeding the VM over every input file, then the VM's second
// phase. The CLI, the tests and the benchmark share it so they score the same way.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "reader.hpp"
#include "trace_builder.hpp"
#include "vm.hpp"

namespace rb {

class Session {
 public:
  // With `trace`, the VM records provenance and finish() fills Result::traces.
  Session(const Program& program, ReadOptions options, bool trace = false);
  Session(const Session&) = delete;  // the machine keeps a pointer to files_
  Session& operator=(const Session&) = delete;

  Machine& machine() { return machine_; }
  // Reads every file in order, scoring valid in-period records as they come. Returns
  // false on an I/O failure; bad records are in reader().errors().
  bool read(const std::vector<std::string>& files);
  // Reads records held in memory as if they were the file `name` (tests written beside a
  // rulebook); `name` decides the format by its extension, as for files.
  bool read_text(const std::string& name, std::string_view text);
  const EventReader& reader() const { return reader_; }
  const Symbols& symbols() const { return symbols_; }
  // The second phase; call once, after read(). Arithmetic beyond the exact range here
  // (totals, means, traces) is thrown as a RunError too, with no rulebook line.
  Result finish(bool with_traces = true);
  // After finish() of a traced session: one unit's derivation, built now (reports take
  // them one at a time rather than all in Result::traces). Throws RunError like finish().
  UnitTrace trace_of(uint32_t unit);

 private:
  class Sink : public RecordSink {
   public:
    explicit Sink(Machine& m) : machine_(m) {}
    void accept(const Record& r) override { machine_.accept(r); }
    void ignored(const Record& r) override { machine_.ignored(r); }

   private:
    Machine& machine_;
  };

  // Counts what the file just read added (records, scored, ignored) for the summary.
  void count_file(const ReadStats& before, uint64_t outside_before);

  const Program& program_;
  bool trace_;
  std::vector<std::string> files_;
  std::vector<RunSummary> counts_;  // per file
  Machine machine_;
  Symbols symbols_;
  EventReader reader_;
  Sink sink_;
  std::unique_ptr<TraceSource> traces_;
};

// "FILE:LINE: error while scoring: WHY" for a run error, without ":0" when no rulebook line
// is known. The one wording for every command that scores.
std::string run_error_message(const Program& program, const RunError& e);

}  // namespace rb
