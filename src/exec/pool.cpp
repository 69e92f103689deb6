/// @file pool.cpp
/// @brief The parent hands out chunks over one socket per worker and adds up what comes back.
///
/// Why a SOCK_SEQPACKET socketpair per worker rather than shared memory or pipes: a message is a
/// record (a reply arrives whole or not at all, nothing to reassemble), a worker that dies shows up
/// as end-of-file on its own socket (poll() watches them all, no timeout or heartbeat needed), and
/// send() with MSG_NOSIGNAL cannot kill the parent with SIGPIPE when a worker has just died. Shared
/// memory would need locks that survive a process killed while holding them, and its own way of
/// telling a dead worker from a slow one. A reply is one chunk's histogram (under 1 KiB), so
/// copying it costs nothing beside the chunk's work, and a killed worker loses at most its chunk.
#include "exec/pool.hpp"

#include <dirent.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <deque>
#include <iostream>
#include <map>
#include <optional>
#include <stdexcept>

namespace numfactors {
namespace {

/// How often the parent looks for a stop while it waits for replies.
constexpr int kStopPollMs = 50;

/// Chunk indices are < chunk_count() <= 2^64-1, so this one is never a real chunk.
constexpr u64 kStop = ~u64{0};

struct Task {
  u64 chunk;
};

struct Reply {
  u64 chunk;
  double start;  // seconds since the run started (steady_clock is shared across fork)
  double end;
  std::array<u64, Histogram::kMaxKey + 1> bins;
  char error[256];  // not empty: the kernel threw this instead of counting
};

std::runtime_error system_error(const std::string& what) {
  return std::runtime_error(what + ": " + std::strerror(errno));
}

std::string describe_exit(int status) {
  if (WIFSIGNALED(status))
    return "killed by signal " + std::to_string(WTERMSIG(status)) + " (" +
           strsignal(WTERMSIG(status)) + ")";
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  return "stopped";
}

std::string describe_task(const Tasks& tasks, u64 task) {
  const Range r = tasks.span(task);
  return "task " + std::to_string(task) + " [" + std::to_string(r.lo) + ", " +
         std::to_string(r.hi) + "]";
}

/// The child's whole life: answer each Task with a Reply until kStop or the parent goes away.
[[noreturn]] void worker_main(int fd, pid_t parent, Tasks& tasks, Clock::time_point run_start) {
  // A worker must not outlive a parent that was killed: it would run chunks for no one.
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(1);
  // Ctrl-C and Slurm's SIGTERM reach the whole process group: the parent decides what stops (it
  // hands out no more chunks and retires each worker after its chunk), so a worker finishes its
  // chunk rather than dying with it. The parent's own death still ends it (SIGKILL above).
  signal(SIGINT, SIG_IGN);
  signal(SIGTERM, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  // This process's copy of the tasks (fork) makes its one kernel.
  const std::unique_ptr<TaskKernel> kernel = std::move(tasks.kernels(1).front());
  Task task{};
  while (recv(fd, &task, sizeof task, 0) == static_cast<ssize_t>(sizeof task) &&
         task.chunk != kStop) {
    Reply reply{};
    reply.chunk = task.chunk;
    try {
      reply.start = seconds_since(run_start);
      const Histogram h = kernel->run(task.chunk);
      reply.end = seconds_since(run_start);
      reply.bins = h.bins();
    } catch (const std::exception& e) {
      std::snprintf(reply.error, sizeof reply.error, "%s", e.what());
      if (reply.error[0] == '\0') reply.error[0] = '?';
    }
    if (send(fd, &reply, sizeof reply, MSG_NOSIGNAL) != static_cast<ssize_t>(sizeof reply)) _exit(1);
  }
  // _exit, not exit: the parent's stdio buffers and static destructors are not ours to run.
  _exit(0);
}

struct Slot {
  pid_t pid = -1;
  int fd = -1;               // the parent's end of this worker's socket; -1 once retired
  std::size_t stats = 0;     // index into RunResult::workers
  std::optional<u64> chunk;  // the chunk it is running
};

/// The workers of one run. Whatever way the run ends, no worker outlives it.
class Pool {
 public:
  Pool(Tasks& tasks, Clock::time_point run_start) : tasks_(tasks), run_start_(run_start) {}
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;
  ~Pool() {
    for (Slot& s : slots_) {
      if (s.fd >= 0) close(s.fd);
      if (s.pid > 0) {
        kill(s.pid, SIGKILL);
        waitpid(s.pid, nullptr, 0);
      }
    }
  }

  std::vector<Slot>& slots() { return slots_; }
  const std::vector<Slot>& slots() const { return slots_; }

  /// Forks a worker; its statistics go to result.workers[stats].
  Slot& spawn(std::size_t stats) {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
      throw system_error("cannot make a socket for a worker process");
    const pid_t parent = getpid();
    const pid_t pid = fork();
    if (pid < 0) {
      close(sv[0]);
      close(sv[1]);
      throw system_error("cannot start a worker process");
    }
    if (pid == 0) {
      close(sv[0]);
      // The other workers' sockets must close here, or they would not see end-of-file when the
      // parent closes them.
      for (const Slot& s : slots_)
        if (s.fd >= 0) close(s.fd);
      worker_main(sv[1], parent, tasks_, run_start_);
    }
    close(sv[1]);
    slots_.push_back({pid, sv[0], stats, std::nullopt});
    return slots_.back();
  }

  /// Sends `chunk` (or kStop). A worker that just died cannot take it; its end-of-file comes next.
  static void send_task(Slot& s, u64 chunk) {
    const Task task{chunk};
    send(s.fd, &task, sizeof task, MSG_NOSIGNAL);
  }

  /// Stops an idle worker and waits for it.
  static void retire(Slot& s) {
    send_task(s, kStop);
    close(s.fd);
    s.fd = -1;
    waitpid(s.pid, nullptr, 0);
    s.pid = -1;
  }

  /// Reaps a worker whose socket reached end-of-file; returns how it ended.
  static std::string bury(Slot& s) {
    close(s.fd);
    s.fd = -1;
    int status = 0;
    const pid_t got = waitpid(s.pid, &status, 0);
    s.pid = -1;
    return got > 0 ? describe_exit(status) : "vanished";
  }

 private:
  Tasks& tasks_;
  Clock::time_point run_start_;
  std::vector<Slot> slots_;
};

/// One run of the pool: hands out tasks, adds up replies, replaces lost workers.
class PoolRun {
 public:
  PoolRun(Tasks& tasks, const RunOptions& options)
      : tasks_(tasks), options_(options),
        processes_(static_cast<unsigned>(
            std::min<u64>(std::max(options.workers, 1u), tasks.count()))),
        all_(0, tasks.count()), fresh_(all_, options.skip, options.stop), pool_(tasks, t0_) {
    warn_ = options.warn ? options.warn : [](const std::string& message) {
      std::cerr << ("numfactors: warning: " + message + "\n");
    };
  }

  RunResult run() {
    for (unsigned k = 0; k < processes_; ++k) start_worker();
    // Every live worker holds a task (idle ones are retired at once), and a task whose worker
    // died goes to a new worker at once: the run is over when no worker is left.
    while (working()) {
      if (stopping()) give_up_running();
      for (const std::size_t slot : ready_slots()) {
        Reply reply;
        const ssize_t got = recv(pool_.slots()[slot].fd, &reply, sizeof reply, 0);
        if (got == static_cast<ssize_t>(sizeof reply) && pool_.slots()[slot].chunk == reply.chunk)
          take_reply(slot, reply);
        else if (!(got < 0 && errno == EINTR))
          lose_worker(slot);  // end-of-file (or a torn reply): the worker is gone
      }
    }
    // Each worker has been retired or buried; the Pool has nothing left to kill.
    result_.seconds = seconds_since(t0_);
    result_.interrupted = fresh_.cut_by();
    return std::move(result_);
  }

 private:
  bool stopping() const { return options_.stop != nullptr && options_.stop->load() != 0; }

  /// The next task: one whose worker died first, unless the run is stopping.
  std::optional<u64> take() {
    if (!redo_.empty() && !stopping()) {
      const u64 c = redo_.front();
      redo_.pop_front();
      return c;
    }
    if (!redo_.empty()) fresh_.abandon(options_.stop->load());
    return fresh_.next();
  }

  /// Gives the worker in `slot` its next task, or retires it.
  void next_task(std::size_t slot) {
    Slot& s = pool_.slots()[slot];
    s.chunk = take();
    if (s.chunk)
      Pool::send_task(s, *s.chunk);
    else
      Pool::retire(s);
  }

  void start_worker() {
    result_.workers.push_back({"process " + std::to_string(result_.workers.size())});
    pool_.spawn(result_.workers.size() - 1);
    next_task(pool_.slots().size() - 1);
  }

  /// A stop is answered at once: the workers still on a task are killed (they ignore the
  /// signals, so as not to die half-way through a reply), and their tasks stay undone.
  void give_up_running() {
    for (const Slot& s : pool_.slots())
      if (s.fd >= 0 && s.chunk && s.pid > 0) kill(s.pid, SIGKILL);
  }

  bool working() const {
    return std::any_of(pool_.slots().begin(), pool_.slots().end(),
                       [](const Slot& s) { return s.fd >= 0; });
  }

  /// The slots whose sockets have something to read (a reply or end-of-file); waits for one.
  std::vector<std::size_t> ready_slots() {
    std::vector<pollfd> fds;
    std::vector<std::size_t> slot_of;  // fds[i] watches slots()[slot_of[i]]
    for (std::size_t i = 0; i < pool_.slots().size(); ++i)
      if (pool_.slots()[i].fd >= 0) {
        fds.push_back({pool_.slots()[i].fd, POLLIN, 0});
        slot_of.push_back(i);
      }
    std::vector<std::size_t> ready;
    // A timeout, to see a stop set on another thread (the program's signal thread, a library
    // caller's CancelToken), which interrupts no poll.
    if (poll(fds.data(), fds.size(), kStopPollMs) < 0) {
      if (errno == EINTR) return ready;
      throw system_error("poll on the worker processes failed");
    }
    // Indices, not references: spawning a replacement may move the slots.
    for (std::size_t i = 0; i < fds.size(); ++i)
      if (fds[i].revents != 0) ready.push_back(slot_of[i]);
    return ready;
  }

  void take_reply(std::size_t slot, const Reply& reply) {
    const Slot& s = pool_.slots()[slot];
    if (reply.error[0] != '\0')
      throw std::runtime_error(result_.workers[s.stats].name + ": " + reply.error);
    Histogram h;
    h.bins() = reply.bins;
    result_.histogram += h;
    WorkerStats& stats = result_.workers[s.stats];
    stats.chunks += 1;
    stats.numbers += tasks_.numbers(reply.chunk);
    stats.busy_seconds += reply.end - reply.start;
    if (options_.timeline)
      result_.timeline.push_back(
          {s.stats, reply.chunk, tasks_.span(reply.chunk), reply.start, reply.end});
    if (options_.on_task) options_.on_task(reply.chunk, h);
    next_task(slot);
  }

  /// A worker is gone, and with it at most its one task: run that again in a new process.
  void lose_worker(std::size_t slot) {
    Slot& s = pool_.slots()[slot];
    const std::string name = result_.workers[s.stats].name;
    const pid_t pid = s.pid;
    const std::string how = Pool::bury(s);
    if (!s.chunk) return;
    const u64 task = *s.chunk;
    s.chunk.reset();
    if (stopping()) {  // no new worker after a stop: the task stays undone (and unrecorded)
      fresh_.abandon(options_.stop->load());
      return;
    }
    ++lost_workers_;
    if (++losses_[task] >= kMaxLossesPerChunk)
      throw std::runtime_error("worker processes keep dying: " + describe_task(tasks_, task) +
                               " was lost " + std::to_string(losses_[task]) +
                               " times (last worker " + how + "); giving up");
    if (lost_workers_ > max_lost_workers(processes_))
      throw std::runtime_error("worker processes keep dying: " + std::to_string(lost_workers_) +
                               " lost in this run (last " + how + "); giving up");
    warn_(name + " (pid " + std::to_string(pid) + ") was lost (" + how + ") while running " +
          describe_task(tasks_, task) + "; running that task again in a new process");
    redo_.push_back(task);
    start_worker();
  }

  Tasks& tasks_;
  const RunOptions& options_;
  Warn warn_;
  const Clock::time_point t0_ = Clock::now();
  const unsigned processes_;
  RunResult result_;
  std::deque<u64> redo_;  // tasks whose worker died
  CounterSource all_;
  ResumeSource fresh_;
  std::map<u64, unsigned> losses_;  // per task
  unsigned lost_workers_ = 0;
  Pool pool_;  // last: its workers are killed before anything they use goes
};

}  // namespace

void reserve_pool_descriptors(unsigned workers) {
  unsigned open_now = 0;
  if (DIR* fds = opendir("/proc/self/fd")) {
    while (readdir(fds) != nullptr) ++open_now;  // "." and "..", and this DIR's own: a margin
    closedir(fds);
  }
  // Two a worker while it starts, the journal, a table state and a temporary file besides.
  const rlim_t need = open_now + 2 * rlim_t{workers} + 4;
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= need) return;
  if (limit.rlim_max == RLIM_INFINITY || limit.rlim_max >= need) {
    limit.rlim_cur = need;
    if (setrlimit(RLIMIT_NOFILE, &limit) == 0) return;
  }
  throw std::runtime_error("pool mode needs " + std::to_string(need) + " open files for " +
                           std::to_string(workers) + " worker process(es), and ulimit -n allows " +
                           std::to_string(limit.rlim_cur) +
                           ": raise it, or use fewer workers or threads mode");
}

RunResult run_pool(Tasks& tasks, const RunOptions& options) { return PoolRun(tasks, options).run(); }

}  // namespace numfactors
