#include "rational.hpp"

#include <boost/multiprecision/cpp_int.hpp>
#include <deque>
#include <limits>
#include <mutex>

#include <fmt/format.h>

#include "messages.hpp"

namespace rb {

namespace {

using Wide = boost::multiprecision::cpp_rational;
using WideInt = boost::multiprecision::cpp_int;

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

// The wide fractions of this process. A deque keeps references stable as it grows; values
// are only added (a run makes few), so a Rational can name one by its number.
class WideStore {
 public:
  int64_t add(Wide v) {
    std::lock_guard lock(mutex_);
    values_.push_back(std::move(v));
    return static_cast<int64_t>(values_.size());
  }
  Wide get(int64_t number) {
    std::lock_guard lock(mutex_);
    if (number < 1 || static_cast<uint64_t>(number) > values_.size())
      throw ArithmeticOverflow(text(Msg::number_beyond_range));
    return values_[static_cast<size_t>(number - 1)];
  }

 private:
  std::mutex mutex_;
  std::deque<Wide> values_;
};

WideStore& store() {
  static WideStore s;
  return s;
}

Wide widen(Rational r) {
  if (r.den == 0) return store().get(r.num);
  return Wide(WideInt(r.num), WideInt(r.den));
}

// A wide result, narrowed to two 64-bit integers when it fits (cpp_rational keeps lowest
// terms and a positive denominator).
Rational narrow(const Wide& w) {
  const WideInt& n = boost::multiprecision::numerator(w);
  const WideInt& d = boost::multiprecision::denominator(w);
  static const WideInt lo(std::numeric_limits<int64_t>::min()), hi(std::numeric_limits<int64_t>::max());
  Rational r;
  if (n >= lo && n <= hi && d <= hi) {
    r.num = n.convert_to<int64_t>();
    r.den = d.convert_to<int64_t>();
  } else {
    r.num = store().add(w);
    r.den = 0;
  }
  return r;
}

bool either_wide(Rational a, Rational b) { return (a.den == 0) | (b.den == 0); }

}  // namespace

Rational Rational::make(__int128 n, __int128 d) {
  if (d == 0) throw ArithmeticOverflow(text(Msg::division_by_zero));
  if (d < 0) {
    if (n == std::numeric_limits<__int128>::min() || d == std::numeric_limits<__int128>::min()) [[unlikely]]
      return narrow(Wide(WideInt(n), WideInt(d)));
    n = -n;
    d = -d;
  }
  __int128 g = gcd128(n, d);
  if (g > 1) {
    n /= g;
    d /= g;
  }
  if (!fits(n) || !fits(d)) [[unlikely]]
    return narrow(Wide(WideInt(n), WideInt(d)));
  Rational r;
  r.num = static_cast<int64_t>(n);
  r.den = static_cast<int64_t>(d);
  return r;
}

bool Rational::is_integer() const {
  if (den == 0) return boost::multiprecision::denominator(widen(*this)) == 1;
  return den == 1;
}

int64_t Rational::floor() const {
  if (den == 0) {
    const Wide w = widen(*this);
    WideInt q = boost::multiprecision::numerator(w) / boost::multiprecision::denominator(w);  // toward zero
    if (w < 0 && Wide(q) != w) --q;
    static const WideInt lo(std::numeric_limits<int64_t>::min()), hi(std::numeric_limits<int64_t>::max());
    return q < lo ? std::numeric_limits<int64_t>::min() : q > hi ? std::numeric_limits<int64_t>::max() : q.convert_to<int64_t>();
  }
  int64_t q = num / den;
  if ((num % den != 0) && (num < 0)) --q;
  return q;
}

Rational operator+(Rational a, Rational b) {
  if (either_wide(a, b)) [[unlikely]]
    return narrow(widen(a) + widen(b));
  if (a.den == b.den) return Rational::make(static_cast<__int128>(a.num) + b.num, a.den);
  return Rational::make(static_cast<__int128>(a.num) * b.den + static_cast<__int128>(b.num) * a.den,
                        static_cast<__int128>(a.den) * b.den);
}

Rational operator-(Rational a) {
  if (a.den == 0) [[unlikely]]
    return narrow(-widen(a));
  return Rational::make(-static_cast<__int128>(a.num), a.den);
}

Rational operator-(Rational a, Rational b) { return a + (-b); }

Rational operator*(Rational a, Rational b) {
  if (either_wide(a, b)) [[unlikely]]
    return narrow(widen(a) * widen(b));
  return Rational::make(static_cast<__int128>(a.num) * b.num, static_cast<__int128>(a.den) * b.den);
}

Rational operator/(Rational a, Rational b) {
  if (b.is_zero()) throw ArithmeticOverflow(text(Msg::division_by_zero));
  if (either_wide(a, b)) [[unlikely]]
    return narrow(widen(a) / widen(b));
  return Rational::make(static_cast<__int128>(a.num) * b.den, static_cast<__int128>(a.den) * b.num);
}

int compare(Rational a, Rational b) {
  if (either_wide(a, b)) [[unlikely]] {
    const Wide l = widen(a), r = widen(b);
    return l < r ? -1 : l > r ? 1 : 0;
  }
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
template <class Int>
Int scaled_rounded(const Int& num, const Int& den, int places) {
  Int scale = 1;
  for (int i = 0; i < places; ++i) scale *= 10;
  Int n = num * scale;
  bool negative = n < 0;
  if (negative) n = -n;
  Int q = n / den, r = n % den;
  if (2 * r >= den) ++q;
  return negative ? Int(-q) : q;
}

std::string digits(__int128 v) { return std::to_string(static_cast<long long>(v)); }
std::string digits(const WideInt& v) { return v.str(); }

template <class Int>
std::string format_scaled(const Int& num, const Int& den, int places) {
  Int q = scaled_rounded(num, den, places);
  bool negative = q < 0;
  if (negative) q = -q;
  Int scale = 1;
  for (int i = 0; i < places; ++i) scale *= 10;
  std::string whole = digits(Int(q / scale));
  std::string frac;
  Int f = q % scale;
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

}  // namespace

std::string format_decimal(Rational value, int places) {
  if (value.is_wide()) {
    const Wide w = widen(value);
    return format_scaled<WideInt>(boost::multiprecision::numerator(w), boost::multiprecision::denominator(w), places);
  }
  return format_scaled<__int128>(value.num, value.den, places);
}

double to_double_rounded(Rational value, int places) {
  // The text format_decimal writes is q / 10^places for the rounded integer q, and reading
  // it back gives the double nearest to that. When q and 10^places are both exact doubles
  // (|q| <= 2^53, places <= 22), one division rounds exactly so: the same double without the
  // text (this is called for every number a run writes). 15 places at most keeps q within
  // the 128 bits format_decimal computes it in, as it does.
  static constexpr double powers[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
  if (!value.is_wide() && places >= 0 && places <= 15) {
    const __int128 q = scaled_rounded<__int128>(value.num, value.den, places);
    constexpr __int128 exact = __int128{1} << 53;
    if (q >= -exact && q <= exact) return static_cast<double>(static_cast<int64_t>(q)) / powers[places];
  }
  return std::stod(format_decimal(value, places));
}

Rational round_decimals(Rational v, int mode, int places) {
  Rational scale = 1;
  for (int i = 0; i < places; ++i) scale = scale * Rational(10);
  const Wide scaled = widen(v * scale);
  const WideInt& n = boost::multiprecision::numerator(scaled);
  const WideInt& d = boost::multiprecision::denominator(scaled);
  WideInt low = n / d;  // toward zero
  if (n < 0 && low * d != n) --low;
  WideInt q = low;
  if (low * d != n) {
    switch (mode) {
      case 0: {
        // Half away from zero: compare the fraction part with one half.
        const Wide frac = scaled - Wide(low);
        const Wide half(WideInt(1), WideInt(2));
        q = frac > half || (frac == half && v > Rational(0)) ? WideInt(low + 1) : low;
        break;
      }
      case 1: q = low + 1; break;
      default: q = low; break;
    }
  }
  return narrow(Wide(q) / widen(scale));
}

std::string fraction_text(Rational r) {
  if (r.is_wide()) return widen(r).str();
  return r.den == 1 ? fmt::format("{}", r.num) : fmt::format("{}/{}", r.num, r.den);
}

}  // namespace rb
