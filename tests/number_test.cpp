/// @file number_test.cpp
/// @brief The number grammar of range bounds (1000000, 1e6, 10^6, 2^64-1, 10^12+39): exact values,
/// and a UsageError that names the problem for everything else. Random cases are checked against
/// 128-bit arithmetic done here.
#include <gtest/gtest.h>

#include <limits>
#include <optional>
#include <random>
#include <string>

#include "cli/number.hpp"
#include "exec/quoted.hpp"
#include "seed.hpp"

namespace numfactors {
namespace {

__extension__ typedef unsigned __int128 u128;  // GCC/Clang builtin; -pedantic wants the marker
constexpr u64 kTop = std::numeric_limits<u64>::max();

/// The message of the UsageError that parse_number(text) throws, or a failure if none is thrown.
std::string error_of(const std::string& text) {
  try {
    const u64 v = parse_number(text);
    ADD_FAILURE() << "'" << text << "' parsed as " << v << " instead of failing";
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

void expect_error(const std::string& text, const std::string& problem) {
  const std::string message = error_of(text);
  EXPECT_NE(message.find(problem), std::string::npos)
      << "'" << text << "': message '" << message << "' does not say '" << problem << "'";
  EXPECT_NE(message.find("'" + text + "'"), std::string::npos)
      << "'" << text << "': message '" << message << "' does not quote the input";
}

TEST(ParseNumber, PlainDecimal) {
  EXPECT_EQ(parse_number("0"), 0u);
  EXPECT_EQ(parse_number("1"), 1u);
  EXPECT_EQ(parse_number("1000000"), 1000000u);
  EXPECT_EQ(parse_number("000123"), 123u);
  EXPECT_EQ(parse_number("18446744073709551615"), kTop);
  EXPECT_EQ(parse_number("18446744073709551614"), kTop - 1);
}

TEST(ParseNumber, ScientificAndPowers) {
  EXPECT_EQ(parse_number("1e6"), 1000000u);
  EXPECT_EQ(parse_number("1E6"), 1000000u);
  EXPECT_EQ(parse_number("5e0"), 5u);
  EXPECT_EQ(parse_number("25e17"), 2500000000000000000u);
  EXPECT_EQ(parse_number("1e19"), 10000000000000000000u);
  EXPECT_EQ(parse_number("10^6"), 1000000u);
  EXPECT_EQ(parse_number("2^10"), 1024u);
  EXPECT_EQ(parse_number("2^63"), u64{1} << 63);
  EXPECT_EQ(parse_number("7^0"), 1u);
  EXPECT_EQ(parse_number("3^40"), 12157665459056928801u);  // 3^40 < 2^64 < 3^41
}

TEST(ParseNumber, SumsAndDifferences) {
  EXPECT_EQ(parse_number("2^64-1"), kTop);
  EXPECT_EQ(parse_number("2^64-2"), kTop - 1);
  EXPECT_EQ(parse_number("10^12+39"), 1000000000039u);
  EXPECT_EQ(parse_number("2^64-10^6"), kTop - 999999);
  EXPECT_EQ(parse_number("1+2+3-4"), 2u);
  EXPECT_EQ(parse_number("5-5"), 0u);
  EXPECT_EQ(parse_number("2^100-2^100+7"), 7u);  // intermediates beyond 2^64 are exact
  // and below 0: only the final value must be in [0, 2^64-1]
  EXPECT_EQ(parse_number("2^64-1-2^64+2"), 1u);
  EXPECT_EQ(parse_number("0-5+6"), 1u);
  expect_error("5-10", "is negative");
  expect_error("1-2^100+2^100-2", "is negative");
  expect_error("2^120+1-2^120", "has a partial sum beyond 2^120");
  // A term beyond 2^120 is not worked out, even where the sum would fit: said as such, not as
  // a value beyond 2^64-1 (which 5 is not).
  expect_error("2^121-2^121+5", "has a term beyond 2^120");
  expect_error("5+2^121-2^121", "has a term beyond 2^120");
  expect_error("1e37-1e37+5", "has a term beyond 2^120");
  expect_error("2^121", "beyond 2^64-1");
  expect_error("1e-0+2^121", "has a term beyond 2^120");
  EXPECT_EQ(parse_number("2^120-2^120+1"), 1u);
  // A zero exponent with a sign is 10^0, as 1e-0 is.
  EXPECT_EQ(parse_number("10^-0"), 1u);
  EXPECT_EQ(parse_number("10^+2"), 100u);
}

TEST(ParseNumber, HugeExponents) {
  // 0^e and 1^e stay small however large e is; the parser must not loop e times.
  EXPECT_EQ(parse_number("1^99999999999999999999"), 1u);
  EXPECT_EQ(parse_number("0^99999999999999999999"), 0u);
  EXPECT_EQ(parse_number("1^18446744073709551615"), 1u);
  expect_error("2^99999999999999999999", "beyond 2^64-1");
  expect_error("10^18446744073709551615", "beyond 2^64-1");
  expect_error("1e99999999999999999999", "beyond 2^64-1");
  expect_error("2^64", "beyond 2^64-1");
  expect_error("3^41", "beyond 2^64-1");
}

TEST(ParseNumber, ErrorsNameTheProblem) {
  expect_error("", "empty");
  expect_error("abc", "not a number");
  expect_error("-5", "negative");
  expect_error("1.5", "not an integer");
  expect_error("12,000", "separator");
  expect_error("12_000", "separator");
  expect_error("2^64", "beyond 2^64-1");
  expect_error("18446744073709551616", "beyond 2^64-1");
  expect_error("99999999999999999999999999999999999999999999", "beyond 2^64-1");
  expect_error("1e20", "beyond 2^64-1");
  expect_error("2^64-1+1", "beyond 2^64-1");
  expect_error("10^12-10^13", "negative");
  expect_error("0-1", "negative");
}

TEST(ParseNumber, MalformedExpressionsFail) {
  for (const char* text : {"1e", "e6", "^2", "2^", "1+", "+1", "10^6x", "0x10", " 5", "5 ", "1e6.0",
                           "2^3^2", "1--1", "5k"})
    EXPECT_FALSE(error_of(text).empty()) << "'" << text << "'";
}

TEST(ParseNumber, RandomDecimalsRoundTrip) {
  std::mt19937_64 rng(test::test_seed(101));
  for (int i = 0; i < 2000; ++i) {
    const u64 v = rng() >> (rng() % 64);
    EXPECT_EQ(parse_number(std::to_string(v)), v);
  }
}

/// base^exponent in 128 bits, or nothing if it passes 2^64-1.
std::optional<u64> exact_power(u64 base, unsigned exponent) {
  u128 v = 1;
  for (unsigned i = 0; i < exponent; ++i) {
    v *= base;
    if (v > kTop) return std::nullopt;
  }
  return static_cast<u64>(v);
}

TEST(ParseNumber, RandomPowersAndScientific) {
  std::mt19937_64 rng(test::test_seed(102));
  for (int i = 0; i < 2000; ++i) {
    const u64 base = rng() % 1000;
    const auto exponent = static_cast<unsigned>(rng() % 70);
    const std::string text = std::to_string(base) + "^" + std::to_string(exponent);
    if (const auto expected = exact_power(base, exponent))
      EXPECT_EQ(parse_number(text), *expected) << text;
    else
      expect_error(text, "beyond 2^64-1");

    const u64 mantissa = rng() % 100000;
    const auto decimals = static_cast<unsigned>(rng() % 25);
    const std::string sci = std::to_string(mantissa) + "e" + std::to_string(decimals);
    const auto scale = exact_power(10, decimals);
    if (scale && u128{mantissa} * *scale <= kTop)
      EXPECT_EQ(parse_number(sci), mantissa * *scale) << sci;
    else if (mantissa != 0)
      expect_error(sci, "beyond 2^64-1");
  }
}

TEST(ParseNumber, RandomSumsAndDifferences) {
  std::mt19937_64 rng(test::test_seed(103));
  for (int i = 0; i < 2000; ++i) {
    const u64 a = rng() >> (rng() % 64);
    const u64 b = rng() >> (rng() % 64);
    const std::string sa = std::to_string(a), sb = std::to_string(b);
    if (u128{a} + b <= kTop)
      EXPECT_EQ(parse_number(sa + "+" + sb), a + b) << sa << "+" << sb;
    else
      expect_error(sa + "+" + sb, "beyond 2^64-1");
    if (a >= b)
      EXPECT_EQ(parse_number(sa + "-" + sb), a - b) << sa << "-" << sb;
    else
      expect_error(sa + "-" + sb, "negative");
  }
}

}  // namespace
}  // namespace numfactors

namespace numfactors {
namespace {

std::string message_of(std::string_view text) {
  try {
    parse_number(text);
  } catch (const UsageError& e) {
    return e.what();
  }
  return "(accepted)";
}

TEST(ParseNumber, FractionsZeroesAndUndefinedPowersAreNamed) {
  // A negative exponent is a fraction, not a negative number.
  EXPECT_EQ(message_of("1e-5"), "'1e-5' is not an integer: the exponent is negative");
  EXPECT_EQ(message_of("10^-3"), "'10^-3' is not an integer: the exponent is negative");
  EXPECT_EQ(parse_number("1e+3"), 1000u);
  // A decimal is taken when its value is an integer, exactly.
  EXPECT_EQ(parse_number("1.5e3"), 1500u);
  EXPECT_EQ(parse_number("2.5e9"), 2'500'000'000u);
  EXPECT_EQ(parse_number("1.50e1"), 15u);
  EXPECT_EQ(parse_number("10.e0"), 10u);
  EXPECT_EQ(parse_number("2.0"), 2u);
  EXPECT_EQ(parse_number("1e-0"), 1u);
  EXPECT_EQ(parse_number("150e-1"), 15u);
  EXPECT_EQ(parse_number("1.8446744073709551615e19"), 18'446'744'073'709'551'615u);
  EXPECT_EQ(parse_number("1e15+1.5e3"), 1'000'000'000'001'500u);
  EXPECT_EQ(message_of("1.5"), "'1.5' is not an integer");
  EXPECT_EQ(message_of("1.25e1"), "'1.25e1' is not an integer");
  EXPECT_EQ(message_of("15e-2"), "'15e-2' is not an integer: the exponent is negative");
  EXPECT_EQ(message_of("1.8446744073709551616e19"),
            "'1.8446744073709551616e19' is beyond 2^64-1 = 18446744073709551615");
  EXPECT_EQ(message_of("1.0000000000000000000000000000000000000000001e50"),
            "'1.0000000000000000000000000000000000000000001e50' is beyond 2^64-1 = "
            "18446744073709551615");
  EXPECT_EQ(message_of("1.5^2"), "'1.5^2' is not an integer");
  // Zeros at either end of the digits are no part of the size: only the value is.
  EXPECT_EQ(parse_number("10000000000000000000000000000000000000000e-30"), 10'000'000'000u);
  EXPECT_EQ(parse_number("1668406000000000000000000000000000000000.0000000000000000e-33"),
            1'668'406u);
  EXPECT_EQ(message_of("1.5e-0"), "'1.5e-0' is not an integer");
  EXPECT_EQ(message_of("3.14159265358979323846264338327950288419716939937510"),
            "'3.1415926535897932384626...39937510' (52 characters) is not an integer");
  EXPECT_EQ(message_of("1e-99999999999999999999999999999999999999"),
            "'1e-99999999999999999999999999999999999999' is not an integer: the exponent is "
            "negative");
  // 0 times any power is 0 (the caller then says a bound must be at least 1), never too large.
  EXPECT_EQ(parse_number("0e99"), 0u);
  EXPECT_EQ(parse_number("0e18446744073709551615"), 0u);
  EXPECT_EQ(parse_number("0^5"), 0u);
  EXPECT_EQ(message_of("0^0"), "'0^0' is undefined: 0^0");
  EXPECT_EQ(parse_number("7^0"), 1u);
}

TEST(ParseNumber, ASignWhereATermShouldBeginIsNoNegativeNumber) {
  EXPECT_EQ(message_of("10^12--1"),
            "'10^12--1' is not a number: write digits such as 1000000, 1e6, 10^6 or 2^64-1");
  EXPECT_EQ(message_of("10^12+-1").find("negative"), std::string::npos);
  EXPECT_NE(message_of("-5").find("is negative"), std::string::npos);
}

TEST(ParseNumber, LongArgumentsAreEchoedShort) {
  const std::string digits(100'000, '9');
  const std::string m = message_of(digits);
  EXPECT_LT(m.size(), 200u) << m.size();
  EXPECT_NE(m.find("(100000 characters)"), std::string::npos) << m;
  EXPECT_NE(m.find("beyond 2^64-1"), std::string::npos) << m;
  EXPECT_EQ(quote_arg("12,000"), "'12,000'");
  // File names are kept whole longer: a real path's two ends are what tells it apart.
  const std::string path(256, 'p');
  EXPECT_EQ(quote_path(path), "'" + path + "'");
  const std::string longer = "/a" + std::string(300, 'p') + "/z";
  EXPECT_EQ(quote_path(longer),
            "'/a" + std::string(158, 'p') + "..." + std::string(78, 'p') + "/z' (304 characters)");
  // A cut inside a character moves to its start: each "é" is 2 bytes, "€" 3.
  std::string accents;
  for (int i = 0; i < 150; ++i) accents += "\xC3\xA9";
  const std::string shown = quote_path("/" + accents + "\xE2\x82\xAC" + std::string(79, 'q'));
  EXPECT_EQ(shown, "'/" + accents.substr(0, 158) + "..." + "\xE2\x82\xAC" + std::string(79, 'q') +
                       "' (383 characters)");
}

}  // namespace
}  // namespace numfactors
