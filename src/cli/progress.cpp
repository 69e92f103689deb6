/// @file progress.cpp
#include "cli/progress.hpp"

#include <algorithm>
#include <cstdio>
#include <ostream>

namespace numfactors {

Progress::Progress(std::ostream& err, u64 total, u64 already, bool terminal)
    : err_(err), total_(total), already_(already), done_(already), terminal_(terminal) {}

std::string Progress::duration(double seconds) {
  char buf[32];
  if (seconds < 60) {
    std::snprintf(buf, sizeof buf, "%.1fs", seconds);
  } else {
    const auto s = static_cast<unsigned long long>(seconds);
    if (s < 3600)
      std::snprintf(buf, sizeof buf, "%llu:%02llu", s / 60, s % 60);
    else
      std::snprintf(buf, sizeof buf, "%llu:%02llu:%02llu", s / 3600, s / 60 % 60, s % 60);
  }
  return buf;
}

void Progress::add(u64 numbers) {
  std::lock_guard lock(mutex_);
  done_ += numbers;
  draw(false);
}

void Progress::draw(bool force) {
  const auto now = std::chrono::steady_clock::now();
  const auto every = terminal_ ? std::chrono::milliseconds(250) : std::chrono::milliseconds(10000);
  if (!force && now - last_draw_ < every) return;
  last_draw_ = now;
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  // done_ may pass total_ when chunks stand for an estimate (MPI's static schedule).
  const u64 done = std::min(done_, total_);
  const double fraction = static_cast<double>(done) / static_cast<double>(total_);
  const double rate = elapsed > 0 ? static_cast<double>(done - already_) / elapsed : 0;
  const double eta = rate > 0 ? static_cast<double>(total_ - done) / rate : 0;
  char line[160];
  std::snprintf(line, sizeof line, "numfactors: %5.1f%% done, %.3g numbers/s, elapsed %s, ETA %s",
                100.0 * fraction, rate, duration(elapsed).c_str(),
                rate > 0 ? duration(eta).c_str() : "?");
  if (terminal_)
    err_ << "\r" << line << "\x1b[K" << std::flush;  // \x1b[K: erase what a longer line left
  else
    err_ << line << "\n" << std::flush;
}

void Progress::finish() {
  std::lock_guard lock(mutex_);
  if (terminal_)
    err_ << "\r\x1b[K" << std::flush;
  else
    draw(true);  // a batch log ends with where the run got to
}

}  // namespace numfactors
