// Reading with several threads (ReadOptions::threads) gives what one thread gives, byte for
// byte: the scores, the counts, the error list and its order, the error count past the cap,
// the reject file, and unique constraints whose first record is in an earlier chunk.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cli/format.hpp"
#include "compiler/compiler.hpp"
#include "runtime/session.hpp"

namespace fs = std::filesystem;
using namespace rb;

namespace {

const std::string kExamples = std::string(RB_SOURCE_DIR) + "/examples/yunhe-2022/";

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::string temp_file(const std::string& name, const std::string& text) {
  const fs::path p = fs::temp_directory_path() / name;
  std::ofstream(p, std::ios::binary) << text;
  return p.string();
}

struct Outcome {
  std::string json;
  ReadStats stats;
  std::vector<std::string> errors;
  uint64_t error_count = 0;
  std::string rejects;
};

Outcome read_with(const Program& program, const std::vector<std::string>& files, unsigned threads, size_t chunk) {
  ReadOptions options;
  options.skip_bad = true;
  options.max_errors = 12;
  options.threads = threads;
  options.chunk_bytes = chunk;
  options.encoding = Encoding::Utf8;  // the rows that are not UTF-8 would sway detection
  options.reject_path = (fs::temp_directory_path() / ("rulebook-threads-rejects-" + std::to_string(threads) + ".csv")).string();
  Outcome out;
  {
    Session session(program, options);
    session.read(files);
    for (const InputError& e : session.reader().errors())
      out.errors.push_back(to_string(e) + "|" + e.unknown_type + "|" + e.unknown_unit);
    out.error_count = session.reader().error_count();
    out.stats = session.reader().stats();
    out.json = format_json(session.finish());
  }
  out.rejects = slurp(options.reject_path);
  fs::remove(options.reject_path);
  return out;
}

}  // namespace

