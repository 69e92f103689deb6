/// @file output_file.cpp
#include "cli/output_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "cli/usage_error.hpp"

namespace numfactors {
namespace {

[[noreturn]] void failed(const std::string& option, const std::string& path, int error) {
  throw std::runtime_error("cannot write " + option + " file '" + path + "': " +
                           std::strerror(error));
}

}  // namespace

int write_all(int fd, const std::string& text) {
  for (std::size_t done = 0; done < text.size();) {
    const ssize_t put = ::write(fd, text.data() + done, text.size() - done);
    if (put < 0 && errno == EINTR) continue;
    if (put < 0) return errno;
    done += static_cast<std::size_t>(put);
  }
  return 0;
}

std::string link_target(const std::string& path) {
  namespace fs = std::filesystem;
  fs::path p = path;
  std::error_code ec;
  // At most 40 links, Linux's own limit on a path's symbolic links.
  for (int hops = 0; hops < 40 && fs::is_symlink(fs::symlink_status(p, ec)); ++hops) {
    const fs::path target = fs::read_symlink(p, ec);
    if (ec) break;
    p = target.is_absolute() ? target : p.parent_path() / target;
  }
  return p.string();
}

bool names_descriptor(const std::string& path, int fd) {
  struct stat a {}, b {};
  return ::stat(path.c_str(), &a) == 0 && ::fstat(fd, &b) == 0 && a.st_dev == b.st_dev &&
         a.st_ino == b.st_ino;
}

std::string output_path(const std::string& path) {
  if (path.empty() || path == "-" || names_descriptor(path, STDOUT_FILENO)) return "";
  if (names_descriptor(path, STDERR_FILENO))
    throw UsageError("--output '" + path + "' is this process's stderr");
  return path;
}

AtomicFile::AtomicFile(std::string path, std::string option)
    : path_(link_target(path)), option_(std::move(option)) {
  check_regular_file(path_, option_);
  // The file keeps its mode, and a file this user may not write is refused as `>` would; a new
  // file gets the mode `>` would give it (mkstemp's 0600 would make it private).
  struct stat st {};
  mode_t mode = 0;
  if (::stat(path_.c_str(), &st) == 0) {
    if (::access(path_.c_str(), W_OK) != 0) failed(option_, path_, errno);
    mode = st.st_mode & 07777;
  } else {
    const mode_t mask = ::umask(0);
    ::umask(mask);
    mode = 0666 & ~mask;
  }
#ifdef O_TMPFILE
  // A file with no name until commit: a run killed outright (SIGKILL, out of memory) leaves
  // nothing behind. It is named through /proc/self/fd, so only where that exists; elsewhere, and
  // on file systems without O_TMPFILE, a named temporary file as below.
  const std::string dir = std::filesystem::path(path_).parent_path().string();
  if (::access("/proc/self/fd", X_OK) == 0) {
    fd_ = ::open(dir.empty() ? "." : dir.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
    if (fd_ >= 0) {
      ::fchmod(fd_, mode);
      return;
    }
  }
#endif
  std::string name = path_ + ".XXXXXX";
  fd_ = ::mkstemp(name.data());
  if (fd_ < 0) failed(option_, path_, errno);
  ::fchmod(fd_, mode);
  temporary_ = name;
}

/// Gives the unnamed file fd_ the name of a fresh temporary file beside path_ (for rename).
int AtomicFile::name_unnamed() {
  const std::string self = "/proc/self/fd/" + std::to_string(fd_);
  for (unsigned attempt = 0; attempt < 100; ++attempt) {
    std::string name = path_ + ".XXXXXX";
    // mkstemp picks a free name; the file it makes is removed and the name linked at once.
    const int probe = ::mkstemp(name.data());
    if (probe < 0) return errno;
    ::close(probe);
    ::unlink(name.c_str());
    if (::linkat(AT_FDCWD, self.c_str(), AT_FDCWD, name.c_str(), AT_SYMLINK_FOLLOW) == 0) {
      temporary_ = name;
      return 0;
    }
    if (errno != EEXIST) return errno;
  }
  return EEXIST;
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!temporary_.empty()) ::unlink(temporary_.c_str());
}

void AtomicFile::commit(const std::string& text) {
  int error = write_all(fd_, text);
  if (error == 0 && ::fsync(fd_) != 0) error = errno;
  if (error == 0 && temporary_.empty()) error = name_unnamed();
  if (::close(fd_) != 0 && error == 0) error = errno;
  fd_ = -1;
  if (error == 0 && ::rename(temporary_.c_str(), path_.c_str()) != 0) error = errno;
  if (error != 0) failed(option_, path_, error);
  temporary_.clear();
}

void check_own_file(const std::string& path, const std::string& option) {
  if (path == "-")
    throw UsageError(option + " '-': " + option + " writes a file of its own, not stdout");
  if (names_descriptor(path, STDOUT_FILENO))
    throw UsageError(option + " '" + path + "' is this process's stdout");
  if (names_descriptor(path, STDERR_FILENO))
    throw UsageError(option + " '" + path + "' is this process's stderr");
  check_regular_file(path, option);
}

void check_regular_file(const std::string& path, const std::string& option) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return;  // absent: it will be made
  if (!S_ISREG(st.st_mode))
    throw UsageError(option + " '" + path + "' is not a regular file");
}

void check_distinct_files(const std::string& a, const std::string& option_a, const std::string& b,
                          const std::string& option_b) {
  if (a.empty() || b.empty()) return;
  // absolute() first: weakly_canonical leaves a relative path that does not exist yet as it is.
  namespace fs = std::filesystem;
  std::error_code ec;
  const auto full = [&ec](const std::string& p) { return fs::weakly_canonical(fs::absolute(p), ec); };
  const bool same = full(a) == full(b) || fs::equivalent(a, b, ec);
  if (same) throw UsageError(option_a + " and " + option_b + " name the same file '" + b + "'");
}

}  // namespace numfactors
