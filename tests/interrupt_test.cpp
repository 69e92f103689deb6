/// @file interrupt_test.cpp
/// @brief The program's signal flag: which threads take the stop signals, and what comes back.
#include "cli/interrupt.hpp"

#include <gtest/gtest.h>
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <ctime>
#include <thread>

using numfactors::InterruptFlag;

namespace {

constexpr int kStops[] = {SIGINT, SIGTERM, SIGHUP};

bool blocks_every_stop() {
  sigset_t mask;
  pthread_sigmask(SIG_BLOCK, nullptr, &mask);
  for (const int s : kStops)
    if (sigismember(&mask, s) != 1) return false;
  return true;
}

std::atomic<int> g_earlier{0};
extern "C" void earlier_handler(int signal) { g_earlier = signal; }

/// A handler for `signal` while it lives, then the one before.
class HandlerFor {
 public:
  explicit HandlerFor(int signal) : signal_(signal) {
    struct sigaction mine {};
    mine.sa_handler = earlier_handler;
    sigemptyset(&mine.sa_mask);
    sigaction(signal, &mine, &before_);
  }
  ~HandlerFor() { sigaction(signal_, &before_, nullptr); }

 private:
  int signal_;
  struct sigaction before_ {};
};

bool cancelled_within(const InterruptFlag& flag, std::chrono::milliseconds limit) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (flag.token().reason() == 0 && std::chrono::steady_clock::now() < until)
    std::this_thread::yield();
  return flag.token().reason() != 0;
}

}  // namespace

TEST(Interrupt, NoWorkerTakesTheSignalsAndTheEarlierStateComesBack) {
  // A worker may wait for seconds in the kernel (a page fault behind the address-space lock);
  // a signal given to it would wait as long. Every thread but the flag's own blocks them.
  g_earlier = 0;
  const HandlerFor earlier(SIGTERM);
  ASSERT_FALSE(blocks_every_stop());
  {
    const InterruptFlag flag;
    EXPECT_TRUE(blocks_every_stop());
    bool worker_blocks = false;
    std::thread([&] { worker_blocks = blocks_every_stop(); }).join();
    EXPECT_TRUE(worker_blocks);
    // Every other thread of this process blocks it now: the flag's own takes it.
    kill(getpid(), SIGTERM);
    EXPECT_TRUE(cancelled_within(flag, std::chrono::seconds(5)));
    EXPECT_EQ(flag.token().reason(), SIGTERM);
    EXPECT_EQ(g_earlier.load(), 0);
  }
  EXPECT_FALSE(blocks_every_stop());
  kill(getpid(), SIGTERM);  // the earlier handler is back (and runs on this thread, unblocked)
  EXPECT_EQ(g_earlier.load(), SIGTERM);
}

TEST(Interrupt, ASignalBlockedBeforeStaysBlocked) {
  sigset_t hup, before;
  sigemptyset(&hup);
  sigaddset(&hup, SIGHUP);
  ASSERT_EQ(pthread_sigmask(SIG_BLOCK, &hup, &before), 0);
  {
    const InterruptFlag flag;
    kill(getpid(), SIGHUP);
    EXPECT_FALSE(cancelled_within(flag, std::chrono::milliseconds(200)));
  }
  // Still pending, for whoever blocked it: taken here, so that it ends nothing.
  const timespec none{};
  EXPECT_EQ(sigtimedwait(&hup, nullptr, &none), SIGHUP);
  pthread_sigmask(SIG_SETMASK, &before, nullptr);
}

TEST(Interrupt, ASecondSignalEndsTheProcess) {
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // Nothing of the test framework runs in the child: any failure is its own exit status.
    try {
      signal(SIGINT, SIG_DFL);
      const InterruptFlag flag;
      kill(getpid(), SIGINT);
      if (!cancelled_within(flag, std::chrono::seconds(5))) _exit(3);
      // A second Ctrl-C, as a hand gives it: the default action now, the process ends here.
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      kill(getpid(), SIGINT);
      std::this_thread::sleep_for(std::chrono::seconds(5));
      _exit(4);
    } catch (...) {
      _exit(5);
    }
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status)) << "exit status " << WEXITSTATUS(status);
  EXPECT_EQ(WTERMSIG(status), SIGINT);
}

TEST(Interrupt, OneStopSentTwiceAtOnceIsOneStop) {
  // timeout(1) sends SIGTERM to its child and then to its process group: the child gets it twice
  // within microseconds, after the first has been handled. That is one stop, not two. An attempt
  // whose signals were sent 200 ms or more apart (a busy machine) proves nothing: another is made.
  constexpr int kInconclusive = 7;
  int status = 0;
  for (int attempt = 0; attempt < 5; ++attempt) {
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      try {
        signal(SIGTERM, SIG_DFL);
        signal(SIGINT, SIG_DFL);
        const InterruptFlag flag;
        const auto first = std::chrono::steady_clock::now();
        kill(getpid(), SIGTERM);
        if (!cancelled_within(flag, std::chrono::seconds(5))) _exit(3);
        kill(getpid(), SIGTERM);
        kill(getpid(), SIGINT);  // another stop signal at once: the same stop too
        if (std::chrono::steady_clock::now() - first >= std::chrono::milliseconds(200))
          _exit(kInconclusive);
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        _exit(flag.token().reason() == SIGTERM ? 0 : 6);
      } catch (...) {
        _exit(5);
      }
    }
    ASSERT_EQ(waitpid(child, &status, 0), child);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != kInconclusive) break;
  }
  ASSERT_TRUE(WIFEXITED(status)) << "ended by signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 0);
}
