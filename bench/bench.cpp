// rulebook_bench: how fast Rulebook reads and scores a large event stream, and how much
// memory it needs.
//
//   rulebook_bench RULES EVENTS [--repeat K] [--chunk-mb N] [--no-stream] [--no-vm]
//
// Compiles RULES once, then runs each phase in its own child process (fork), so that every
// phase's peak RSS (VmHWM) is its own and not the maximum of everything run before:
//
//   read+score   a Session over EVENTS (EventReader::read_file, which reads the file in
//                8 MB chunks, feeding a Machine), then finish(): exactly what `rulebook run`
//                does, so its peak is the engine's plus a chunk.
//   streamed     a cross-check of EventReader::read_buffer: the file handed to it in chunks
//                of N MB cut at line ends (CSV chunks get the header line prepended); it must
//                give the same scores. Line numbers restart at each chunk, which only
//                matters for error messages; a CSV file with line breaks inside quoted cells
//                cannot be cut this way.
//   VM only      every record is first read into a std::vector<Record> (not timed); then a
//                fresh Machine is fed the vector and finish() is called (timed). Its peak is
//                dominated by the vector (sizeof(Record) bytes per record) and says nothing
//                about the engine; "VM state" is the RSS growth while the Machine ran (the
//                accumulators during accept, then the finished values and the Result).
//   allocations  read+score once more with every operator new of the process counted: the
//                first half of the records is the warm-up, then the allocations until the
//                last record is scored are divided by the records after it (finish() and the
//                Result are per unit and not counted).
//
// With --repeat K each phase is run K times (fresh reader, symbols and machine each time)
// and the fastest run is reported, with its CPU time (steadier than the wall clock on a
// shared machine). All phases must give the same scores (checked by a hash of every unit's
// score, veto and categories); the input must have no bad record.
//
// RULEBOOK_BENCH_NO_FORK=1 runs every phase in this process (for a debugger or a profiler;
// the peaks are then cumulative).
//
// The last line is machine-readable (key=value, used by bench/run.sh).
#include <fmt/format.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <new>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <cstddef>
#include <fstream>
#include <functional>
#include <iostream>
#include <string>
#include <vector>

#include "compiler/compiler.hpp"
#include "runtime/rbc_file.hpp"
#include "runtime/reader.hpp"
#include "runtime/session.hpp"
#include "runtime/vm.hpp"

// Every heap allocation of this process is counted: every form of operator new and delete
// is replaced (all of them, so that no library pairs one of ours with another's, which a
// sanitizer's runtime would report), and the allocations phase can say how many
// allocations a record costs once the reader and the VM are warm.
namespace {
std::atomic<uint64_t> g_allocations{0};

void* counted_alloc(std::size_t n, std::size_t align) noexcept {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (n == 0) n = 1;
  if (align <= alignof(std::max_align_t)) return std::malloc(n);
  void* p = nullptr;
  return posix_memalign(&p, std::max(align, sizeof(void*)), n) == 0 ? p : nullptr;
}
void* counted_or_throw(std::size_t n, std::size_t align) {
  if (void* p = counted_alloc(n, align)) return p;
  throw std::bad_alloc();
}
constexpr std::size_t kPlain = alignof(std::max_align_t);
}  // namespace

void* operator new(std::size_t n) { return counted_or_throw(n, kPlain); }
void* operator new[](std::size_t n) { return counted_or_throw(n, kPlain); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return counted_alloc(n, kPlain); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return counted_alloc(n, kPlain); }
void* operator new(std::size_t n, std::align_val_t a) { return counted_or_throw(n, static_cast<std::size_t>(a)); }
void* operator new[](std::size_t n, std::align_val_t a) { return counted_or_throw(n, static_cast<std::size_t>(a)); }
void* operator new(std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return counted_alloc(n, static_cast<std::size_t>(a));
}
void* operator new[](std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return counted_alloc(n, static_cast<std::size_t>(a));
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }

