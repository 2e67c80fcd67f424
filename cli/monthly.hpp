// The month-by-month view of a report: each unit's score at the end of each month of the
// period, scored as `run --as-of` that day would score it (every period-relative rule
// measured to that day). The records are read once per month.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "cli/report.hpp"
#include "runtime/reader.hpp"

namespace rb {

MonthlyScores monthly_scores(const Program& program, const ReadOptions& options, const std::vector<std::string>& files,
                             const std::vector<std::pair<std::string, Rational>>& params);

}  // namespace rb