TEST_CASE("reading with 1, 2, 3 or 8 threads gives the same bytes", "[reader][threads]") {
  Diagnostics diags;
  auto program = compile_file(std::string(RB_SOURCE_DIR) + "/rules/yunhe-2022.rules", diags);
  REQUIRE(program.has_value());

  // JSON Lines with bad records spread through it and, near the end, a repeat of a weekly
  // score (唯一 (账号, date)) whose first record is many chunks earlier.
  std::vector<std::string> jl = lines_of(slurp(kExamples + "events.jsonl"));
  REQUIRE(jl.size() > 6000);
  std::string weekly;
  for (const auto& l : jl)
    if (weekly.empty() && l.find("nm_weekly_score") != std::string::npos) weekly = l;
  REQUIRE(!weekly.empty());
  std::string jsonl;
  for (size_t i = 0; i < jl.size(); ++i) {
    jsonl += jl[i] + "\n";
    if (i % 997 == 500) jsonl += "{\"type\": \"nm_pst\", \"date\": \"2022-05-01\"}\n";
    if (i % 1499 == 700) jsonl += "{\"type\": \"portal_late_fix\", \"date\": \"2022-02-30\", \"unit\": \"县审记局\"}\n";
    if (i % 2011 == 900) jsonl += "not json at all\n\n";
    if (i % 1733 == 100) jsonl += "{\"type\": \"nm_finding\", \"date\": \"2022-06-0" + std::to_string(i % 9 + 1) +
                                  "\", \"platform\": \"微信订阅号\", \"account\": \"云和公安\", \"id\": \"新编号" +
                                  std::to_string(i) + "\", \"kind\": \"新类型" + std::to_string(i % 7) + "\"}\n";
  }
  jsonl += weekly + "\n";
  const std::string jsonl_path = temp_file("rulebook-threads.jsonl", jsonl);

  // CSV: a quoted cell with a line break in it, on many chunk boundaries at 1 KB chunks, two
  // rows that are not UTF-8 (the first is reported, the second counted at the file's end),
  // a short row, and again a repeated weekly score.
  std::vector<std::string> cl = lines_of(slurp(kExamples + "events.csv"));
  REQUIRE(cl.size() > 6000);
  std::string csv = cl[0] + "\n";
  std::string weekly_row;
  for (size_t i = 1; i < cl.size(); ++i) {
    if (weekly_row.empty() && cl[i].rfind("nm_weekly_score,", 0) == 0) weekly_row = cl[i];
    csv += cl[i] + "\n";
    if (i % 37 == 5)
      csv += "nm_finding,2022-04-0" + std::to_string(i % 9 + 1) + ",,微信订阅号,云和公安,,\"多行\n编号" +
             std::to_string(i) + "\",\"第一行\n第二行, \"\"引号\"\"\",,,,,,\n";
    if (i == 3000 || i == 4500) csv += "nm_post,2022-07-29,,\xff\xfe bad,云和发布,,,,,,,,,\n";
    if (i == 5000) csv += "nm_post,2022-07-29\n";
  }
  REQUIRE(!weekly_row.empty());
  csv += weekly_row + "\n";
  const std::string csv_path = temp_file("rulebook-threads.csv", csv);

  const std::vector<std::string> files{jsonl_path, csv_path, kExamples + "events-extra.csv", jsonl_path};
  const Outcome one = read_with(*program, files, 1, size_t{8} << 20);
  // What the inputs are made to show.
  CHECK(one.error_count > 12);
  CHECK(one.errors.size() == 12);
  CHECK(one.stats.rejected > 20);
  CHECK(one.stats.in_period > 10000);
  CHECK(one.rejects.find("not json at all") != std::string::npos);
  std::string weekly_in_csv;  // the JSON line as a CSV cell of the reject file
  for (char c : weekly.substr(0, 40)) weekly_in_csv += c == '"' ? std::string("\"\"") : std::string(1, c);
  CHECK(one.rejects.find(weekly_in_csv) != std::string::npos);
  CHECK(one.rejects.find("\xff\xfe bad") != std::string::npos);
  size_t duplicates = 0;
  for (size_t at = one.rejects.find("nm_weekly_score"); at != std::string::npos;
       at = one.rejects.find("nm_weekly_score", at + 1))
    ++duplicates;
  CHECK(duplicates >= 3);  // the repeated lines, and every weekly score of the file read twice

  for (unsigned threads : {1u, 2u, 3u, 8u}) {
    for (size_t chunk : {size_t{1024}, size_t{4096}}) {
      INFO("threads " << threads << ", chunks of " << chunk << " bytes");
      const Outcome many = read_with(*program, files, threads, chunk);
      CHECK(many.json == one.json);
      CHECK(many.stats.records == one.stats.records);
      CHECK(many.stats.in_period == one.stats.in_period);
      CHECK(many.stats.out_of_period == one.stats.out_of_period);
      CHECK(many.stats.rejected == one.stats.rejected);
      CHECK(many.errors == one.errors);
      CHECK(many.error_count == one.error_count);
      CHECK(many.rejects == one.rejects);
    }
  }
  fs::remove(jsonl_path);
  fs::remove(csv_path);
}

TEST_CASE("reading with threads: every message kept when under the cap", "[reader][threads]") {
  Diagnostics diags;
  auto program = compile_file(std::string(RB_SOURCE_DIR) + "/rules/yunhe-2022.rules", diags);
  REQUIRE(program.has_value());
  std::string jsonl;
  for (int i = 0; i < 300; ++i)
    jsonl += "{\"type\": \"portal_late_fix\", \"date\": \"2022-03-" + std::to_string(i % 28 + 1) +
             "\", \"unit\": \"" + (i % 3 == 0 ? "县审记局" : "县审计局") + "\"}\n";
  const std::string path = temp_file("rulebook-threads-cap.jsonl", jsonl);
  auto errors_with = [&](unsigned threads) {
    ReadOptions options;
    options.max_errors = 1000;
    options.threads = threads;
    options.chunk_bytes = 256;
    Session session(*program, options);
    session.read({path});
    std::vector<std::string> out;
    for (const InputError& e : session.reader().errors()) out.push_back(to_string(e));
    REQUIRE(session.reader().error_count() == 100);
    return out;
  };
  const auto one = errors_with(1);
  CHECK(one.size() == 100);
  CHECK(errors_with(2) == one);
  CHECK(errors_with(5) == one);
  fs::remove(path);
}