namespace {

using namespace rb;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// CPU time of this process: on a shared machine it says more than the wall clock.
double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// A line of /proc/self/status such as "VmHWM:   123456 kB", in kB; -1 when absent.
long proc_status_kb(const char* key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  const size_t n = std::strlen(key);
  while (std::getline(in, line)) {
    if (line.compare(0, n, key) == 0 && line.size() > n && line[n] == ':') return std::stol(line.substr(n + 1));
  }
  return -1;
}

long peak_rss_kb() {
  long hwm = proc_status_kb("VmHWM");
  if (hwm >= 0) return hwm;
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;  // kB on Linux
}

double mb(long kb) { return static_cast<double>(kb) / 1024.0; }

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// What a phase sends back to the parent through a pipe (plain data only).
struct PhaseResult {
  int ok = 0;
  uint64_t records = 0;        // records read
  uint64_t in_period = 0;      // records that reached the Machine
  uint64_t out_of_period = 0;
  double best = 0;             // seconds, fastest of the repeats (whole phase)
  double cpu = 0;              // CPU seconds of that fastest run
  double accept = 0;           // VM only: seconds spent in accept() in the fastest run
  double finish = 0;           // VM only: seconds spent in finish() in the fastest run
  long peak_kb = 0;            // VmHWM of the child at its end
  long state_kb = 0;           // read+score: RSS at the end (file buffer released); VM: RSS growth
  long vector_kb = 0;          // VM only: bytes of the preloaded records
  long accept_kb = 0;          // VM only: RSS growth during accept() alone (the accumulators)
  uint64_t symbols = 0;        // texts interned at the end (compiled ones included)
  uint64_t warm_records = 0;   // allocations: records scored in the first half (the warm-up)
  uint64_t warm_allocations = 0;  // allocations: operator new calls up to the end of the warm-up
  uint64_t measured_records = 0;  // allocations: records scored after the warm-up
  uint64_t measured_allocations = 0;  // allocations: operator new calls while they were read and scored
  uint64_t checksum = 0;
  int64_t vetoed = 0;
  double score_sum = 0;
  char error[512] = {};
};

uint64_t checksum_of(const Result& result, int64_t& vetoed, double& score_sum) {
  uint64_t h = 1469598103934665603ULL;
  auto mix = [&](uint64_t v) {
    for (int i = 0; i < 8; ++i) {
      h ^= (v >> (8 * i)) & 0xFF;
      h *= 1099511628211ULL;
    }
  };
  vetoed = 0;
  score_sum = 0;
  for (const auto& u : result.units) {
    for (unsigned char c : u.unit) mix(c);
    mix(static_cast<uint64_t>(u.score.num));
    mix(static_cast<uint64_t>(u.score.den));
    mix(u.vetoed ? 1 : 0);
    for (const Rational& value : u.categories) {
      mix(static_cast<uint64_t>(value.num));
      mix(static_cast<uint64_t>(value.den));
    }
    vetoed += u.vetoed ? 1 : 0;
    score_sum += static_cast<double>(u.score.num) / static_cast<double>(u.score.den);
  }
  return h;
}

void set_error(PhaseResult& r, const std::string& message) {
  std::snprintf(r.error, sizeof r.error, "%s", message.c_str());
  r.ok = 0;
}

// Runs a phase, turning exceptions into an error message, and notes the peak RSS.
void run_phase(const std::function<void(PhaseResult&)>& body, PhaseResult& r) {
  try {
    body(r);
  } catch (const RunError& e) {
    set_error(r, fmt::format("error while scoring (rulebook line {}): {}", e.line, e.what()));
  } catch (const std::exception& e) {
    set_error(r, e.what());
  }
  r.peak_kb = peak_rss_kb();
}

// Runs `body` in a child process and returns what it filled in.
PhaseResult in_child(const std::function<void(PhaseResult&)>& body) {
  PhaseResult result;
  if (std::getenv("RULEBOOK_BENCH_NO_FORK") != nullptr) {  // for debuggers: run the phase here
    run_phase(body, result);
    return result;
  }
  int fds[2];
  if (pipe(fds) != 0) {
    set_error(result, "pipe failed");
    return result;
  }
  std::cout.flush();
  std::fflush(nullptr);
  pid_t pid = fork();
  if (pid < 0) {
    set_error(result, "fork failed");
    return result;
  }
  if (pid == 0) {
    close(fds[0]);
    PhaseResult r;
    run_phase(body, r);
    const char* p = reinterpret_cast<const char*>(&r);
    size_t left = sizeof r;
    while (left > 0) {
      ssize_t n = write(fds[1], p, left);
      if (n <= 0) _exit(2);
      p += n;
      left -= static_cast<size_t>(n);
    }
    close(fds[1]);
    _exit(0);
  }
  close(fds[1]);
  char* p = reinterpret_cast<char*>(&result);
  size_t got = 0;
  while (got < sizeof result) {
    ssize_t n = read(fds[0], p + got, sizeof result - got);
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (got != sizeof result) {
    result = PhaseResult{};
    set_error(result, WIFSIGNALED(status) ? fmt::format("the phase died of signal {}", WTERMSIG(status))
                                          : std::string("the phase exited without a result"));
  }
  return result;
}

class MachineSink : public RecordSink {
 public:
  explicit MachineSink(Machine& m) : machine_(m) {}
  void accept(const Record& r) override { machine_.accept(r); }

 private:
  Machine& machine_;
};

class VectorSink : public RecordSink {
 public:
  explicit VectorSink(std::vector<Record>& out) : out_(out) {}
  void accept(const Record& r) override { out_.push_back(r); }

 private:
  std::vector<Record>& out_;
};

// After a read: false (and the first problem in `r`) when the input was not clean.
bool reader_ok(const EventReader& reader, bool io_ok, PhaseResult& r) {
  if (io_ok && reader.error_count() == 0) return true;
  std::string first = reader.errors().empty() ? std::string("cannot read the events") : to_string(reader.errors()[0]);
  set_error(r, fmt::format("{} problem(s) in the input, first: {}", reader.error_count(), first));
  return false;
}

// Completes a run: Machine::finish, and the counts and the scores' hash into `r`.
void finish_run(Machine& machine, const EventReader& reader, PhaseResult& r) {
  const auto& s = reader.stats();
  RunSummary summary{s.records, s.in_period, s.out_of_period, s.rejected};
  Result result = machine.finish(summary);
  r.records = s.records;
  r.in_period = s.in_period;
  r.out_of_period = s.out_of_period;
  r.checksum = checksum_of(result, r.vetoed, r.score_sum);
}

// read+score as `rulebook run` does it, through the same Session.
void phase_read_score(const Program& program, const std::string& events, int repeat, PhaseResult& r) {
  r.best = 1e300;
  for (int k = 0; k < repeat; ++k) {
    auto t0 = Clock::now();
    const double c0 = cpu_seconds();
    Session session(program, ReadOptions{});
    bool io_ok = session.read({events});
    if (!reader_ok(session.reader(), io_ok, r)) return;
    Result result = session.finish();
    const auto& s = session.reader().stats();
    r.records = s.records;
    r.in_period = s.in_period;
    r.out_of_period = s.out_of_period;
    r.checksum = checksum_of(result, r.vetoed, r.score_sum);
    if (double t = seconds_since(t0); t < r.best) {
      r.best = t;
      r.cpu = cpu_seconds() - c0;
    }
    r.state_kb = proc_status_kb("VmRSS");
    r.symbols = session.symbols().size();
  }
  r.ok = 1;
}

// read+score with the file handed over in chunks: memory is the engine's, not the file's.
void phase_streamed(const Program& program, const std::string& events, int repeat, size_t chunk, PhaseResult& r) {
  r.best = 1e300;
  const bool csv = ends_with(events, ".csv") || ends_with(events, ".CSV");
  for (int k = 0; k < repeat; ++k) {
    auto t0 = Clock::now();
    const double c0 = cpu_seconds();
    Symbols symbols(program.symbols);
    EventReader reader(program, symbols, ReadOptions{});
    Machine machine(program);
    MachineSink sink(machine);
    std::FILE* f = std::fopen(events.c_str(), "rb");
    if (f == nullptr) {
      set_error(r, fmt::format("cannot open {}: {}", events, std::strerror(errno)));
      return;
    }
    std::string header;  // CSV: the header line, put in front of every later chunk
    std::string buffer;  // the unread tail of the last chunk, then the next chunk
    bool io_ok = true, first = true;
    for (;;) {
      const size_t old = buffer.size();
      buffer.resize(old + chunk);
      const size_t n = std::fread(buffer.data() + old, 1, chunk, f);
      buffer.resize(old + n);
      const bool eof = n < chunk;
      size_t cut = eof ? buffer.size() : buffer.rfind('\n');
      if (cut == std::string::npos) continue;  // a line longer than a chunk: read on
      if (!eof) ++cut;
      if (csv && first) {
        size_t nl = buffer.find('\n');
        header = buffer.substr(0, nl == std::string::npos ? buffer.size() : nl + 1);
      }
      if (cut > 0) {
        std::string_view piece(buffer.data(), cut);
        if (csv && !first) {
          std::string with_header = header;
          with_header.append(piece);
          io_ok = reader.read_buffer(with_header, events, 0, sink) && io_ok;
        } else {
          io_ok = reader.read_buffer(piece, events, 0, sink) && io_ok;
        }
        first = false;
      }
      buffer.erase(0, cut);
      if (eof) break;
    }
    std::fclose(f);
    io_ok = reader.finish() && io_ok;
    if (!reader_ok(reader, io_ok, r)) return;
    finish_run(machine, reader, r);
    if (double t = seconds_since(t0); t < r.best) {
      r.best = t;
      r.cpu = cpu_seconds() - c0;
    }
    r.state_kb = proc_status_kb("VmRSS");
  }
  r.ok = 1;
}

uint64_t count_lines(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return 0;
  std::vector<char> block(1 << 20);
  uint64_t lines = 0;
  size_t n;
  while ((n = std::fread(block.data(), 1, block.size(), f)) > 0) lines += std::count(block.data(), block.data() + n, '\n');
  std::fclose(f);
  return lines + 1;
}

// The VM alone: records are read into a vector first (not timed).
void phase_vm(const Program& program, const std::string& events, int repeat, PhaseResult& r) {
  std::vector<Record> records;
  records.reserve(count_lines(events));
  Symbols symbols(program.symbols);
  RunSummary summary;
  {
    EventReader reader(program, symbols, ReadOptions{});
    VectorSink sink(records);
    bool io_ok = reader.read_file(events, 0, sink);
    io_ok = reader.finish() && io_ok;
    if (!reader_ok(reader, io_ok, r)) return;
    const auto& s = reader.stats();
    summary = RunSummary{s.records, s.in_period, s.out_of_period, s.rejected};
  }
  r.vector_kb = static_cast<long>(records.size() * sizeof(Record) / 1024);
  r.best = 1e300;
  for (int k = 0; k < repeat; ++k) {
    const long before = proc_status_kb("VmRSS");
    auto t0 = Clock::now();
    const double c0 = cpu_seconds();
    Machine machine(program);
    for (const Record& rec : records) machine.accept(rec);
    const double accept = seconds_since(t0);
    if (k == 0) r.accept_kb = proc_status_kb("VmRSS") - before;
    auto t1 = Clock::now();
    Result result = machine.finish(summary);
    const double finish = seconds_since(t1);
    const double total = seconds_since(t0);
    const double cpu = cpu_seconds() - c0;
    if (k == 0) r.state_kb = proc_status_kb("VmRSS") - before;
    if (total < r.best) {
      r.best = total;
      r.cpu = cpu;
      r.accept = accept;
      r.finish = finish;
    }
    r.records = summary.records;
    r.in_period = summary.in_period;
    r.out_of_period = summary.out_of_period;
    r.checksum = checksum_of(result, r.vetoed, r.score_sum);
  }
  r.ok = 1;
}

// Allocations per record: a Session-like reader and Machine over EVENTS; the first half of
// the records is the warm-up (symbol tables, accumulators and buffers grow to their size),
// then every operator new call until the last record is scored is counted. finish() and the
// Result are not counted: they are per unit, not per record.
class CountingSink : public RecordSink {
 public:
  CountingSink(Machine& m, uint64_t warm_up) : machine_(m), warm_up_(warm_up) {}
  void accept(const Record& r) override {
    machine_.accept(r);
    if (++seen_ == warm_up_) at_warm_ = g_allocations.load(std::memory_order_relaxed);
  }
  uint64_t seen() const { return seen_; }
  uint64_t at_warm() const { return at_warm_; }

 private:
  Machine& machine_;
  uint64_t warm_up_, seen_ = 0, at_warm_ = 0;
};

void phase_allocations(const Program& program, const std::string& events, PhaseResult& r) {
  const uint64_t warm_up = count_lines(events) / 2;
  const uint64_t start = g_allocations.load(std::memory_order_relaxed);
  Symbols symbols(program.symbols);
  EventReader reader(program, symbols, ReadOptions{});
  Machine machine(program);
  CountingSink sink(machine, warm_up);
  bool io_ok = reader.read_file(events, 0, sink);
  const uint64_t at_end = g_allocations.load(std::memory_order_relaxed);
  io_ok = reader.finish() && io_ok;
  if (!reader_ok(reader, io_ok, r)) return;
  if (sink.seen() <= warm_up) {
    set_error(r, "allocations: too few records in the period to measure after a warm-up");
    return;
  }
  r.warm_records = warm_up;
  r.warm_allocations = sink.at_warm() - start;
  r.measured_records = sink.seen() - warm_up;
  r.measured_allocations = at_end - sink.at_warm();
  finish_run(machine, reader, r);
  r.ok = 1;
}

int usage() {
  std::cerr << "usage: rulebook_bench RULES EVENTS [--repeat K] [--chunk-mb N] [--no-stream] [--no-vm]\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> positional;
  int repeat = 1;
  size_t chunk_mb = 16;
  bool do_stream = true, do_vm = true;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--repeat" && i + 1 < argc) {
      repeat = std::max(1, std::atoi(argv[++i]));
    } else if (a == "--chunk-mb" && i + 1 < argc) {
      chunk_mb = static_cast<size_t>(std::max(1, std::atoi(argv[++i])));
    } else if (a == "--no-stream") {
      do_stream = false;
    } else if (a == "--no-vm") {
      do_vm = false;
    } else if (a == "-h" || a == "--help") {
      return usage(), 0;
    } else if (!a.empty() && a[0] == '-') {
      return usage();
    } else {
      positional.push_back(a);
    }
  }
  if (positional.size() != 2) return usage();
  const std::string& rules = positional[0];
  const std::string& events = positional[1];

