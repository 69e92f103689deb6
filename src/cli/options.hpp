/// @file options.hpp
/// @brief The command line, parsed into a plain struct: a Request for the planner plus what only
/// the command line has (output format, files, progress). Parsing never exits and reads no
/// file: it returns or throws UsageError (or RangeError for a range it reads), so every rule is
/// unit-tested; what the choices mean is the planner's business.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cli/usage_error.hpp"
#include "numfactors/choices.hpp"
#include "numfactors/job.hpp"

namespace numfactors {

struct Options {
  /// What the command line chose; the seed assignment's job by default. request.mode is the one
  /// given, else threads (main runs MPI instead under a launcher of several ranks).
  Request request;
  bool mode_given = false;
  Format format = Format::dict;
  std::string output;      // --output FILE: the result there instead of stdout; empty: stdout
  std::string timeline;    // --timeline FILE; empty: none
  std::string checkpoint;  // --checkpoint FILE; empty: none
  std::optional<bool> progress;  // --progress / --no-progress; nothing: on when stderr is a terminal
  bool help = false;
  bool version = false;
};

/// Largest --workers and --threads accepted; more is surely a typo.
constexpr unsigned kMaxWorkers = 4096;

/// `args` excludes the program name. Throws UsageError with a one-line message.
Options parse_options(const std::vector<std::string>& args);

/// The mode `args` ask for, read without validating anything else: main needs it before deciding
/// whether to start MPI, even when the rest of the command line is wrong. Nothing when no mode is
/// given (or the mode given is not a known one: parse_options then says what is wrong).
std::optional<Mode> requested_mode(const std::vector<std::string>& args);

}  // namespace numfactors
