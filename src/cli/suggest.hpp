/// @file suggest.hpp
/// @brief "did you mean ...?" for a mistyped option or choice.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace numfactors {

/// The candidate closest to `typed` (edit distance at most 2, or a candidate that starts with it),
/// or "" when none is close.
std::string closest(std::string_view typed, const std::vector<std::string>& candidates);

/// " (did you mean 'x'?)" or "".
std::string did_you_mean(std::string_view typed, const std::vector<std::string>& candidates);

}  // namespace numfactors
