/// @file interrupt.cpp
#include "cli/interrupt.hpp"

#include <csignal>
#include <iterator>
#include <stdexcept>

namespace numfactors {
namespace {

// CancelToken::cancel is a lock-free atomic store, the one kind of thing a handler may do.
CancelToken g_token;

// SIGHUP too: a closed terminal is the most common interrupt of all.
constexpr int kStopSignals[] = {SIGINT, SIGTERM, SIGHUP};
struct sigaction g_previous[std::size(kStopSignals)];
bool g_installed = false;

extern "C" void on_stop_signal(int signal) { g_token.cancel(signal); }

}  // namespace

InterruptFlag::InterruptFlag() {
  if (g_installed) throw std::logic_error("only one InterruptFlag at a time");
  g_token.reset();
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  // SA_RESTART: reads, writes and waits elsewhere need not expect EINTR (poll() still returns it,
  // and the pool's loop takes it as a cue to look at the flag).
  action.sa_flags = SA_RESTART | SA_RESETHAND;
  // A signal ignored when the program started stays ignored (nohup, a script's background job
  // under SIGINT): whoever started it asked for that.
  for (std::size_t i = 0; i < std::size(kStopSignals); ++i)
    if (sigaction(kStopSignals[i], nullptr, &g_previous[i]) == 0 &&
        g_previous[i].sa_handler != SIG_IGN)
      sigaction(kStopSignals[i], &action, nullptr);
  g_installed = true;
}

InterruptFlag::~InterruptFlag() {
  for (std::size_t i = 0; i < std::size(kStopSignals); ++i)
    sigaction(kStopSignals[i], &g_previous[i], nullptr);
  g_installed = false;
}

const CancelToken& InterruptFlag::token() const { return g_token; }

}  // namespace numfactors
