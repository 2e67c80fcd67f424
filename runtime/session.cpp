#include "session.hpp"

namespace rb {

Session::Session(const Program& program, ReadOptions options)
    : machine_(program), symbols_(program.symbols), reader_(program, symbols_, std::move(options)), sink_(machine_) {}

bool Session::read(const std::vector<std::string>& files) {
  bool ok = true;
  for (size_t i = 0; i < files.size(); ++i) ok = reader_.read_file(files[i], static_cast<uint32_t>(i), sink_) && ok;
  return reader_.finish() && ok;
}

Result Session::finish() {
  const auto& s = reader_.stats();
  return machine_.finish({s.records, s.in_period, s.out_of_period, s.rejected});
}

}  // namespace rb
