/// @file app.hpp
/// @brief The program without its process: argv in, text on two streams and an exit status out.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace nf {

enum ExitStatus { kExitOk = 0, kExitFailure = 1, kExitUsage = 2 };

/// Parses `args` (without the program name), runs, writes the report to `out` in one piece and
/// every diagnostic to `err` as one line "numfactors: error: ...". Never throws.
int run_app(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace nf
