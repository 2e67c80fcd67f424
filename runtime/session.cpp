#include "session.hpp"

#include <fmt/format.h>

#include "messages.hpp"
#include "trace_builder.hpp"

namespace rb {

Session::Session(const Program& program, ReadOptions options, bool trace)
    : program_(program),
      trace_(trace),
      machine_(program),
      symbols_(program.symbols),
      reader_(program, symbols_, std::move(options)),
      sink_(machine_) {
  if (trace_) machine_.enable_trace();
  machine_.set_file_names(&files_);
}

void Session::count_file(const ReadStats& before, uint64_t outside_before) {
  const ReadStats& after = reader_.stats();
  counts_.push_back({after.records - before.records, after.in_period - before.in_period,
                     after.out_of_period - before.out_of_period, after.rejected - before.rejected,
                     machine_.outside_unit_dates() - outside_before});
}

bool Session::read(const std::vector<std::string>& files) {
  bool ok = true;
  size_t base = files_.size();
  files_.insert(files_.end(), files.begin(), files.end());
  for (size_t i = 0; i < files.size(); ++i) {
    const ReadStats before = reader_.stats();
    const uint64_t outside_before = machine_.outside_unit_dates();
    ok = reader_.read_file(files[i], static_cast<uint32_t>(base + i), sink_) && ok;
    count_file(before, outside_before);
  }
  return reader_.finish() && ok;
}

bool Session::read_text(const std::string& name, std::string_view text) {
  auto index = static_cast<uint32_t>(files_.size());
  files_.push_back(name);
  const ReadStats before = reader_.stats();
  const uint64_t outside_before = machine_.outside_unit_dates();
  bool ok = reader_.read_buffer(text, name, index, sink_);
  count_file(before, outside_before);
  return reader_.finish() && ok;
}

UnitTrace Session::trace_of(uint32_t unit) {
  try {
    if (!traces_) traces_ = std::make_unique<TraceSource>(program_, machine_, symbols_, files_);
    return traces_->unit(unit);
  } catch (const ArithmeticOverflow& e) {
    const std::string& name = program_.units[unit];
    throw RunError(tr(Msg::run_error_with_place, e.what(), tr(Msg::run_error_where_trace, name)), 0, name);
  }
}

Result Session::finish(bool with_traces) {
  const auto& s = reader_.stats();
  try {
    Result result = machine_.finish({s.records, s.in_period, s.out_of_period, s.rejected});
    result.inputs = files_;
    result.input_counts = counts_;
    if (trace_ && with_traces) result.traces = build_traces(program_, machine_, symbols_, files_);
    return result;
  } catch (const ArithmeticOverflow& e) {
    // The VM names the unit and rule itself; what is left is the trace's own arithmetic.
    throw RunError(tr(Msg::run_error_with_place, e.what(), rb::text(Msg::run_error_where_traces)), 0);
  }
}

std::string run_error_message(const Program& program, const RunError& e) {
  if (e.line == 0) return tr(Msg::scoring_error, program.source_name, e.what());
  return tr(Msg::scoring_error_at_line, program.source_name, e.line, e.what());
}

}  // namespace rb
