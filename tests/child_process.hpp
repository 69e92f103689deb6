/// @file child_process.hpp
/// @brief A program started in the background for end-to-end tests: its children can be found
/// and killed while it runs, and waiting for it has a deadline, so a hang fails instead of blocking.
#pragma once

#include <dirent.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace numfactors::test {

struct Finished {
  int status = -1;  // exit status, 128 + signal when killed by one; -1 when it missed the deadline
  std::string out;
  std::string err;
  double seconds = 0;
};

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

/// The program runs in a process group of its own (so a missed deadline kills mpiexec and every
/// rank at once), stdin from /dev/null, stdout and stderr to temporary files.
class ChildProcess {
 public:
  ChildProcess(const std::string& program, const std::vector<std::string>& args)
      : out_path_(temp_path()), err_path_(temp_path()), start_(std::chrono::steady_clock::now()) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, out_path_.c_str(), O_WRONLY | O_TRUNC, 0);
    posix_spawn_file_actions_addopen(&actions, 2, err_path_.c_str(), O_WRONLY | O_TRUNC, 0);
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attributes, 0);
    std::vector<char*> argv{const_cast<char*>(program.c_str())};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    const int failed =
        posix_spawn(&pid_, program.c_str(), &actions, &attributes, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    if (failed != 0) throw std::runtime_error("cannot start " + program);
  }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess() {
    if (pid_ > 0) {
      kill(-pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    std::remove(out_path_.c_str());
    std::remove(err_path_.c_str());
  }

  pid_t pid() const { return pid_; }

  /// Waits at most `deadline_seconds`; past it the whole process group is killed (status -1).
  Finished wait(double deadline_seconds) {
    Finished f;
    int wstatus = 0;
    for (;;) {
      const pid_t got = waitpid(pid_, &wstatus, WNOHANG);
      if (got == pid_) break;
      if (seconds() > deadline_seconds) {
        kill(-pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
        wstatus = -1;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    pid_ = -1;
    if (wstatus != -1)
      f.status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
    f.seconds = seconds();
    f.out = read_file(out_path_);
    f.err = read_file(err_path_);
    return f;
  }

  /// What the child has written to stderr so far.
  std::string err_so_far() const { return read_file(err_path_); }

  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

 private:
  static std::string temp_path() {
    std::string pattern = "/tmp/numfactors_child_XXXXXX";
    const int fd = mkstemp(pattern.data());
    if (fd < 0) throw std::runtime_error("mkstemp failed");
    close(fd);
    return pattern;
  }

  std::string out_path_, err_path_;
  std::chrono::steady_clock::time_point start_;
  pid_t pid_ = -1;
};

/// How many times slower than a Release build the programs under test run: 1, or the value of
/// NUMFACTORS_TEST_TIME_SCALE (scripts/sanitize sets it). A bound on how soon a signal is
/// answered, and a deadline, are multiplied by it.
inline double time_scale() {
  const char* s = std::getenv("NUMFACTORS_TEST_TIME_SCALE");
  const double scale = s != nullptr ? std::strtod(s, nullptr) : 1.0;
  return scale >= 1.0 ? scale : 1.0;
}

/// Runs a program to its end (or the deadline, times time_scale()).
inline Finished run_program(const std::string& program, const std::vector<std::string>& args,
                            double deadline_seconds = 120) {
  ChildProcess child(program, args);
  return child.wait(deadline_seconds * time_scale());
}

/// The live processes whose parent is `parent` and whose name (/proc/PID/comm) is `name`.
inline std::vector<pid_t> children_named(pid_t parent, const std::string& name) {
  std::vector<pid_t> found;
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return found;
  while (const dirent* entry = readdir(proc)) {
    const std::string pid = entry->d_name;
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    // /proc/PID/stat: "pid (comm) state ppid ..."; comm may hold spaces, so read after the ')'.
    const std::string stat = read_file("/proc/" + pid + "/stat");
    const std::size_t close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(stat.substr(close + 1));
    std::string state;
    long ppid = 0;
    rest >> state >> ppid;
    if (ppid != parent || state == "Z") continue;
    std::string comm = read_file("/proc/" + pid + "/comm");
    if (!comm.empty() && comm.back() == '\n') comm.pop_back();
    if (comm == name) found.push_back(static_cast<pid_t>(std::stol(pid)));
  }
  closedir(proc);
  return found;
}

}  // namespace numfactors::test
