// Reading with several threads (ReadOptions::threads > 1): a file's chunks are parsed and
// validated by workers, each with its own validator (an Impl built from the same Program)
// and its own copy of the symbol table; the reading thread takes their results back in
// input order and does what depends on order: worker texts become the run's symbols (in
// record order, so every symbol has the number a single-threaded run gives it), unique
// constraints, the error cap, the reject file, the counts and the sink. The output is
// therefore the same for any number of threads.
//
// The reading thread also parses chunks itself while the oldest one is not done, so with
// N threads there are N-1 workers and no thread waits while work is queued.
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>

#include "reader_impl.hpp"

namespace rb {

namespace {

class NoSink final : public RecordSink {
 public:
  void accept(const Record&) override {}
};

constexpr uint32_t kUnmapped = UINT32_MAX;

}  // namespace

namespace input {

// One worker's validator and texts. Its symbol table starts as a copy of the run's, so
// numbers below `base` are the run's own; the taker maps the worker's later numbers.
struct ReadWorker {
  explicit ReadWorker(const EventReader::Impl& main)
      : symbols(main.symbols), base(static_cast<uint32_t>(symbols.size())), impl(main.program, symbols, main.options) {
    impl.build();
  }
  Symbols symbols;
  const uint32_t base;
  EventReader::Impl impl;
  EventReader::Impl::CsvState csv;
  // The reading thread's side: the run's symbol for each of the worker's new texts.
  std::vector<uint32_t> remap;
  std::vector<std::string> texts;
};

struct ReadJob {
  std::vector<char> data;  // the chunk, with simdjson's padding after it
  size_t size = 0;
  uint32_t first_line = 0;  // JSON Lines: the line before the chunk; CSV: lines before it
  FileCtx ctx;
  EventReader::Impl::CsvState* csv = nullptr;  // the file's, on the reading thread
  ChunkOut out;
  ReadWorker* worker = nullptr;
  bool done = false;
  std::exception_ptr failure;
};

}  // namespace input

struct EventReader::Impl::Parallel {
  explicit Parallel(Impl& main) : main(main) {
    const size_t n = std::min<size_t>(std::max<size_t>(main.options.threads, 2), 256);
    for (size_t i = 0; i < n; ++i) workers.push_back(std::make_unique<ReadWorker>(main));
    max_in_flight = 2 * n + 1;
    for (size_t i = 1; i < n; ++i) threads.emplace_back([this, i] { work(*workers[i]); });
  }

  ~Parallel() {
    {
      std::lock_guard<std::mutex> lock(mutex);
      stop = true;
    }
    work_ready.notify_all();
    for (auto& t : threads) t.join();
  }

  // Queues a copy of the chunk; takes finished chunks back while too many are in flight.
  void submit(const char* data, size_t size, uint32_t first_line, const FileCtx& ctx, CsvState* csv,
              RecordSink& sink) {
    std::unique_ptr<ReadJob> job;
    if (!spare.empty()) {
      job = std::move(spare.back());
      spare.pop_back();
    } else {
      job = std::make_unique<ReadJob>();
    }
    if (job->data.size() < size + simdjson::SIMDJSON_PADDING) job->data.resize(size + simdjson::SIMDJSON_PADDING);
    std::memcpy(job->data.data(), data, size);
    std::memset(job->data.data() + size, 0, simdjson::SIMDJSON_PADDING);
    job->size = size;
    job->first_line = first_line;
    job->ctx = ctx;
    job->csv = csv;
    job->worker = nullptr;
    job->done = false;
    job->failure = nullptr;
    {
      std::lock_guard<std::mutex> lock(mutex);
      queue.push_back(job.get());
      in_flight.push_back(std::move(job));
    }
    work_ready.notify_one();
    while (in_flight.size() >= max_in_flight) step(sink);
  }

  // Takes back every chunk in flight.
  void drain(RecordSink& sink) {
    while (!in_flight.empty()) step(sink);
  }

  // After a failure (the sink threw): waits for the chunks in flight and drops them.
  void discard() {
    std::unique_lock<std::mutex> lock(mutex);
    queue.clear();
    finished.wait(lock, [&] {
      for (const auto& j : in_flight)
        if (j->worker != nullptr && !j->done) return false;
      return true;
    });
    for (auto& j : in_flight) spare.push_back(std::move(j));
    in_flight.clear();
  }

 private:
  // Takes back the oldest chunk when it is done, or else parses a queued one here.
  void step(RecordSink& sink) {
    std::unique_lock<std::mutex> lock(mutex);
    ReadJob* oldest = in_flight.front().get();
    if (!oldest->done && !queue.empty()) {
      ReadJob* job = queue.front();
      queue.pop_front();
      job->worker = workers[0].get();
      lock.unlock();
      run(*job);
      lock.lock();
      job->done = true;
      return;
    }
    finished.wait(lock, [&] { return oldest->done; });
    std::unique_ptr<ReadJob> job = std::move(in_flight.front());
    in_flight.pop_front();
    lock.unlock();
    if (job->failure) std::rethrow_exception(job->failure);
    ReadWorker& w = *job->worker;
    for (auto& t : job->out.new_texts) {
      w.texts.push_back(std::move(t));
      w.remap.push_back(kUnmapped);
    }
    main.take_chunk(job->out, job->ctx, job->csv, w, sink);
    spare.push_back(std::move(job));
  }

