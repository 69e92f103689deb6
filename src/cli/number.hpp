/// @file number.hpp
/// @brief Exact parsing of range bounds: 1000000, 1e6, 10^6, 2^64-1, 10^12+39.
#pragma once

#include <string>
#include <string_view>

#include "cli/usage_error.hpp"
#include "numfactors/histogram.hpp"

namespace numfactors {

/// Grammar: term (('+' | '-') term)*, term := digits '^' digits | digits ['.' [digits]]
/// [('e' | 'E') ['+' | '-'] digits] (2.5e9, 1e-0: a decimal whose value is an integer).
/// All arithmetic is exact in 128 bits; a result or intermediate beyond 2^64-1, a negative
/// value, a fraction or a separator is a UsageError that names the problem.
u64 parse_number(std::string_view text);

}  // namespace numfactors
