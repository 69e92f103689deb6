/// @file known_answers.hpp
/// @brief Published histograms from tests/data/omega_histograms.json, as Histogram or as the
/// seed's dictionary text, for end-to-end tests.
#pragma once

#include <fstream>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "numfactors/histogram.hpp"

namespace numfactors::test {

/// The published omega histogram of [lo, hi]; throws if the file has no such case.
inline Histogram known_histogram(u64 lo, u64 hi) {
  std::ifstream in(std::string(NUMFACTORS_TEST_DATA) + "/omega_histograms.json");
  const auto data = nlohmann::json::parse(in);
  for (const auto& c : data.at("cases"))
    if (c.at("lo").get<u64>() == lo && c.at("hi").get<u64>() == hi &&
        c.at("count").get<std::string>() == "distinct") {
      Histogram h;
      for (const auto& [k, n] : c.at("histogram").items())
        h.add(static_cast<unsigned>(std::stoul(k)), n.get<u64>());
      return h;
    }
  throw std::runtime_error("no known histogram for [" + std::to_string(lo) + ", " +
                           std::to_string(hi) + "]");
}

/// "{1: 41724, 2: 150785, ...}\n", written here from the file rather than by the code under test.
inline std::string known_dict_line(u64 lo, u64 hi) {
  const Histogram h = known_histogram(lo, hi);
  std::string s = "{";
  for (unsigned k = 0; k <= Histogram::kMaxKey; ++k)
    if (h[k] != 0) s += (s.size() > 1 ? ", " : "") + std::to_string(k) + ": " + std::to_string(h[k]);
  return s + "}\n";
}

}  // namespace numfactors::test
