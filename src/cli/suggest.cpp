/// @file suggest.cpp
#include "cli/suggest.hpp"

#include <algorithm>
#include <cctype>
#include <numeric>

namespace numfactors {
namespace {

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  std::iota(row.begin(), row.end(), 0);
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

std::string closest(std::string_view typed, const std::vector<std::string>& candidates) {
  std::string lower(typed);
  for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  // A short option "-v" stands for the one long option of its letter (--version), if one
  // (-m: --min, --max, --mode and --method, none); "-n" is no --no-... switch.
  if (lower.size() == 2 && lower[0] == '-' && lower[1] != '-') {
    const std::string prefix = "--" + lower.substr(1);
    std::string only;
    for (const std::string& c : candidates)
      if (c.starts_with(prefix)) only = only.empty() ? c : "-";
    return only == "-" || only.starts_with("--no-") ? "" : only;
  }
  // Whether `rest` (what follows a candidate in what was typed) is part of another candidate:
  // --max-workers means --workers as much as --max.
  const auto names_another = [&](std::string_view rest) {
    return std::any_of(candidates.begin(), candidates.end(),
                       [&](const std::string& c) { return c.find(rest) != std::string::npos; });
  };
  std::string best;
  std::size_t best_distance = 3;  // farther than 2 edits is no suggestion
  for (const std::string& c : candidates) {
    std::size_t d = edit_distance(lower, c);
    if (typed.size() >= 2 && c.starts_with(lower)) d = std::min<std::size_t>(d, 1);
    // An option with a word after it: --output-file for --output.
    if (c.starts_with("--") && lower.starts_with(c + "-") &&
        !names_another(lower.substr(c.size() + 1)))
      d = std::min<std::size_t>(d, 2);
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  return best;
}

std::string did_you_mean(std::string_view typed, const std::vector<std::string>& candidates) {
  const std::string c = closest(typed, candidates);
  return c.empty() ? "" : " (did you mean '" + c + "'?)";
}

}  // namespace numfactors
