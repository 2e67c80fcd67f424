// Civil dates <-> day numbers (days since 1970-01-01), after Howard Hinnant's algorithms.
#include <fmt/format.h>

#include "bytecode.hpp"

namespace rb {

int32_t days_from_civil(int32_t y, int32_t m, int32_t d) {
  y -= m <= 2;
  const int32_t era = (y >= 0 ? y : y - 399) / 400;
  const int32_t yoe = y - era * 400;
  const int32_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int32_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void civil_from_days(int32_t z, int32_t& y, int32_t& m, int32_t& d) {
  z += 719468;
  const int32_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int32_t doe = z - era * 146097;
  const int32_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int32_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int32_t mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = yoe + era * 400 + (m <= 2);
}

bool valid_date(int32_t y, int32_t m, int32_t d) {
  if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1) return false;
  static const int32_t days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return d <= days[m - 1] + (m == 2 && leap ? 1 : 0);
}

std::string format_date(int32_t days) {
  int32_t y, m, d;
  civil_from_days(days, y, m, d);
  return fmt::format("{:04}-{:02}-{:02}", y, m, d);
}

namespace {

// A calendar sub-period's number counted from year 0: months, quarters or halves.
int32_t calendar_index(PeriodKind kind, int32_t day) {
  int32_t y, m, d;
  civil_from_days(day, y, m, d);
  switch (kind) {
    case PeriodKind::Month: return y * 12 + (m - 1);
    case PeriodKind::Quarter: return y * 4 + (m - 1) / 3;
    case PeriodKind::Half: return y * 2 + (m - 1) / 6;
    default: return 0;
  }
}

}  // namespace

int32_t period_of(PeriodKind kind, int32_t from, int32_t day) {
  if (kind == PeriodKind::None) return 0;
  if (kind == PeriodKind::Week) return (day - from) / 7;
  return calendar_index(kind, day) - calendar_index(kind, from);
}

int32_t period_count(PeriodKind kind, int32_t from, int32_t to) {
  if (kind == PeriodKind::None || to < from) return 1;
  return period_of(kind, from, to) + 1;
}

std::string period_label(PeriodKind kind, int32_t from, int32_t index) {
  if (kind == PeriodKind::Week) return format_date(from + 7 * index);
  int32_t y, m, d;
  civil_from_days(from, y, m, d);
  int32_t i = calendar_index(kind, from) + index;
  switch (kind) {
    case PeriodKind::Month: return fmt::format("{:04}-{:02}", i / 12, i % 12 + 1);
    case PeriodKind::Quarter: return fmt::format("{:04}Q{}", i / 4, i % 4 + 1);
    case PeriodKind::Half: return fmt::format("{:04}H{}", i / 2, i % 2 + 1);
    default: return "";
  }
}

}  // namespace rb
