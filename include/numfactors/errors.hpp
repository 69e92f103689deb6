/// @file errors.hpp
/// @brief What the library throws. Messages say what is wrong in the library's terms; a front end
/// (the command line, the Python module) may word them in its own (flags, keyword arguments),
/// using the fields of the typed errors below.
///
/// Besides these, std::bad_alloc when memory runs out and std::system_error-like
/// std::runtime_error for a file or process the system refuses (checkpoint I/O, fork).
#pragma once

#include <stdexcept>
#include <string>

#include "numfactors/choices.hpp"
#include "numfactors/histogram.hpp"

namespace numfactors {

/// The base of every error the library throws on purpose.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The request cannot run as asked, and asking otherwise would fix it: a bad range, choices
/// that contradict each other, a method or kernel that cannot count the range, a checkpoint of
/// another run. (The command line exits with status 2 for these, 1 for other errors.)
class InvalidRequest : public Error {
 public:
  using Error::Error;
};

/// lo = 0, or lo > hi.
class RangeError : public InvalidRequest {
 public:
  RangeError(const std::string& message, const Range& range)
      : InvalidRequest(message), range(range) {}
  Range range;
};

/// Two choices of one request that cannot go together.
class ConflictError : public InvalidRequest {
 public:
  enum class Kind {
    kernel_with_analytic,   // a sieve kernel other than the default, with Method::analytic
    chunk_with_analytic,    // a chunk size, with Method::analytic (it cuts its own items)
    threads_outside_mpi,    // threads per rank, in a mode other than MPI
    schedule_outside_mpi,   // a schedule, in a mode other than MPI
    workers_in_mpi,         // a worker count, in MPI mode (ranks x threads per rank)
    workers_in_serial,      // more than one worker, in serial mode (which runs one)
  };
  ConflictError(const std::string& message, Kind kind, const std::string& value)
      : InvalidRequest(message), kind(kind), value(value) {}
  Kind kind;
  std::string value;  // the name of the choice in conflict: the kernel, or the mode
};

/// A kernel that cannot count this range: the wheel beyond 2^62-1, or far from 1 (it would sieve
/// all of [1, hi] / 3 for a narrow window).
class KernelRangeError : public InvalidRequest {
 public:
  KernelRangeError(const std::string& message, KernelKind kernel, const Range& range)
      : InvalidRequest(message), kernel(kernel), range(range) {}
  KernelKind kernel;
  Range range;
};

/// The analytic method's prime count table for [1, n] would need `bytes` (with what a process
/// needs beside it) against a limit of `limit` bytes (a process holds a whole table): the
/// library's budget for tables, or the memory the process may use (RLIMIT_AS, its cgroup),
/// which `limited_by` names.
class TableTooLarge : public InvalidRequest {
 public:
  TableTooLarge(const std::string& message, u64 n, u64 bytes, u64 limit, std::string limited_by)
      : InvalidRequest(message), n(n), bytes(bytes), limit(limit), limited_by(std::move(limited_by)) {}
  u64 n;
  u64 bytes;
  u64 limit;
  std::string limited_by;  // "the table budget", "ulimit -v (RLIMIT_AS)", its cgroup, the machine
};

/// The sieve's workers would need `bytes` in all, `worker_bytes` each (a segment and a pass's
/// buckets and hit lists, and against an address space limit its stack and its share of the
/// malloc arenas), against the `limit`
/// bytes that `limited_by` allows: the memory of a process (ulimit -v, its cgroup) for the
/// workers of one process, or this machine's available memory for all of them. `workers` is the
/// number asked for: of threads or processes, or an MPI rank's threads (`per_rank`), then in
/// each of the `ranks` that share the machine in `bytes` (1 unless the machine's memory or a
/// cgroup is the limit).
class TooManyWorkers : public InvalidRequest {
 public:
  TooManyWorkers(const std::string& message, unsigned workers, bool per_rank, u64 worker_bytes,
                 u64 bytes, u64 limit, std::string limited_by, unsigned ranks = 1)
      : InvalidRequest(message),
        workers(workers),
        per_rank(per_rank),
        ranks(ranks),
        worker_bytes(worker_bytes),
        bytes(bytes),
        limit(limit),
        limited_by(std::move(limited_by)) {}
  unsigned workers;
  bool per_rank;
  unsigned ranks;
  u64 worker_bytes;
  u64 bytes;
  u64 limit;
  std::string limited_by;  // "ulimit -v (RLIMIT_AS)", "its cgroup's memory limit", the machine
};

/// A checkpoint file that belongs to another run, is corrupt beyond a torn last record, or holds
/// a record this run could not have written.
class CheckpointError : public InvalidRequest {
 public:
  CheckpointError(const std::string& message, const std::string& path)
      : InvalidRequest(message), path(path) {}
  std::string path;
};

/// A part that this build or this process does not have: MPI mode in a build without MPI, or
/// before start_mpi().
class Unavailable : public Error {
 public:
  using Error::Error;
};

}  // namespace numfactors