  auto t0 = Clock::now();
  Diagnostics diags;
  std::string source;
  auto program = compile_file(rules, diags, &source);
  for (const auto& d : diags.all()) std::cerr << render(d, source);
  if (!program) {
    std::cerr << rules << ": does not compile\n";
    return 1;
  }
  if (auto problems = verify(*program); !problems.empty()) {
    std::cerr << rules << ": compiled code failed verification: " << problems[0] << "\n";
    return 1;
  }
  const double compile_s = seconds_since(t0);
  std::ifstream probe(events, std::ios::binary | std::ios::ate);
  if (!probe) {
    std::cerr << "cannot open " << events << "\n";
    return 1;
  }
  const double file_mb = static_cast<double>(probe.tellg()) / (1024.0 * 1024.0);
  size_t accounts = 0;
  for (const auto& t : program->tables) accounts = std::max(accounts, t.rows.size());

  std::cout << fmt::format("rules   {}: {} units, largest table {} rows, {} event types; compiled in {:.3f} s\n",
                           rules, program->units.size(), accounts, program->events.size(), compile_s);
  std::cout << fmt::format("events  {}: {:.1f} MB; sizeof(Record) = {} B; {} run(s) per phase, fastest shown\n",
                           events, file_mb, sizeof(Record), repeat);
  std::cout << fmt::format("baseline RSS after compiling: {:.1f} MB\n\n", mb(proc_status_kb("VmRSS")));

