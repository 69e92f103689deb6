/// @file format.cpp
#include "numfactors/format.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/plan.hpp"

namespace numfactors {
namespace {

template <typename F>
void for_each_bin(const Histogram& h, F&& f) {
  for (unsigned k = 0; k <= Histogram::kMaxKey; ++k)
    if (h[k] != 0) f(k, h[k]);
}

std::string format_json(const Job& job, const RunResult& result) {
  nlohmann::ordered_json j;
  j["min"] = job.range.lo;
  j["max"] = job.range.hi;
  j["count"] = to_string(job.count);
  j["method"] = to_string(job.method);
  // The analytic method has no kernel: its worker_stats count items in "chunks", "numbers" 0.
  if (job.method == Method::analytic)
    j["kernel"] = nullptr;
  else
    j["kernel"] = to_string(job.kernel);
  // The kernels that counted the chunks: the kernel itself, or the automatic kernel's choices.
  j["chunk_kernels"] = nlohmann::ordered_json::array();
  if (job.method == Method::sieve)
    for (const KernelKind k :
         chunk_kernels(Plan{job.range, job.count, job.kernel, std::max<u64>(job.chunk_size, 1)}))
      j["chunk_kernels"].push_back(to_string(k));
  j["mode"] = to_string(job.mode);
  j["workers"] = job.workers;
  j["seconds"] = json_seconds(result.seconds);
  j["cpu_seconds"] = json_seconds(result.cpu_seconds);
  j["histogram"] = nlohmann::ordered_json::object();
  for_each_bin(result.histogram, [&](unsigned k, u64 n) { j["histogram"][std::to_string(k)] = n; });
  j["worker_stats"] = nlohmann::ordered_json::array();
  for (const WorkerStats& w : result.workers)
    j["worker_stats"].push_back({{"name", w.name},
                                 {"chunks", w.chunks},
                                 {"numbers", w.numbers},
                                 {"busy_seconds", json_seconds(w.busy_seconds)}});
  return j.dump() + "\n";
}

std::string format_table(const Histogram& h) {
  constexpr int kBarWidth = 40;
  const u64 total = h.total();
  u64 largest = 0;
  for_each_bin(h, [&](unsigned, u64 n) { largest = std::max(largest, n); });
  std::string out = "  k                 count    share\n";
  char line[128];
  for_each_bin(h, [&](unsigned k, u64 n) {
    const double share = 100.0 * static_cast<double>(n) / static_cast<double>(total);
    const auto bar = static_cast<int>(static_cast<long double>(n) * kBarWidth / largest + 0.5L);
    std::snprintf(line, sizeof line, "%3u  %20llu  %6.2f%%  ", k,
                  static_cast<unsigned long long>(n), share);
    out += line + std::string(static_cast<std::size_t>(std::max(bar, 1)), '#') + "\n";
  });
  std::snprintf(line, sizeof line, "all  %20llu  100.00%%\n", static_cast<unsigned long long>(total));
  return out + line;
}

std::string format_csv(const Histogram& h) {
  std::string out = "k,count\n";
  for_each_bin(h, [&](unsigned k, u64 n) { out += std::to_string(k) + "," + std::to_string(n) + "\n"; });
  return out;
}

}  // namespace

double json_seconds(double seconds) { return std::round(seconds * 1e6) / 1e6; }

std::string format_timeline_csv(const RunResult& result) {
  std::vector<ChunkEvent> rows = result.timeline;
  std::stable_sort(rows.begin(), rows.end(), [](const ChunkEvent& a, const ChunkEvent& b) {
    return a.worker != b.worker ? a.worker < b.worker : a.start < b.start;
  });
  std::string out = "worker,start,end,lo,hi\n";
  char times[64];
  for (const ChunkEvent& e : rows) {
    const std::string name =
        e.worker < result.workers.size() ? result.workers[e.worker].name : std::to_string(e.worker);
    std::snprintf(times, sizeof times, ",%.6f,%.6f,", e.start, e.end);
    out += name + times + std::to_string(e.range.lo) + "," + std::to_string(e.range.hi) + "\n";
  }
  return out;
}

std::string format_dict(const Histogram& h) {
  std::string out = "{";
  for_each_bin(h, [&](unsigned k, u64 n) {
    if (out.size() > 1) out += ", ";
    out += std::to_string(k) + ": " + std::to_string(n);
  });
  return out + "}";
}

std::string format_report(Format format, const Job& job, const RunResult& result) {
  switch (format) {
    case Format::dict: return format_dict(result.histogram) + "\n";
    case Format::json: return format_json(job, result);
    case Format::table: return format_table(result.histogram);
    case Format::csv: return format_csv(result.histogram);
  }
  return "";
}

}  // namespace numfactors
