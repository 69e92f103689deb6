/// @file analytic_run.hpp
/// @brief `--method analytic` in every mode: the sublinear method of core/analytic.hpp run by the
/// same executors as the sieve, its walk's items taking the place of chunks.
///
/// How: for each prefix [1, N] the range needs (N = hi, and N = lo - 1 when lo > 1) the table is
/// built (threads: pieces handed out dynamically; MPI: the ranks of a machine build it together in
/// shared memory with their --threads, machines build halves and exchange them,
/// build_table_on_ranks), then the walk's items 0 .. K-1 become the chunks of a stand-in Plan over [1, K]
/// with one item a chunk, run by an item kernel. So the modes keep what they do for chunks:
/// threads and pool hand items out on request (a killed pool worker's item is run again), MPI
/// deals them out back and forth (items are sorted biggest first, so each rank gets big and small
/// ones alike) or on request (--schedule dynamic), and SIGINT/SIGTERM stop handing items out.
#pragma once

#include <functional>
#include <string>

#include "core/analytic.hpp"
#include "core/plan.hpp"
#include "exec/checkpoint.hpp"
#include "exec/executor.hpp"

namespace numfactors {

/// Throws UsageError, suggesting the sieve, when the analytic tables for r would not fit in
/// PrimeCountTable::kDefaultMaxBytes (every process holds a whole table).
void check_analytic_fits(const Range& r);

/// Receives the numbers counted since the last call (progress). A prefix [1, N] stands for N
/// numbers: half of them are reported as its table build goes on, half as its items finish.
using NumbersDone = std::function<void(u64 numbers)>;

/// A ParallelFor over `threads` threads (the caller and threads - 1 kept waiting between calls,
/// ended with the last copy of the function) taking pieces of about (end - begin) / (16 threads)
/// indices from an atomic counter; serial_for when threads <= 1. An exception in a piece is
/// rethrown after all threads stopped. Calls must not overlap.
ParallelFor threads_for(unsigned threads);

/// MPI mode's table build (mpi_analytic.cpp), collective: the ranks of one machine build one
/// table in memory they share, each with `parallel_for` (its threads); with several machines,
/// even machines build the odd-d half of the large keys and odd ones the even-d half, then
/// exchange them. max_group > 0 groups at most that many ranks of a machine together, as if
/// the others were elsewhere (tests of the exchange on one machine). Throws UsageError in a
/// build without MPI.
void build_table_on_ranks(PrimeCountTable& table, const ParallelFor& parallel_for,
                          const PrimeCountTable::Progress& progress, int max_group = 0);

/// The journal of an analytic run of r (--checkpoint): a header naming the method, and record
/// 2 i + j for item i of prefix j (0: [1, hi], 1: [1, lo - 1]). The items are cut from the
/// prefix alone (analytic_walk.hpp), so a resumed run, in any mode, cuts the same ones; what the
/// walk's item count is gets checked once the prefix's table is built.
JournalFormat analytic_journal(const Range& r, Count count);

/// Runs the analytic method on r for `count` as options.mode says (workers / threads as for the
/// sieve). options.skip must be null; options.on_chunk hears of each item (its index within its
/// prefix). With a `journal` (analytic_journal(r, count); MPI: rank 0's, with the dynamic
/// schedule) the items it holds are not run again but added from it, and each finished item is
/// recorded before it counts as done.
/// WorkerStats: chunks = items done, numbers = 0, busy_seconds = time inside items. In MPI mode
/// this is collective, like run_mpi, and rank 0 gets the whole result. Throws UsageError when the
/// tables do not fit. `item_scale`: numbers of progress an item's reported number stands for
/// (MPI's static schedule: rank 0 hears of its own items only, about 1/ranks of them).
RunResult run_analytic(const Range& r, Count count, const RunOptions& options,
                       const NumbersDone& progress = {}, u64 item_scale = 1,
                       Checkpoint* journal = nullptr);

}  // namespace numfactors
