/// @file resume_helpers.hpp
/// @brief What the checkpoint tests need beside ChildProcess: whether a process has its stop
/// handlers in place yet, how many records a journal holds, and waiting for a process to vanish.
#pragma once

#include <sys/types.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "child_process.hpp"

namespace numfactors::test {

/// True once process `pid` catches `signal` (the SigCgt mask in /proc/PID/status): a signal sent
/// before that would kill it by default, which is not what the tests mean to check.
inline bool catches(pid_t pid, int signal) {
  std::istringstream status(read_file("/proc/" + std::to_string(pid) + "/status"));
  for (std::string line; std::getline(status, line);)
    if (line.starts_with("SigCgt:")) {
      const unsigned long long mask = std::stoull(line.substr(7), nullptr, 16);
      return (mask >> (signal - 1)) & 1u;
    }
  return false;
}

/// Chunk records in a checkpoint file: its lines after the header (a torn last one included).
inline int journal_records(const std::string& path) {
  const std::string text = read_file(path);
  int lines = 0;
  for (char c : text) lines += c == '\n';
  return lines > 0 ? lines - 1 : 0;
}

/// Waits until `predicate` holds or `seconds` pass; returns whether it held.
template <typename Predicate>
bool wait_until(Predicate predicate, double seconds) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < end) {
    if (predicate()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return predicate();
}

/// How a process stopped by a signal ended, and how long after the signal.
struct Stopped {
  Finished finished;
  double seconds = 0;  // from the signal to the end
};

/// Sends `signal` to each of `pids` (ranks of a job; the process itself when one), then waits
/// for `child` to end (up to `deadline` seconds).
inline Stopped stop_and_time(ChildProcess& child, const std::vector<pid_t>& pids, int signal,
                             double deadline = 60) {
  const auto sent = std::chrono::steady_clock::now();
  for (const pid_t pid : pids) kill(pid, signal);
  Stopped s;
  s.finished = child.wait(deadline);
  s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - sent).count();
  return s;
}

/// True when no process `pid` exists any more (not even a zombie).
inline bool gone(pid_t pid) { return kill(pid, 0) != 0 && errno == ESRCH; }

}  // namespace numfactors::test
