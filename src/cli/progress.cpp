/// @file progress.cpp
#include "cli/progress.hpp"

#include <pthread.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <ostream>
#include <string>
#include <system_error>
#include <utility>

namespace numfactors {

ProgressLine::ProgressLine(std::ostream& err, u64 numbers, bool terminal,
                           std::function<unsigned()> columns, std::chrono::milliseconds every,
                           bool tick)
    : err_(err),
      numbers_(static_cast<double>(numbers)),
      terminal_(terminal),
      columns_(std::move(columns)),
      every_(every.count() > 0 ? every
             : terminal        ? std::chrono::milliseconds(250)
                               : std::chrono::milliseconds(10000)) {
  if (!tick) return;
  try {
    ticker_ = std::thread([this] { this->tick(); });
  } catch (const std::system_error&) {
    // No thread to spare (a process limit): the line is redrawn on updates only.
  }
}

ProgressLine::~ProgressLine() { abandon(); }

void ProgressLine::abandon() {
  stop_ticking();
  std::lock_guard lock(mutex_);
  if (ended_) return;
  ended_ = true;
  if (terminal_ && drawn_) err_ << "\r\x1b[K" << std::flush;
}

void ProgressLine::tick() {
  // Stop signals go to the thread that waits for them (interrupt.hpp), never to this one.
  sigset_t stops;
  sigemptyset(&stops);
  for (const int signal : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&stops, signal);
  pthread_sigmask(SIG_BLOCK, &stops, nullptr);
  std::unique_lock lock(mutex_);
  while (!stopped_.wait_until(lock, last_draw_ + every_, [this] { return stopping_; }))
    draw(false);  // draws only if no update drew meanwhile
}

void ProgressLine::stop_ticking() {
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  stopped_.notify_one();
  if (ticker_.joinable()) ticker_.join();
}

std::string ProgressLine::duration(double seconds) {
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

void ProgressLine::update(const Progress& progress) {
  std::lock_guard lock(mutex_);
  now_ = progress;
  draw(false);
}

void ProgressLine::draw(bool force) {
  const auto now = std::chrono::steady_clock::now();
  if (!force && now - last_draw_ < every_) return;
  last_draw_ = now;
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double fraction = now_.total > 0 ? std::min(1.0, now_.done / now_.total) : 0.0;
  // The rate of this run's own work: what a checkpoint held was not done now. (Work is summed
  // in doubles: a run that resumed a whole checkpoint may be left a rounding error of either
  // sign, which is no work.)
  double mine = now_.total > 0 ? (now_.done - now_.skipped) / now_.total : 0.0;
  if (mine < 1e-9) mine = 0;
  const double rate = elapsed > 0 ? mine * numbers_ / elapsed : 0;
  const double eta = mine > 0 ? (1.0 - fraction) / mine * elapsed : 0;
  char line[160];
  std::snprintf(line, sizeof line, "numfactors: %5.1f%% done, %.3g numbers/s, elapsed %s, ETA %s",
                100.0 * fraction, rate, duration(elapsed).c_str(),
                fraction > 1 - 1e-9 ? duration(0).c_str()
                : rate > 0          ? duration(eta).c_str()
                                    : "?");
  if (terminal_) {
    std::string text = line;
    if (const unsigned width = columns_ ? columns_() : 0; width > 1 && text.size() >= width)
      text.resize(width - 1);                        // the line is ASCII
    err_ << ("\r" + text + "\x1b[K") << std::flush;  // erase a longer line's rest
    drawn_ = true;
  } else
    err_ << (std::string(line) + "\n") << std::flush;
}

void ProgressLine::finish() {
  stop_ticking();
  std::lock_guard lock(mutex_);
  ended_ = true;
  if (terminal_)
    err_ << "\r\x1b[K" << std::flush;
  else
    draw(true);  // a batch log ends with where the run got to
}

}  // namespace numfactors
