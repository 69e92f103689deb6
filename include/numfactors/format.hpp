/// @file format.hpp
/// @brief A result as text, the same in every front end: the seed's Python dict, one JSON
/// object, a table for people, CSV; and the timeline as CSV.
#pragma once

#include <string>

#include "numfactors/choices.hpp"
#include "numfactors/job.hpp"
#include "numfactors/result.hpp"

namespace numfactors {

/// `{1: 7, 2: 2}`: the seed assignment's print(dict); keys ascending, only non-zero counts.
std::string format_dict(const Histogram& h);

/// The whole report of a run of `job`, ending in a newline; only bins with a non-zero count
/// appear, keys ascending. json: {"min", "max", "count", "method", "kernel" (null for the
/// analytic method), "chunk_kernels" (the kernels the chunks may take: [] for the analytic
/// method), "mode", "workers", "seconds", "cpu_seconds", "histogram": {"k": n},
/// "worker_stats": [{"name", "chunks", "numbers", "busy_seconds"}]}, exact integers.
std::string format_report(Format format, const Job& job, const RunResult& result);

/// Seconds as the JSON report gives them: to the microsecond, so that a time prints as 0.000214,
/// not 0.00021399999999999978.
double json_seconds(double seconds);

/// "worker,start,end,lo,hi" and a row per task: the worker's name as in worker_stats, start and
/// end in seconds since the run started (microseconds), and the task's range (ChunkEvent). Rows
/// go worker by worker in the order of result.workers, each worker's tasks by start time.
std::string format_timeline_csv(const RunResult& result);

}  // namespace numfactors
