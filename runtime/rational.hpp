// Exact arithmetic for scores. Every amount, mean and score is a fraction kept in lowest
// terms with a positive denominator. Almost every value is two 64-bit integers, computed
// with 128-bit intermediates; a result that does not fit (means over groups of different
// sizes multiply denominators, a year of large amounts adds up) is widened to an arbitrary-
// precision fraction (Boost.Multiprecision's cpp_rational) instead of failing or losing
// precision, and narrowed back whenever it fits again. Means such as 10/3 stay exact until
// the final rounding.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <optional>

namespace rb {

// Thrown for a division by zero (and for a damaged value that names no wide fraction).
struct ArithmeticOverflow : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Rational {
  // A value that fits: num / den with den > 0. A wide value: den == 0 and num is its
  // number (from 1) in the process's store of wide fractions, which only this file's
  // functions read. Values are trivially copyable either way; a wide value is never a
  // fraction that would fit, so two values are equal exactly when compare() says so.
  int64_t num = 0;
  int64_t den = 1;

  constexpr Rational() = default;
  constexpr Rational(int64_t n) : num(n), den(1) {}  // NOLINT: integers convert implicitly
  static Rational make(__int128 n, __int128 d);      // normalizes; throws on a zero denominator

  bool is_wide() const { return den == 0; }
  bool is_zero() const { return num == 0 && den != 0; }
  bool is_integer() const;
  // Largest integer not greater than the value, clamped to the 64-bit range.
  int64_t floor() const;

  friend Rational operator+(Rational a, Rational b);
  friend Rational operator-(Rational a, Rational b);
  friend Rational operator*(Rational a, Rational b);
  friend Rational operator/(Rational a, Rational b);  // throws on division by zero
  friend Rational operator-(Rational a);
  friend int compare(Rational a, Rational b);
  friend bool operator==(Rational a, Rational b) {
    if (a.den == 0 || b.den == 0) [[unlikely]]
      return compare(a, b) == 0;
    return a.num == b.num && a.den == b.den;
  }
  friend bool operator<(Rational a, Rational b) { return compare(a, b) < 0; }
  friend bool operator<=(Rational a, Rational b) { return compare(a, b) <= 0; }
  friend bool operator>(Rational a, Rational b) { return compare(a, b) > 0; }
  friend bool operator>=(Rational a, Rational b) { return compare(a, b) >= 0; }
};

// Rounds to `places` decimals: mode 0 half away from zero (四舍五入), 1 up (向上取整, toward
// +infinity), 2 down (向下取整, toward -infinity). Exact for wide values too.
Rational round_decimals(Rational value, int mode, int places);

// The exact value as a fraction's text, "n/d" or "n" (wide values too), for listings.
std::string fraction_text(Rational value);

// Parses a decimal such as "12", "-0.5" or "86.25" exactly. Returns nullopt for anything
// else (exponents, hex, stray characters, more than 18 fractional digits).
std::optional<Rational> parse_decimal(std::string_view text);

// Events' numbers carry at most this many decimals: sums of a year's records then stay
// within the exact range (10^6 as the denominator leaves 9.2 * 10^12 for the whole part), so
// a value the reader accepts cannot make a run fail far from its record.
inline constexpr int kMaxInputDecimals = 6;

// The number of digits after the decimal point in `text`, trailing zeros not counted.
int decimal_places(std::string_view text);

// Rounds half away from zero to `places` decimal places and prints without trailing
// zeros ("91.5", "3.33", "100"), as the JSON contract and the tables show scores.
std::string format_decimal(Rational value, int places = 2);

// The value rounded half away from zero to `places` decimals, as a double for JSON.
double to_double_rounded(Rational value, int places = 2);

}  // namespace rb
