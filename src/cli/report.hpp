/// @file report.hpp
/// @brief The result as text: dict (the seed's Python dictionary), json, table or csv.
#pragma once

#include <string>

#include "cli/options.hpp"
#include "exec/result.hpp"

namespace numfactors {

/// What a report describes besides the result itself.
struct RunInfo {
  Range range;
  Count count = Count::distinct;
  KernelKind kernel = KernelKind::sieve;
  Mode mode = Mode::threads;
  unsigned workers = 1;
  Method method = Method::sieve;  // the one that ran (auto resolved)
};

/// The whole report, ending in a newline; only bins with a non-zero count appear, keys ascending.
std::string format_report(Format format, const RunInfo& info, const RunResult& result);

/// `{1: 7, 2: 2}`: the seed assignment's print(dict).
std::string format_dict(const Histogram& h);

}  // namespace numfactors
