#include "cli/monthly.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "runtime/session.hpp"

namespace rb {

MonthlyScores monthly_scores(const Program& program, const ReadOptions& options, const std::vector<std::string>& files,
                             const std::vector<std::pair<std::string, Rational>>& params) {
  MonthlyScores out;
  out.scores.resize(program.units.size());
  ReadOptions quiet = options;
  quiet.reject_path.clear();  // the full run has written the rejected records already
  int32_t y = 0, m = 0, d = 0;
  civil_from_days(program.period_from, y, m, d);
  for (;;) {
    const int32_t next_month = m == 12 ? days_from_civil(y + 1, 1, 1) : days_from_civil(y, m + 1, 1);
    const int32_t month_end = std::min(next_month - 1, program.period_to);
    Program upto = program;
    upto.period_to = month_end;
    Session session(upto, quiet, false);
    for (const auto& [name, value] : params) session.machine().set_param(name, value);
    session.read(files);
    Result r = session.finish();
    out.months.push_back(fmt::format("{:04}-{:02}", y, m));
    for (size_t u = 0; u < r.units.size() && u < out.scores.size(); ++u)
      out.scores[u].push_back(r.units[u].assessed ? std::optional<Rational>(r.units[u].score) : std::nullopt);
    if (month_end >= program.period_to) break;
    civil_from_days(next_month, y, m, d);
  }
  return out;
}

}  // namespace rb
