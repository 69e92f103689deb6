/// @file number.cpp
#include "cli/number.hpp"

#include <cctype>
#include <limits>
#include <string>

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

  [[noreturn]] void too_large() const { fail("is beyond 2^64-1 = 18446744073709551615"); }
  u128 checked(u128 v) const {
    if (v > kLimit) too_large();
    return v;
  }
  u128 times(u128 a, u128 b) const {
    if (b != 0 && a > kLimit / b) too_large();
    return a * b;
  }

  u128 digits() {
    if (pos >= text.size() || !std::isdigit(static_cast<unsigned char>(text[pos]))) {
      // "-5" is negative; "--help" (after --) is no number at all.
      if (pos + 1 < text.size() && text[pos] == '-' &&
          std::isdigit(static_cast<unsigned char>(text[pos + 1])))
        fail("is negative: a positive integer is needed");
      fail("is not a number: write digits such as 1000000, 1e6, 10^6 or 2^64-1");
    }
    u128 v = 0;
    while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos])))
      v = checked(times(v, 10) + static_cast<unsigned>(text[pos++] - '0'));
    return v;
  }

  u128 power(u128 base, u128 exponent) const {
    u128 v = 1;
    for (u128 i = 0; i < exponent; ++i) {
      v = times(v, base);
      if (v <= 1) break;  // 0^e and 1^e: stop early, exponent may be huge
    }
    return exponent == 0 ? 1 : v;
  }

  /// The exponent after '^': digits, never a sign (10^-3 is a fraction).
  u128 exponent() {
    if (at('-')) fail("is not an integer: the exponent is negative");
    if (at('+')) ++pos;
    return digits();
  }

  /// 10^k exactly, or 0 when it passes kLimit (a divisor no mantissa here reaches).
  static u128 ten_to(u128 k) {
    u128 v = 1;
    for (u128 i = 0; i < k; ++i)
      if ((v *= 10) > kLimit) return 0;
    return v;
  }

  u128 term() {
    u128 m = digits();
    if (at('^')) {
      ++pos;
      const u128 e = exponent();
      if (m == 0 && e == 0) fail("is undefined: 0^0");
      return power(m, e);
    }
    // digits ['.' [digits]] [('e' | 'E') ['+' | '-'] digits], taken when its value is an integer
    // (2.5e9, 1.50e1, 10.e0, 150e-1, 1e-0): m * 10^(e - f) for the f digits after the point.
    u128 f = 0;
    if (at('.')) {
      ++pos;
      const std::size_t start = pos;
      while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) ++pos;
      std::size_t end = pos;
      while (end > start && text[end - 1] == '0') --end;  // 1.50 is 1.5
      for (std::size_t i = start; i < end; ++i, ++f)
        m = checked(times(m, 10) + static_cast<unsigned>(text[i] - '0'));
    }
    u128 e = 0;
    bool negative = false;
    if (at('e') || at('E')) {
      ++pos;
      negative = at('-');
      if (at('-') || at('+')) ++pos;
      e = digits();
    }
    if (m == 0) return 0;  // 0e99 is 0, not an overflow
    if (!negative && e >= f) return times(m, power(10, e - f));
    const u128 divisor = ten_to(negative ? e + f : f - e);
    if (divisor == 0 || m % divisor != 0)
      fail(negative ? "is not an integer: the exponent is negative" : "is not an integer");
    return m / divisor;
  }

  u64 expression() {
    if (text.empty()) fail("is empty: a positive integer is needed");
    u128 v = term();
    while (at('+') || at('-')) {
      const bool minus = text[pos++] == '-';
      const u128 t = term();
      if (minus && t > v) fail("is negative: a positive integer is needed");
      v = minus ? v - t : checked(v + t);
    }
    if (pos < text.size()) {
      const char c = text[pos];
      if (c == '.') fail("is not an integer");  // 1e6.0
      if (c == ',' || c == '_' || c == '\'' || c == ' ')
        fail("has a separator: write digits only, such as 12000 or 12e3");
      fail("is not a number: write digits such as 1000000, 1e6, 10^6 or 2^64-1");
    }
    if (v > kMax) too_large();
    return static_cast<u64>(v);
  }
};

}  // namespace

u64 parse_number(std::string_view text) { return Parser{text}.expression(); }

std::string quote_arg(std::string_view text) {
  constexpr std::size_t kHead = 24, kTail = 8;
  // Appended piece by piece: GCC 12 warns wrongly (-Wrestrict) about "'" + std::string(...).
  std::string out = "'";
  if (text.size() <= kHead + kTail + 16) {
    out.append(text);
    return out.append("'");
  }
  out.append(text.substr(0, kHead)).append("...").append(text.substr(text.size() - kTail));
  return out.append("' (").append(std::to_string(text.size())).append(" characters)");
}

}  // namespace numfactors
