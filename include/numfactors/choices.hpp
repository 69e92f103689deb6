/// @file choices.hpp
/// @brief The choices a caller makes, each an enum with one table of names: the command line
/// parses them, --help lists them, JSON reports and the Python module print them, all from the
/// same table.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

namespace numfactors {

/// What is counted for each n: omega(n), its distinct prime factors (the default), or Omega(n),
/// its prime factors with multiplicity. omega(1) = Omega(1) = 0.
enum class Count { distinct, total };

/// sieve: every number of the range is visited. analytic: prefixes [1, N] are counted from prime
/// count tables without visiting their numbers. automatic: the planner picks the cheaper.
enum class Method { sieve, analytic, automatic };

/// The sieve method's kernels. sieve: a segmented sieve over every number; wheel: the same over
/// the numbers coprime to 6, for ranges near 1; trial: trial division, the reference; factor:
/// each number factored on its own (BPSW, rho, ECM), for a few numbers far from 1; hybrid: the
/// primes up to a bound sieved out, the cofactors factored, for middle widths far from 1;
/// automatic: for each chunk the cheapest of factor, hybrid and sieve by the cost model.
enum class KernelKind { sieve, trial, wheel, factor, hybrid, automatic };

/// Where the work runs: the calling thread, threads, forked worker processes, or MPI ranks.
enum class Mode { serial, threads, pool, mpi };

/// How MPI ranks share the work. static_cyclic: dealt out once, back and forth like cards; no
/// messages while computing. dynamic: handed out on request, which absorbs uneven ranks.
enum class Schedule { static_cyclic, dynamic };

/// How a result is written: the seed's Python dict, one JSON object, a table for people, or CSV.
enum class Format { dict, json, table, csv };

/// One name of an enum's value.
template <class E>
struct Choice {
  E value;
  std::string_view name;
};

/// Every value of E with its name, in the order they are listed to users.
template <class E>
std::span<const Choice<E>> choices();

template <>
std::span<const Choice<Count>> choices<Count>();
template <>
std::span<const Choice<Method>> choices<Method>();
template <>
std::span<const Choice<KernelKind>> choices<KernelKind>();
template <>
std::span<const Choice<Mode>> choices<Mode>();
template <>
std::span<const Choice<Schedule>> choices<Schedule>();
template <>
std::span<const Choice<Format>> choices<Format>();

/// The name of `value` ("distinct", "auto", "static", ...).
template <class E>
  requires std::is_enum_v<E>
std::string to_string(E value) {
  for (const Choice<E>& c : choices<E>())
    if (c.value == value) return std::string(c.name);
  return "?";
}

/// The value named `name`, or nothing.
template <class E>
std::optional<E> parse_choice(std::string_view name) {
  for (const Choice<E>& c : choices<E>())
    if (c.name == name) return c.value;
  return std::nullopt;
}

/// The names of E's values, separated by ", " ("serial, threads, pool, mpi").
template <class E>
std::string choice_list() {
  std::string list;
  for (const Choice<E>& c : choices<E>()) list += (list.empty() ? "" : ", ") + std::string(c.name);
  return list;
}

}  // namespace numfactors
