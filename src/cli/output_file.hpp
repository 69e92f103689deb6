/// @file output_file.hpp
/// @brief Files the command line writes besides stdout (--timeline): whole or not at all.
#pragma once

#include <string>

#include "exec/pending_file.hpp"

namespace numfactors {

/// A file written in one piece (PendingFile), made at once so that a place that cannot be written
/// fails before the run. A run that fails or is stopped leaves an earlier file of that name as it
/// was, and a run killed outright leaves no temporary file where the system allows. A symbolic link
/// is followed: the file it points to is replaced, never the link; an existing file keeps its mode,
/// and one this user may not write is refused.
class AtomicFile {
 public:
  /// `option` names the file in messages ("--timeline").
  AtomicFile(std::string path, std::string option);
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  /// Writes `text`, syncs, and renames it into place. Throws std::runtime_error (with the
  /// system's reason) when any of it fails.
  void commit(const std::string& text);

 private:
  std::string path_, option_;
  PendingFile file_;
};

/// The file a path ends at after its symbolic links (the path itself when it is none).
std::string link_target(const std::string& path);

/// True when `path` names the file open as descriptor `fd` (as /dev/stdout names fd 1).
bool names_descriptor(const std::string& path, int fd);

/// The file an --output FILE writes, or "" for stdout: `-` and a path to this process's stdout
/// (/dev/stdout) are stdout; a path to its stderr is refused (UsageError).
std::string output_path(const std::string& path);

/// Throws UsageError unless `path` can be a file of `option`'s own (--timeline, --checkpoint):
/// not `-` (stdout for --output), not this process's stdout or stderr (/dev/stdout, or the file
/// they were redirected to: the rename of a whole file would replace that file and lose what
/// went there), and a regular file if it exists (check_regular_file).
void check_own_file(const std::string& path, const std::string& option);

/// Throws UsageError when `path` exists and is not a regular file (a FIFO, a device, a
/// directory): what `option` writes must not block, read forever, or replace a device.
void check_regular_file(const std::string& path, const std::string& option);

/// Throws UsageError when the two paths name the same file (the same path, or the same inode).
void check_distinct_files(const std::string& a, const std::string& option_a, const std::string& b,
                          const std::string& option_b);

}  // namespace numfactors
