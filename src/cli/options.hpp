/// @file options.hpp
/// @brief The command line, parsed into a plain struct. Parsing never exits: it returns or throws
/// UsageError, so every rule is unit-tested.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/kernel.hpp"
#include "numfactors/histogram.hpp"
#include "exec/analytic_run.hpp"
#include "exec/executor.hpp"

namespace numfactors {

struct Options {
  Range range{2, 500000};  // the seed assignment's job
  Mode mode = Mode::threads;
  bool mode_given = false;  // false: the default, threads (or MPI under mpiexec with > 1 rank)
  unsigned workers = 0;     // 0: one per available core
  u64 chunk = 0;            // 0: default_chunk_size
  KernelKind kernel = KernelKind::sieve;
  bool kernel_given = false;
  Method method = Method::automatic;  // resolve_method settles auto
  Count count = Count::distinct;
  Format format = Format::dict;
  unsigned threads = 0;     // per MPI rank; 0: SLURM_CPUS_PER_TASK under Slurm, else 1
  Schedule schedule = Schedule::static_cyclic;  // MPI mode
  bool schedule_given = false;
  std::string timeline;     // --timeline FILE; empty: none
  std::string checkpoint;   // --checkpoint FILE; empty: none
  /// The header line of an existing --checkpoint FILE, read once by parse_options: a resumed run
  /// takes its kernel, method and chunk size from it unless the options say otherwise.
  std::optional<std::string> checkpoint_header;
  std::optional<bool> progress;  // --progress / --no-progress; nothing: on when stderr is a terminal
  bool help = false;
  bool version = false;
};

/// Largest --workers accepted; more threads or processes than this is surely a typo.
constexpr unsigned kMaxWorkers = 4096;

/// `args` excludes the program name. Throws UsageError with a one-line message.
Options parse_options(const std::vector<std::string>& args);

/// Throws UsageError when an option does not apply to o.mode (--threads or --schedule outside MPI
/// mode, --workers in it). parse_options checks this when the mode is given; a caller that settles
/// the mode later (MPI under mpiexec, threads otherwise) checks again once it has.
void check_mode_options(const Options& o);

/// Throws UsageError when an option of the sieve method (--kernel trial, --chunk, --checkpoint)
/// is given with --method analytic. parse_options checks this.
void check_method_options(const Options& o);

/// The method to run: o.method unless it is auto, which takes the sieve when an option of the
/// sieve (--kernel, --chunk) is given, the method named in an existing --checkpoint file (a
/// resumed run goes on as it started), and otherwise the analytic method when
/// analytic_is_cheaper(o.range). Throws UsageError when the analytic method is chosen explicitly
/// and its tables do not fit (check_analytic_fits).
Method resolve_method(const Options& o);

/// The mode `args` ask for, read without validating anything else: main needs it before deciding
/// whether to start MPI, even when the rest of the command line is wrong. Nothing when no mode is
/// given (or the mode given is not a known one: parse_options then says what is wrong).
std::optional<Mode> requested_mode(const std::vector<std::string>& args);

}  // namespace numfactors
