/// @file suggest.hpp
/// @brief "did you mean ...?" for a mistyped option or choice.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "cli/usage_error.hpp"
#include "exec/quoted.hpp"
#include "numfactors/choices.hpp"

namespace numfactors {

/// The candidate closest to `typed`, ignoring case: at most 2 edits away, or starting with it
/// (thr: threads), or an option that it extends by a word (--output-file: --output); a short
/// option's letter names the one long option it begins (-v: --version). "" when none is close.
std::string closest(std::string_view typed, const std::vector<std::string>& candidates);

/// " (did you mean 'x'?)" or "".
std::string did_you_mean(std::string_view typed, const std::vector<std::string>& candidates);

/// The value of E named `value`, or a UsageError that lists the names and suggests the closest.
template <class E>
E choose(const std::string& what, const std::string& value) {
  if (const std::optional<E> e = parse_choice<E>(value)) return *e;
  std::vector<std::string> names;
  for (const Choice<E>& c : choices<E>()) names.emplace_back(c.name);
  throw UsageError("unknown " + what + " " + quote_arg(value) + did_you_mean(value, names) +
                   "; choose one of " + choice_list<E>());
}

}  // namespace numfactors
