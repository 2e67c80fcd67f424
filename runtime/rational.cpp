#include "rational.hpp"

#include <limits>

#include "messages.hpp"

namespace rb {

namespace {

__int128 gcd128(__int128 a, __int128 b) {
  if (a < 0) a = -a;
  if (b < 0) b = -b;
  while (b != 0) {
    __int128 t = a % b;
    a = b;
    b = t;
  }
  return a;
}

bool fits(__int128 v) {
  return v >= std::numeric_limits<int64_t>::min() && v <= std::numeric_limits<int64_t>::max();
}

}  // namespace

Rational Rational::make(__int128 n, __int128 d) {
  if (d == 0) throw ArithmeticOverflow(text(Msg::division_by_zero));
  if (d < 0) {
    n = -n;
    d = -d;
  }
  __int128 g = gcd128(n, d);
  if (g > 1) {
    n /= g;
    d /= g;
  }
  if (!fits(n) || !fits(d)) throw ArithmeticOverflow(text(Msg::number_beyond_range));
  Rational r;
  r.num = static_cast<int64_t>(n);
  r.den = static_cast<int64_t>(d);
  return r;
}

int64_t Rational::floor() const {
  int64_t q = num / den;
  if ((num % den != 0) && (num < 0)) --q;
  return q;
}

Rational operator+(Rational a, Rational b) {
  if (a.den == b.den) return Rational::make(static_cast<__int128>(a.num) + b.num, a.den);
  return Rational::make(static_cast<__int128>(a.num) * b.den + static_cast<__int128>(b.num) * a.den,
                        static_cast<__int128>(a.den) * b.den);
}

Rational operator-(Rational a, Rational b) { return a + (-b); }

Rational operator*(Rational a, Rational b) {
  return Rational::make(static_cast<__int128>(a.num) * b.num, static_cast<__int128>(a.den) * b.den);
}

Rational operator/(Rational a, Rational b) {
  if (b.num == 0) throw ArithmeticOverflow(text(Msg::division_by_zero));
  return Rational::make(static_cast<__int128>(a.num) * b.den, static_cast<__int128>(a.den) * b.num);
}

int compare(Rational a, Rational b) {
  __int128 l = static_cast<__int128>(a.num) * b.den;
  __int128 r = static_cast<__int128>(b.num) * a.den;
  return l < r ? -1 : l > r ? 1 : 0;
}

std::optional<Rational> parse_decimal(std::string_view text) {
  size_t i = 0;
  bool negative = false;
  if (i < text.size() && (text[i] == '-' || text[i] == '+')) {
    negative = text[i] == '-';
    ++i;
  }
  __int128 num = 0, den = 1;
  size_t digits = 0, frac_digits = 0;
  bool in_fraction = false;
  for (; i < text.size(); ++i) {
    char c = text[i];
    if (c == '.' && !in_fraction) {
      in_fraction = true;
      continue;
    }
    if (c < '0' || c > '9') return std::nullopt;
    num = num * 10 + (c - '0');
    ++digits;
    if (in_fraction) {
      den *= 10;
      if (++frac_digits > 18) return std::nullopt;
    }
    if (num > std::numeric_limits<int64_t>::max()) return std::nullopt;
  }
  if (digits == 0 || (in_fraction && frac_digits == 0)) return std::nullopt;
  try {
    return Rational::make(negative ? -num : num, den);
  } catch (const ArithmeticOverflow&) {
    return std::nullopt;
  }
}

int decimal_places(std::string_view text) {
  size_t dot = text.find('.');
  if (dot == std::string_view::npos) return 0;
  size_t end = text.size();
  while (end > dot + 1 && (text[end - 1] == '0' || text[end - 1] == ' ')) --end;  // 3.30, " 1.50 "
  return static_cast<int>(end - dot - 1);
}

namespace {

// value * 10^places rounded half away from zero, as an integer.
__int128 scaled_rounded(Rational value, int places) {
  __int128 scale = 1;
  for (int i = 0; i < places; ++i) scale *= 10;
  __int128 n = static_cast<__int128>(value.num) * scale;
  __int128 d = value.den;
  bool negative = n < 0;
  if (negative) n = -n;
  __int128 q = n / d, r = n % d;
  if (2 * r >= d) ++q;
  return negative ? -q : q;
}

}  // namespace

std::string format_decimal(Rational value, int places) {
  __int128 q = scaled_rounded(value, places);
  bool negative = q < 0;
  if (negative) q = -q;
  __int128 scale = 1;
  for (int i = 0; i < places; ++i) scale *= 10;
  std::string whole = std::to_string(static_cast<long long>(q / scale));
  std::string frac;
  __int128 f = q % scale;
  for (int i = 0; i < places; ++i) {
    frac.insert(frac.begin(), static_cast<char>('0' + static_cast<int>(f % 10)));
    f /= 10;
  }
  while (!frac.empty() && frac.back() == '0') frac.pop_back();
  std::string out = (negative && (q != 0)) ? "-" : "";
  out += whole;
  if (!frac.empty()) out += "." + frac;
  return out;
}

double to_double_rounded(Rational value, int places) {
  return std::stod(format_decimal(value, places));
}

}  // namespace rb