  auto fail = [](const char* phase, const PhaseResult& r) {
    std::cerr << phase << ": " << r.error << "\n";
    return 1;
  };

  PhaseResult a = in_child([&](PhaseResult& r) { phase_read_score(*program, events, repeat, r); });
  if (!a.ok) return fail("read+score", a);
  std::cout << fmt::format(
      "read+score (read_file + Machine + finish, as `rulebook run`):\n"
      "  {} records ({} scored, {} outside the period) in {:.3f} s = {:.0f} records/s, {:.1f} MB/s"
      " (CPU {:.3f} s = {:.0f} records/s)\n"
      "  peak RSS {:.1f} MB (the file is read in 8 MB chunks; it is {:.1f} MB),"
      " RSS at the end {:.1f} MB\n"
      "  {} distinct texts interned (ids, kinds, methods, ...; {} of them compiled in)\n",
      a.records, a.in_period, a.out_of_period, a.best, a.records / a.best, file_mb / a.best, a.cpu, a.records / a.cpu,
      mb(a.peak_kb), file_mb,
      mb(a.state_kb), a.symbols, program->symbols.size());

  PhaseResult s;
  if (do_stream) {
    s = in_child([&](PhaseResult& r) { phase_streamed(*program, events, repeat, chunk_mb << 20, r); });
    if (!s.ok) return fail("streamed", s);
    std::cout << fmt::format(
        "read+score streamed (read_buffer in {} MB chunks + Machine + finish):\n"
        "  {} records in {:.3f} s = {:.0f} records/s (CPU {:.3f} s = {:.0f} records/s)\n"
        "  peak RSS {:.1f} MB (the engine plus two chunks, not the file), RSS at the end {:.1f} MB\n",
        chunk_mb, s.records, s.best, s.records / s.best, s.cpu, s.records / s.cpu, mb(s.peak_kb), mb(s.state_kb));
    if (s.checksum != a.checksum) {
      std::cerr << "streamed: the scores differ from read+score's\n";
      return 1;
    }
  }

