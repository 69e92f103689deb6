/// @file pending_file.hpp
/// @brief A file that appears whole or not at all: written where it has no name, then renamed
/// over its path. The result, the timeline and the analytic table's saved state are written so.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <string>

namespace numfactors {

/// Where the system allows (O_TMPFILE, and /proc/self/fd to name the file), the new file has no
/// name until commit(), so that a process killed outright (SIGKILL, out of memory, a second Ctrl-C)
/// leaves nothing behind, but for the instant of commit() in which it replaces an earlier file
/// (linked as PATH.XXXXXX, then renamed); elsewhere it is a temporary file PATH.XXXXXX beside the
/// path, removed by the destructor. Either way an earlier file at the path stays as it was until
/// the rename. Not thread-safe; the errors are errno values, for the caller to word.
class PendingFile {
 public:
  PendingFile() = default;
  ~PendingFile();  // an uncommitted file is dropped
  PendingFile(const PendingFile&) = delete;
  PendingFile& operator=(const PendingFile&) = delete;

  /// Makes the new file for `path` (which must not be a symbolic link: the caller resolves
  /// it) with permissions `mode` exactly (new_file_mode applies the umask). Returns 0 or the
  /// errno of the failure.
  int open(const std::string& path, mode_t mode);

  /// The new file's descriptor, to write to (-1 before open() and after commit()).
  int fd() const { return fd_; }

  /// Renames the file over the path. `durable`: first syncs it, and the directory after, so
  /// that the file is there after a power cut too (which takes seconds for a large file);
  /// either way a process that dies after the call leaves the whole file. Returns 0 or the
  /// errno of the first failure (the file is dropped).
  int commit(bool durable = true);

 private:
  int name_unnamed();

  std::string path_, temporary_;  // temporary_ is empty while the file has no name
  std::string template_;          // mkstemp's template for a temporary name beside path_
  int fd_ = -1;
};

/// The longest file name the directory of `path` takes (pathconf(_PC_NAME_MAX) of its parent,
/// "." for a bare name); 0 or less where it has no limit or cannot tell.
long name_max_beside(const std::string& path);

/// `requested` less this process's umask: the mode open() gives a new file. The umask is read
/// from /proc/self/status where it can be, since setting it to read it races with other threads.
mode_t new_file_mode(mode_t requested);

/// Writes `size` bytes at `data` to file descriptor `fd` whole; returns 0 or the errno of the
/// failure.
int write_all(int fd, const void* data, std::size_t size);

}  // namespace numfactors
