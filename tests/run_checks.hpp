/// @file run_checks.hpp
/// @brief What the executor suites (pool, MPI) check of a run: its histogram against the same
/// plan counted one chunk after another, and that every chunk was counted exactly once.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <vector>

#include "exec/executor.hpp"

namespace numfactors::test {

/// The chunks of `plan` run as options.mode says, with the plan's own kernel.
inline RunResult run_plan(const Plan& plan, const RunOptions& options) {
  ChunkTasks tasks(plan);
  return run_tasks(tasks, options);
}

/// The same with clones of `prototype` (tests reuse one kernel, whose sieving primes can take
/// seconds to make, across many runs).
inline RunResult run_plan(const Plan& plan, const RunOptions& options, const Kernel& prototype) {
  ChunkTasks tasks(plan, prototype.clone());
  return run_tasks(tasks, options);
}

/// The plan counted by one worker, one chunk after another: the reference for other executors.
inline Histogram serial_histogram(const Plan& plan, const Kernel& prototype) {
  RunOptions serial;
  serial.mode = Mode::serial;
  return run_plan(plan, serial, prototype).histogram;
}

/// Every chunk counted once by some worker, in the statistics and in the timeline; `also` is
/// called for each chunk's event whose worker exists (the caller's own checks of it).
inline void expect_every_chunk_once(const Plan& plan, const RunResult& r,
                                    const std::function<void(const ChunkEvent&)>& also = {}) {
  u64 chunks = 0, numbers = 0;
  for (const WorkerStats& w : r.workers) {
    chunks += w.chunks;
    numbers += w.numbers;
  }
  EXPECT_EQ(chunks, plan.chunk_count());
  EXPECT_EQ(numbers, plan.range.size());
  std::vector<ChunkEvent> events = r.timeline;
  ASSERT_EQ(events.size(), plan.chunk_count());
  std::sort(events.begin(), events.end(),
            [](const ChunkEvent& a, const ChunkEvent& b) { return a.chunk < b.chunk; });
  for (u64 i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].chunk, i);
    EXPECT_EQ(events[i].range, plan.chunk(i));
    EXPECT_LE(events[i].start, events[i].end);
    ASSERT_LT(events[i].worker, r.workers.size());
    if (also) also(events[i]);
  }
}

}  // namespace numfactors::test