  PhaseResult v;
  if (do_vm) {
    v = in_child([&](PhaseResult& r) { phase_vm(*program, events, repeat, r); });
    if (!v.ok) return fail("VM only", v);
    std::cout << fmt::format(
        "VM only (records preloaded into a std::vector<Record>, not timed; fresh Machine + finish):\n"
        "  {} records in {:.3f} s = {:.0f} records/s (CPU {:.3f} s = {:.0f} records/s; accept {:.3f} s = {:.0f} records/s,"
        " finish {:.3f} s)\n"
        "  VM state (RSS growth while scoring) {:.1f} MB: {:.1f} MB during accept (the accumulators), the rest in"
        " finish (finished values, the Result)\n"
        "  peak RSS {:.1f} MB is the preloaded vector ({:.1f} MB) and says nothing about the engine\n",
        v.in_period, v.best, v.in_period / v.best, v.cpu, v.in_period / v.cpu, v.accept, v.in_period / v.accept,
        v.finish, mb(v.state_kb), mb(v.accept_kb), mb(v.peak_kb), mb(v.vector_kb));
    if (v.checksum != a.checksum) {
      std::cerr << "VM only: the scores differ from read+score's\n";
      return 1;
    }
  }
  PhaseResult m = in_child([&](PhaseResult& r) { phase_allocations(*program, events, r); });
  if (!m.ok) return fail("allocations", m);
  const double allocs_per_record =
      static_cast<double>(m.measured_allocations) / static_cast<double>(m.measured_records);
  std::cout << fmt::format(
      "allocations (operator new calls while reading and scoring; finish() not counted):\n"
      "  warm-up, the first {} records: {} allocations (reader, symbol table, accumulators growing)\n"
      "  after it, {} records: {} allocations = {:.6f} per record\n",
      m.warm_records, m.warm_allocations, m.measured_records, m.measured_allocations, allocs_per_record);
  if (m.checksum != a.checksum) {
    std::cerr << "allocations: the scores differ from read+score's\n";
    return 1;
  }
  std::cout << fmt::format("\nresult: {} units, {} vetoed, mean score {:.3f}; scores identical in every phase\n",
                           program->units.size(), a.vetoed, a.score_sum / static_cast<double>(program->units.size()));
  std::cout << fmt::format(
      "BENCH records={} in_period={} file_mb={:.1f} read_s={:.3f} read_rps={:.0f} read_cpu_rps={:.0f} "
      "read_peak_mb={:.1f} read_end_mb={:.1f} stream_s={:.3f} stream_rps={:.0f} stream_cpu_rps={:.0f} "
      "stream_peak_mb={:.1f} vm_s={:.3f} vm_rps={:.0f} vm_cpu_rps={:.0f} vm_accept_rps={:.0f} vm_finish_s={:.3f} "
      "vm_state_mb={:.1f} vm_accept_mb={:.1f} vm_peak_mb={:.1f} symbols={} warm_allocs={} allocs={} "
      "allocs_per_record={:.6f}\n",
      a.records, a.in_period, file_mb, a.best, a.records / a.best, a.records / a.cpu, mb(a.peak_kb), mb(a.state_kb),
      s.best, do_stream ? s.records / s.best : 0.0, do_stream ? s.records / s.cpu : 0.0, mb(s.peak_kb), v.best,
      do_vm ? v.in_period / v.best : 0.0, do_vm ? v.in_period / v.cpu : 0.0, do_vm ? v.in_period / v.accept : 0.0,
      v.finish, mb(v.state_kb), mb(v.accept_kb), mb(v.peak_kb), a.symbols, m.warm_allocations,
      m.measured_allocations, allocs_per_record);
  return 0;
}
