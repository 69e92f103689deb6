/// @file interrupt.cpp
#include "cli/interrupt.hpp"

#include <pthread.h>

#include <atomic>
#include <condition_variable>
#include <csignal>
#include <cstdint>
#include <ctime>
#include <iterator>
#include <mutex>
#include <stdexcept>

namespace numfactors {
namespace {

// CancelToken::cancel is a lock-free atomic store, the one kind of thing a handler may do.
CancelToken g_token;

// SIGHUP too: a closed terminal is the most common interrupt of all.
constexpr int kStopSignals[] = {SIGINT, SIGTERM, SIGHUP};
struct sigaction g_previous[std::size(kStopSignals)];
bool g_installed = false;

// When the first stop signal came (CLOCK_MONOTONIC, ns; 0: none yet). A stop signal within
// kSameStopNs of it is the same stop sent twice: timeout(1) signals its child and then its
// process group, and a job manager may signal a process and its group alike. A later one ends
// the process at once, by the signal's default action.
std::atomic<std::int64_t> g_first_ns{0};
constexpr std::int64_t kSameStopNs = 250'000'000;
static_assert(std::atomic<std::int64_t>::is_always_lock_free);

// clock_gettime, sigaction and raise are async-signal-safe; so is a lock-free atomic.
extern "C" void on_stop_signal(int signal) {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  const std::int64_t ns = std::int64_t{now.tv_sec} * 1'000'000'000 + now.tv_nsec + 1;  // never 0
  std::int64_t first = 0;
  if (g_first_ns.compare_exchange_strong(first, ns)) {
    g_token.cancel(signal);
  } else if (ns - first >= kSameStopNs) {
    struct sigaction fallback {};
    fallback.sa_handler = SIG_DFL;
    sigemptyset(&fallback.sa_mask);
    sigaction(signal, &fallback, nullptr);
    raise(signal);  // blocked while this handler runs: delivered, fatally, as it returns
  }
}

// The thread that takes the signals: every other thread started while the flag exists blocks them.
// The kernel gives a process's signal to its main thread first, and there a handler may wait for
// seconds to run: with hundreds of workers mapping and faulting memory on two cores, writing the
// signal's frame on the main thread's stack waited 1.9 s for the address-space lock. This thread
// only sleeps, on a stack already touched.
sigset_t g_stop_set;
sigset_t g_previous_mask;
pthread_t g_watcher;
bool g_watching = false;
std::mutex g_mutex;
std::condition_variable g_closed;
bool g_closing = false;

__attribute__((noinline)) void touch_stack() {
  volatile char frame[32 * 1024];  // far more than a signal's frame with every vector register
  for (std::size_t i = 0; i < sizeof frame; i += 1024) frame[i] = 0;
}

extern "C" void* watch(void*) {
  touch_stack();
  pthread_sigmask(SIG_UNBLOCK, &g_stop_set, nullptr);
  std::unique_lock lock(g_mutex);
  g_closed.wait(lock, [] { return g_closing; });
  return nullptr;
}

/// The watcher, on a stack of its own size: the default (ulimit -s) would take megabytes of
/// address space, which the planner counts for workers only.
int start_watcher() {
  pthread_attr_t attr;
  if (const int e = pthread_attr_init(&attr); e != 0) return e;
  int e = pthread_attr_setstacksize(&attr, std::size_t{256} << 10);
  if (e == 0) e = pthread_create(&g_watcher, &attr, watch, nullptr);
  pthread_attr_destroy(&attr);
  return e;
}

void restore_handlers() {
  for (std::size_t i = 0; i < std::size(kStopSignals); ++i)
    sigaction(kStopSignals[i], &g_previous[i], nullptr);
}

}  // namespace

InterruptFlag::InterruptFlag() {
  if (g_installed) throw std::logic_error("only one InterruptFlag at a time");
  g_token.reset();
  g_first_ns = 0;
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  // SA_RESTART: reads, writes and waits on other threads need not expect EINTR.
  action.sa_flags = SA_RESTART;
  // A signal ignored or blocked when the program started stays so (nohup, a script's background
  // job under SIGINT): whoever started it asked for that.
  pthread_sigmask(SIG_BLOCK, nullptr, &g_previous_mask);
  sigemptyset(&g_stop_set);
  for (std::size_t i = 0; i < std::size(kStopSignals); ++i)
    if (sigaction(kStopSignals[i], nullptr, &g_previous[i]) == 0 &&
        g_previous[i].sa_handler != SIG_IGN &&
        sigismember(&g_previous_mask, kStopSignals[i]) != 1) {
      sigaction(kStopSignals[i], &action, nullptr);
      sigaddset(&g_stop_set, kStopSignals[i]);
    }
  pthread_sigmask(SIG_BLOCK, &g_stop_set, nullptr);  // and the threads started from here
  g_closing = false;
  // Without the thread (a process limit), the signals go to whichever thread takes them, as
  // they would without the flag: slower to be heard, no reason to fail the run.
  g_watching = start_watcher() == 0;
  if (!g_watching) pthread_sigmask(SIG_SETMASK, &g_previous_mask, nullptr);
  g_installed = true;
}

InterruptFlag::~InterruptFlag() {
  if (g_watching) {
    {
      const std::lock_guard lock(g_mutex);
      g_closing = true;
    }
    g_closed.notify_one();
    pthread_join(g_watcher, nullptr);
  }
  // A signal that comes now waits for the previous handler, as it would once this is gone.
  restore_handlers();
  pthread_sigmask(SIG_SETMASK, &g_previous_mask, nullptr);
  g_installed = false;
}

StopSignalsHeld::StopSignalsHeld() {
  sigset_t stops;
  sigemptyset(&stops);
  for (const int signal : kStopSignals) sigaddset(&stops, signal);
  pthread_sigmask(SIG_BLOCK, &stops, &previous_);
}

StopSignalsHeld::~StopSignalsHeld() { pthread_sigmask(SIG_SETMASK, &previous_, nullptr); }

const CancelToken& InterruptFlag::token() const { return g_token; }

}  // namespace numfactors
