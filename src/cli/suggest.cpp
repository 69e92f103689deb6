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
  // A short option "-v" stands for the one long option of its letter (--version), if one.
  if (lower.size() == 2 && lower[0] == '-' && lower[1] != '-') {
    const std::string prefix = "--" + lower.substr(1);
    std::string only;
    for (const std::string& c : candidates)
      if (c.starts_with(prefix)) only = only.empty() ? c : "-";
    return only == "-" ? "" : only;  // none, or ambiguous (-m: --min, --max, --mode, --method)
  }
  std::string best;
  std::size_t best_distance = 3;  // farther than 2 edits is no suggestion
  for (const std::string& c : candidates) {
    std::size_t d = lower == c ? 0 : edit_distance(typed, c);
    if (typed.size() >= 2 && c.starts_with(typed)) d = std::min<std::size_t>(d, 1);
    // A candidate with something after it (--output-file for --output).
    if (c.size() >= 5 && lower.starts_with(c)) d = std::min<std::size_t>(d, 2);
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