  void work(ReadWorker& w) {
    std::unique_lock<std::mutex> lock(mutex);
    for (;;) {
      work_ready.wait(lock, [&] { return stop || !queue.empty(); });
      if (stop) return;
      ReadJob* job = queue.front();
      queue.pop_front();
      job->worker = &w;
      lock.unlock();
      run(*job);
      lock.lock();
      job->done = true;
      finished.notify_all();
    }
  }

  // Parses and validates one chunk into job.out (on any thread; touches only the job and
  // its worker).
  static void run(ReadJob& job) {
    try {
      ReadWorker& w = *job.worker;
      Impl& im = w.impl;
      ChunkOut& out = job.out;
      out.clear();
      out.base = job.data.data();
      std::swap(im.errors, out.errors);
      im.errors.clear();
      im.chunk_out = &out;
      im.file = job.ctx.name;
      const size_t texts_before = w.symbols.size();
      NoSink none;
      if (job.ctx.csv) {
        w.csv.columns = job.csv->columns;
        w.csv.have_header = true;
        w.csv.header_bad = job.csv->header_bad;
        w.csv.lines_before = job.first_line;
        FileCtx ctx = job.ctx;
        im.read_csv(std::string_view(job.data.data(), job.size), ctx, none, w.csv);
      } else {
        im.read_jsonl(job.data.data(), job.size, job.data.size(), job.ctx, none, job.first_line);
      }
      im.chunk_out = nullptr;
      std::swap(im.errors, out.errors);
      for (size_t id = texts_before; id < w.symbols.size(); ++id) out.new_texts.push_back(w.symbols.text(static_cast<uint32_t>(id)));
    } catch (...) {
      job.worker->impl.chunk_out = nullptr;
      job.failure = std::current_exception();
    }
  }

  Impl& main;
  std::vector<std::unique_ptr<ReadWorker>> workers;  // [0] is the reading thread's own
  std::vector<std::thread> threads;
  size_t max_in_flight = 0;
  std::mutex mutex;
  std::condition_variable work_ready, finished;
  bool stop = false;
  std::deque<std::unique_ptr<ReadJob>> in_flight;  // in input order
  std::deque<ReadJob*> queue;                      // not yet taken by a thread
  std::vector<std::unique_ptr<ReadJob>> spare;
};

EventReader::Impl::Impl(const Program& p, Symbols& s, ReadOptions o) : program(p), symbols(s), options(std::move(o)) {}

EventReader::Impl::~Impl() = default;

EventReader::Impl::Parallel* EventReader::Impl::parallel_for_file() {
  if (options.threads <= 1 || chunk_out != nullptr) return nullptr;
  if (!parallel) parallel = std::make_unique<Parallel>(*this);
  parallel->discard();  // left over only when an earlier read stopped on an exception
  return parallel.get();
}

void EventReader::Impl::submit_chunk(Parallel& par, const char* data, size_t size, uint32_t first_line,
                                     const FileCtx& ctx, CsvState* csv, RecordSink& sink) {
  par.submit(data, size, first_line, ctx, csv, sink);
}

void EventReader::Impl::drain_chunks(Parallel& par, RecordSink& sink) { par.drain(sink); }

// The order-dependent part of reading, for a chunk a worker has parsed: as finish_record
// and check_unique would have gone on a single thread.
void EventReader::Impl::take_chunk(ChunkOut& out, const FileCtx& ctx, CsvState* csv, ReadWorker& w,
                                   RecordSink& sink) {
  size_t next_error = 0;
  for (size_t r = 0; r < out.heads.size(); ++r) {
    const RecordHead& h = out.heads[r];
    begin_record(h.line);
    bad = h.bad;
    error_count += h.errors;
    for (; next_error < out.error_record.size() && out.error_record[next_error] == r; ++next_error)
      keep_error(std::move(out.errors[next_error]), errors.size() < options.max_errors);
    const std::string_view raw(out.base + h.raw_at, h.raw_size);
    if (h.bad_utf8) bad_utf8_row(raw, *csv);
    if (!bad) {
      copy_head(rec, h);
      rec.file = ctx.index;
      rec.line = h.line;
      const TypePlan& plan = types[h.type];
      const size_t n = plan.slots.size();
      std::copy_n(out.fields.begin() + h.fields_at, n, rec.fields.begin());
      for (size_t s = n; s < filled_slots; ++s) rec.fields[s] = Rational();
      filled_slots = n;
      for (size_t s = 0; s < n; ++s) {
        if (plan.slots[s].kind != FieldKind::Text || !(rec.present & (1u << s))) continue;
        const auto id = static_cast<uint32_t>(rec.fields[s].num);
        if (id < w.base) continue;
        uint32_t& global = w.remap[id - w.base];
        if (global == kUnmapped) global = symbols.intern(w.texts[id - w.base]);
        rec.fields[s] = Rational(global);
      }
      check_unique(plan, program.events[h.type]);
    }
    finish_record(raw, ctx, sink);
  }
}

}  // namespace rb
