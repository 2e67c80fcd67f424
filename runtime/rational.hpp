// Exact arithmetic for scores. Every amount, mean and score is a fraction of two 64-bit
// integers kept in lowest terms with a positive denominator; intermediate products use
// 128 bits, and a result that does not fit in 64 bits raises ArithmeticOverflow rather
// than silently losing precision. Means such as 10/3 stay exact until the final rounding.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <optional>

namespace rb {

struct ArithmeticOverflow : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Rational {
  int64_t num = 0;
  int64_t den = 1;

  constexpr Rational() = default;
  constexpr Rational(int64_t n) : num(n), den(1) {}  // NOLINT: integers convert implicitly
  static Rational make(__int128 n, __int128 d);      // normalizes; throws on overflow

  bool is_zero() const { return num == 0; }
  bool is_integer() const { return den == 1; }
  // Largest integer not greater than the value.
  int64_t floor() const;

  friend Rational operator+(Rational a, Rational b);
  friend Rational operator-(Rational a, Rational b);
  friend Rational operator*(Rational a, Rational b);
  friend Rational operator/(Rational a, Rational b);  // throws on division by zero
  friend Rational operator-(Rational a) { return make(-static_cast<__int128>(a.num), a.den); }
  friend int compare(Rational a, Rational b);
  friend bool operator==(Rational a, Rational b) { return a.num == b.num && a.den == b.den; }
  friend bool operator<(Rational a, Rational b) { return compare(a, b) < 0; }
  friend bool operator<=(Rational a, Rational b) { return compare(a, b) <= 0; }
  friend bool operator>(Rational a, Rational b) { return compare(a, b) > 0; }
  friend bool operator>=(Rational a, Rational b) { return compare(a, b) >= 0; }
};

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
