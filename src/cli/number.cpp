/// @file number.cpp
#include "cli/number.hpp"

#include <algorithm>
#include <cctype>
#include <limits>
#include <string>

#include "exec/quoted.hpp"

namespace numfactors {
namespace {

__extension__ typedef unsigned __int128 u128;  // GCC/Clang builtin; -pedantic wants the marker
constexpr u128 kMax = std::numeric_limits<u64>::max();
// Intermediate values may pass 2^64 (2^64-1 is written that way) but stay below 2^120, so sums
// and differences of two of them are exact in 128 bits; only the final value must fit 64 bits.
constexpr u128 kLimit = u128{1} << 120;

struct Parser {
  std::string_view text;
  std::size_t pos = 0;

  [[noreturn]] void fail(const std::string& why) const {
    throw UsageError(quote_arg(text) + " " + why);
  }
  bool at(char c) const { return pos < text.size() && text[pos] == c; }

  /// Whether the text is a sum of terms: a '+' or '-' that is not an exponent's sign.
  bool has_terms() const {
    for (std::size_t i = 1; i < text.size(); ++i)
      if ((text[i] == '+' || text[i] == '-') && text[i - 1] != '^' && text[i - 1] != 'e' &&
          text[i - 1] != 'E')
        return true;
    return false;
  }

  [[noreturn]] void too_large() const { fail("is beyond 2^64-1 = 18446744073709551615"); }
  /// A term past 2^120: in a sum it might still cancel out (2^121-2^121+5), which is not worked
  /// out, so the message says what the limit is rather than that the value passes 2^64-1.
  [[noreturn]] void term_too_large() const {
    if (has_terms()) fail("has a term beyond 2^120: terms and partial sums must stay below it");
    too_large();
  }
  u128 checked(u128 v) const {
    if (v > kLimit) term_too_large();
    return v;
  }
  u128 times(u128 a, u128 b) const {
    if (b != 0 && a > kLimit / b) term_too_large();
    return a * b;
  }

  bool digit_at(std::size_t i) const {
    return i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]));
  }

  /// The run of digits at pos (at least one), as text.
  std::string_view digit_run() {
    if (!digit_at(pos)) {
      // "-5" is negative; "--help" (after --) is no number at all.
      if (pos == 0 && at('-') && digit_at(pos + 1))
        fail("is negative: a positive integer is needed");
      fail("is not a number: write digits such as 1000000, 1e6, 10^6 or 2^64-1");
    }
    const std::size_t start = pos;
    while (digit_at(pos)) ++pos;
    return text.substr(start, pos - start);
  }

  u128 value_of(std::string_view run) const {
    u128 v = 0;
    for (const char c : run) v = checked(times(v, 10) + static_cast<unsigned>(c - '0'));
    return v;
  }

  u128 digits() { return value_of(digit_run()); }

  u128 power(u128 base, u128 exponent) const {
    u128 v = 1;
    for (u128 i = 0; i < exponent; ++i) {
      v = times(v, base);
      if (v <= 1) break;  // 0^e and 1^e: stop early, exponent may be huge
    }
    return exponent == 0 ? 1 : v;
  }

  /// The exponent after '^': digits with an optional sign; a negative one makes a fraction
  /// (10^-3), but for -0 (10^-0 is 1, as 1e-0 is).
  u128 exponent() {
    const bool negative = at('-');
    if (at('-') || at('+')) ++pos;
    const u128 e = digits();
    if (negative && e != 0) fail("is not an integer: the exponent is negative");
    return e;
  }

  u128 term() {
    const std::string_view whole = digit_run();
    if (at('^')) {
      const u128 base = value_of(whole);
      ++pos;
      const u128 e = exponent();
      if (base == 0 && e == 0) fail("is undefined: 0^0");
      return power(base, e);
    }
    // digits ['.' [digits]] [('e' | 'E') ['+' | '-'] digits], taken when its value is an integer
    // (2.5e9, 1.50e1, 10.e0, 150e-1, 1e-0). Its significant digits S, without the zeros at
    // either end, times 10^k: an integer exactly when k >= 0, as S does not end in 0.
    std::string_view fraction;
    if (at('.')) {
      ++pos;
      const std::size_t start = pos;
      while (digit_at(pos)) ++pos;
      fraction = text.substr(start, pos - start);
    }
    bool negative = false;
    u128 e = 0;  // held at kLimit: beyond it only its sign matters
    if (at('e') || at('E')) {
      ++pos;
      negative = at('-');
      if (at('-') || at('+')) ++pos;
      for (const char c : digit_run())
        e = std::min(e * 10 + static_cast<unsigned>(c - '0'), kLimit);
    }
    std::string significant = std::string(whole) + std::string(fraction);
    const std::size_t first = significant.find_first_not_of('0');
    if (first == std::string::npos) return 0;  // 0e99 is 0, not an overflow
    const std::size_t last = significant.find_last_not_of('0');
    __extension__ typedef __int128 i128;
    const i128 k = (negative ? -static_cast<i128>(e) : static_cast<i128>(e)) -
                   static_cast<i128>(fraction.size()) +
                   static_cast<i128>(significant.size() - 1 - last);
    if (k < 0)
      fail(negative && e != 0 ? "is not an integer: the exponent is negative"
                              : "is not an integer");
    return times(value_of(std::string_view(significant).substr(first, last + 1 - first)),
                 power(10, static_cast<u128>(k)));
  }

  u64 expression() {
    if (text.empty()) fail("is empty: a positive integer is needed");
    // Signed and exact: only the final value must lie in [0, 2^64-1] (2^64-1-2^64+2 is 1).
    __extension__ typedef __int128 i128;
    constexpr auto kBound = static_cast<i128>(kLimit);
    i128 v = static_cast<i128>(term());
    while (at('+') || at('-')) {
      const bool minus = text[pos++] == '-';
      const auto t = static_cast<i128>(term());
      v = minus ? v - t : v + t;  // |v|, t <= 2^120: no overflow
      if (v > kBound || v < -kBound) fail("has a partial sum beyond 2^120 either way");
    }
    if (pos < text.size()) {
      const char c = text[pos];
      if (c == '.') fail("is not an integer");  // 1e6.0
      if (c == ',' || c == '_' || c == '\'' || c == ' ')
        fail("has a separator: write digits only, such as 12000 or 12e3");
      fail("is not a number: write digits such as 1000000, 1e6, 10^6 or 2^64-1");
    }
    if (v < 0) fail("is negative: a positive integer is needed");
    if (static_cast<u128>(v) > kMax) too_large();
    return static_cast<u64>(v);
  }
};

}  // namespace

u64 parse_number(std::string_view text) { return Parser{text}.expression(); }

}  // namespace numfactors
