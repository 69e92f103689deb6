/// @file pending_file.cpp
#include "exec/pending_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace numfactors {

int write_all(int fd, const void* data, std::size_t size) {
  const auto* p = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t put = ::write(fd, p, size);
    if (put < 0 && errno == EINTR) continue;
    if (put < 0) return errno;
    p += put;
    size -= static_cast<std::size_t>(put);
  }
  return 0;
}

mode_t new_file_mode(mode_t requested) {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);)
    if (line.starts_with("Umask:"))
      return requested & ~static_cast<mode_t>(std::stoul(line.substr(6), nullptr, 8));
  const mode_t mask = ::umask(0);
  ::umask(mask);
  return requested & ~mask;
}

long name_max_beside(const std::string& path) {
  const std::string dir = std::filesystem::path(path).parent_path().string();
  return ::pathconf(dir.empty() ? "." : dir.c_str(), _PC_NAME_MAX);
}

int PendingFile::open(const std::string& path, mode_t mode) {
  path_ = path;
  // An unnamed file is made in the directory whatever the name: a name too long for it must
  // fail now, before the work, not at commit.
  const std::string name = std::filesystem::path(path_).filename().string();
  const std::string dir = std::filesystem::path(path_).parent_path().string();
  const long name_max = name_max_beside(path_);
  if (name_max > 0 && name.size() > static_cast<std::size_t>(name_max)) return ENAMETOOLONG;
  // The temporary name is the name and six letters, or, where that would be too long for the
  // directory, a short one of its own there (a rename stays within a directory either way).
  const bool fits = name_max <= 0 || name.size() + 7 <= static_cast<std::size_t>(name_max);
  template_ = fits ? path_ + ".XXXXXX" : (dir.empty() ? "" : dir + "/") + ".numfactors-XXXXXX";
#ifdef O_TMPFILE
  if (::access("/proc/self/fd", X_OK) == 0) {
    fd_ = ::open(dir.empty() ? "." : dir.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
    if (fd_ >= 0) {
      ::fchmod(fd_, mode);
      return 0;
    }
  }
#endif
  std::string temporary = template_;
  fd_ = ::mkstemp(temporary.data());
  if (fd_ < 0) return errno;
  ::fchmod(fd_, mode);
  temporary_ = temporary;
  return 0;
}

/// Gives the unnamed file fd_ the name of a fresh temporary file beside path_ (for rename).
int PendingFile::name_unnamed() {
  const std::string self = "/proc/self/fd/" + std::to_string(fd_);
  for (unsigned attempt = 0; attempt < 100; ++attempt) {
    std::string name = template_;
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

PendingFile::~PendingFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!temporary_.empty()) ::unlink(temporary_.c_str());
}

int PendingFile::commit(bool durable) {
  int error = !durable || ::fsync(fd_) == 0 ? 0 : errno;
  bool placed = false;
  if (error == 0 && temporary_.empty()) {
    // No file at the path yet: the unnamed file is linked there at once, with no moment in
    // which a temporary name exists. Else it is named, then renamed over the earlier file.
    const std::string self = "/proc/self/fd/" + std::to_string(fd_);
    placed = ::linkat(AT_FDCWD, self.c_str(), AT_FDCWD, path_.c_str(), AT_SYMLINK_FOLLOW) == 0;
    if (!placed && errno != EEXIST) error = errno;
    if (!placed && error == 0) error = name_unnamed();
  }
  if (::close(fd_) != 0 && error == 0) error = errno;
  fd_ = -1;
  if (error == 0 && !placed && ::rename(temporary_.c_str(), path_.c_str()) != 0) error = errno;
  if (error != 0) return error;
  temporary_.clear();
  if (!durable) return 0;
  // The rename is durable once the directory is synced.
  const std::string dir = std::filesystem::path(path_).parent_path().string();
  const int dir_fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
  return 0;
}

}  // namespace numfactors
