/// @file app.hpp
/// @brief The program without its process: argv in, text on two streams and an exit status out.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "cli/error_words.hpp"
#include "cli/options.hpp"
#include "numfactors/mpi.hpp"

namespace numfactors {

/// Refuses (UsageError) --checkpoint, --timeline and --output files that are not regular files,
/// or the same file: before any work, so nothing is half-written. An --output of `-` or of the
/// file that is stdout (/dev/stdout) becomes stdout; one that is stderr is refused.
void check_files(Options& o);

/// The planner's job for a command line in `env` (current_environment(), or for MPI mode
/// share_machine_memory's with the job's ranks), with the facts of an existing --checkpoint file.
Job plan_for(const Options& o, Environment env);

/// Parses `args` (without the program name), plans, runs, writes the report to `out` in one
/// piece and every diagnostic to `err` as one line "numfactors: error: ...". Never throws.
int run_app(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

/// True when `args` ask for an MPI run (i, --mode mpi) or give no mode while an MPI launcher
/// started more than one rank.
bool mpi_wanted(const std::vector<std::string>& args);

/// run_app for one rank of an MPI job; collective, every rank calls it with the same `args`.
/// Rank 0 parses and plans and the others follow its decision: bad input is reported once, by
/// rank 0, and every rank returns 2. Only rank 0 writes the report. A rank that fails while
/// running writes its error and aborts the whole job (MPI_Abort), so no rank waits forever.
int run_mpi_app(MpiSession& mpi, const std::vector<std::string>& args, std::ostream& out,
                std::ostream& err);

}  // namespace numfactors
