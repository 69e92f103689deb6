/// @file merge.hpp
/// @brief `numfactors merge FILE...`: the JSON results of adjacent parts of a range (a job
/// array's tasks, --part I/N) added up into the whole range's histogram.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace numfactors {

/// `args` after "merge". Reads each FILE (numfactors --format json output), refuses parts that
/// overlap, leave a gap (unless --allow-gaps) or count differently (omega / Omega), each with one
/// line and status 2, and writes the merged report (--format, default dict; --output FILE).
int run_merge(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

/// The text of `numfactors merge --help`.
std::string merge_help_text();

}  // namespace numfactors
