/// @file options.hpp
/// @brief The command line, parsed into a plain struct. Parsing never exits: it returns or throws
/// UsageError, so every rule is unit-tested.
#pragma once

#include <string>
#include <vector>

#include "core/kernel.hpp"
#include "core/range.hpp"
#include "exec/executor.hpp"

namespace nf {

enum class Format { dict, json, table, csv };

std::string to_string(Format f);

struct Options {
  Range range{2, 500000};  // the seed assignment's job
  Mode mode = Mode::threads;
  bool mode_given = false;  // false: the default, threads (or MPI under mpiexec with > 1 rank)
  unsigned workers = 0;     // 0: one per available core
  u64 chunk = 0;            // 0: default_chunk_size
  KernelKind kernel = KernelKind::sieve;
  Count count = Count::distinct;
  Format format = Format::dict;
  bool help = false;
  bool version = false;
};

/// Largest --workers accepted; more threads or processes than this is surely a typo.
constexpr unsigned kMaxWorkers = 4096;

/// `args` excludes the program name. Throws UsageError with a one-line message.
Options parse_options(const std::vector<std::string>& args);

}  // namespace nf
