// rulebook_floor: the floor for reading an event stream, what a hand-written program needs
// to parse every field of every record of a JSON Lines file with simdjson and nothing else.
// `rulebook run` is measured against it (bench/run.sh prints the ratio of their CPU times).
//
//   rulebook_floor EVENTS.jsonl [--repeat K]
//   rulebook_floor --time K -- COMMAND [ARGS...]
//
// The first form reads EVENTS in 8 MB chunks cut at line ends (as `rulebook run` does),
// parses each chunk with simdjson's On Demand document stream (iterate_many) and touches
// every field: its key as written (no unescaping), a string value unescaped, any other value
// as its raw token; lengths and first bytes go into a checksum so nothing is skipped. It
// builds nothing per record and checks nothing. It is compiled and linked exactly as the
// runtime is (same simdjson, same flags).
//
// The second form runs COMMAND K times (stdout to /dev/null) and reports the fastest run's
// wall time and CPU time (user + system of the child, from wait4) and its peak RSS, for
// timing `rulebook run` end to end without depending on /usr/bin/time.
//
// The last line is machine-readable: FLOOR records=N wall=S cpu=S checksum=X, or
// TIME wall=S cpu=S peak_mb=M.
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include <simdjson.h>

namespace {

namespace od = simdjson::ondemand;
using Clock = std::chrono::steady_clock;

double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

struct Touch {
  uint64_t records = 0;
  uint64_t sum = 0;
  void text(std::string_view s) { sum = sum * 31 + s.size() + (s.empty() ? 0 : static_cast<unsigned char>(s[0])); }
};

// A key as written: from after its opening quote to its closing one.
std::string_view raw_key(od::field& field) {
  const char* p = field.key().raw();
  const char* q = p;
  while (*q != '"') q += *q == '\\' ? 2 : 1;
  return {p, static_cast<size_t>(q - p)};
}

bool parse_chunk(od::parser& parser, const char* data, size_t size, Touch& touch) {
  od::document_stream docs;
  if (parser.iterate_many(data, size, size_t{1} << 20).get(docs)) return false;
  for (auto doc : docs) {
    od::object obj;
    if (doc.get_object().get(obj)) return false;
    ++touch.records;
    for (auto result : obj) {
      od::field field;
      if (std::move(result).get(field)) return false;
      touch.text(raw_key(field));
      od::value v = field.value();
      od::json_type t;
      if (v.type().get(t)) return false;
      std::string_view s;
      if (t == od::json_type::string) {
        if (v.get_string().get(s)) return false;
      } else {
        s = v.raw_json_token();
      }
      touch.text(s);
    }
  }
  return true;
}

int floor_run(const char* path, int repeat) {
  double best_wall = 1e300, best_cpu = 1e300;
  Touch last;
  od::parser parser;
  constexpr size_t kChunk = size_t{8} << 20;
  std::vector<char> buffer(kChunk + simdjson::SIMDJSON_PADDING);
  for (int r = 0; r < repeat; ++r) {
    const auto t0 = Clock::now();
    const double c0 = cpu_seconds();
    const int fd = ::open(path, O_RDONLY);
    if (fd < 0) {
      std::fprintf(stderr, "rulebook_floor: cannot open %s: %s\n", path, std::strerror(errno));
      return 1;
    }
    Touch touch;
    size_t carried = 0;
    for (bool at_end = false; !at_end;) {
      if (buffer.size() - simdjson::SIMDJSON_PADDING - carried < kChunk / 2) buffer.resize(buffer.size() * 2);
      const ssize_t got = ::read(fd, buffer.data() + carried, buffer.size() - simdjson::SIMDJSON_PADDING - carried);
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) {
        std::fprintf(stderr, "rulebook_floor: cannot read %s: %s\n", path, std::strerror(errno));
        return 1;
      }
      at_end = got == 0;
      const size_t filled = carried + static_cast<size_t>(got);
      size_t usable = filled;
      if (!at_end) {
        const size_t last_nl = std::string_view(buffer.data(), filled).rfind('\n');
        usable = last_nl == std::string_view::npos ? 0 : last_nl + 1;
      }
      if (usable > 0 && !parse_chunk(parser, buffer.data(), usable, touch)) {
        std::fprintf(stderr, "rulebook_floor: %s is not clean JSON Lines\n", path);
        return 1;
      }
      carried = filled - usable;
      std::memmove(buffer.data(), buffer.data() + usable, carried);
    }
    ::close(fd);
    const double wall = std::chrono::duration<double>(Clock::now() - t0).count();
    const double cpu = cpu_seconds() - c0;
    if (cpu < best_cpu) best_cpu = cpu, best_wall = wall;
    last = touch;
  }
  std::printf("simdjson floor over %s (%s kernel at run time, On Demand compiled for %s), fastest of %d\n", path,
              simdjson::get_active_implementation()->name().c_str(), SIMDJSON_STRINGIFY(SIMDJSON_BUILTIN_IMPLEMENTATION),
              repeat);
  std::printf("FLOOR records=%llu wall=%.4f cpu=%.4f checksum=%llx\n", static_cast<unsigned long long>(last.records),
              best_wall, best_cpu, static_cast<unsigned long long>(last.sum));
  return 0;
}

int time_run(int repeat, char** command) {
  double best_wall = 1e300, best_cpu = 1e300;
  long best_peak_kb = 0;
  for (int r = 0; r < repeat; ++r) {
    const auto t0 = Clock::now();
    const pid_t pid = fork();
    if (pid < 0) {
      std::perror("rulebook_floor: fork");
      return 1;
    }
    if (pid == 0) {
      const int null = ::open("/dev/null", O_WRONLY);
      if (null >= 0) ::dup2(null, 1);
      ::execvp(command[0], command);
      std::perror("rulebook_floor: exec");
      _exit(127);
    }
    int status = 0;
    rusage ru{};
    if (wait4(pid, &status, 0, &ru) < 0) {
      std::perror("rulebook_floor: wait4");
      return 1;
    }
    const double wall = std::chrono::duration<double>(Clock::now() - t0).count();
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      std::fprintf(stderr, "rulebook_floor: %s failed (status %d)\n", command[0], status);
      return 1;
    }
    const double cpu = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                       static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
    if (cpu < best_cpu) best_cpu = cpu, best_wall = wall, best_peak_kb = ru.ru_maxrss;
  }
  std::printf("TIME wall=%.4f cpu=%.4f peak_mb=%.1f\n", best_wall, best_cpu, static_cast<double>(best_peak_kb) / 1024);
  return 0;
}

int usage() {
  std::fprintf(stderr,
               "usage: rulebook_floor EVENTS.jsonl [--repeat K]\n"
               "       rulebook_floor --time K -- COMMAND [ARGS...]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 4 && std::strcmp(argv[1], "--time") == 0 && std::strcmp(argv[3], "--") == 0 && argc > 4)
    return time_run(std::max(1, std::atoi(argv[2])), argv + 4);
  if (argc != 2 && !(argc == 4 && std::strcmp(argv[2], "--repeat") == 0)) return usage();
  return floor_run(argv[1], argc == 4 ? std::max(1, std::atoi(argv[3])) : 1);
}
