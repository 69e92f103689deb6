/// @file interrupt.cpp
#include "cli/interrupt.hpp"

#include <csignal>
#include <stdexcept>

namespace numfactors {
namespace {

// CancelToken::cancel is a lock-free atomic store, the one kind of thing a handler may do.
CancelToken g_token;

struct sigaction g_previous_int, g_previous_term;
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
  sigaction(SIGINT, &action, &g_previous_int);
  sigaction(SIGTERM, &action, &g_previous_term);
  g_installed = true;
}

InterruptFlag::~InterruptFlag() {
  sigaction(SIGINT, &g_previous_int, nullptr);
  sigaction(SIGTERM, &g_previous_term, nullptr);
  g_installed = false;
}

const CancelToken& InterruptFlag::token() const { return g_token; }

}  // namespace numfactors
