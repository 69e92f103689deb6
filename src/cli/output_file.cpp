/// @file output_file.cpp
#include "cli/output_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "cli/usage_error.hpp"
#include "exec/quoted.hpp"

namespace numfactors {
namespace {

[[noreturn]] void failed(const std::string& option, const std::string& path, int error) {
  throw std::runtime_error("cannot write " + option + " file " + quote_path(path) + ": " +
                           std::strerror(error));
}

}  // namespace

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
    throw UsageError("--output " + quote_path(path) + " is this process's stderr");
  return path;
}

AtomicFile::AtomicFile(std::string path, std::string option)
    : path_(link_target(path)), option_(std::move(option)) {
  // A loop, or a chain longer than link_target follows: writing would replace a link.
  std::error_code ec;
  if (std::filesystem::is_symlink(std::filesystem::symlink_status(path_, ec)))
    failed(option_, path, ELOOP);
  check_regular_file(path_, option_);
  // The file keeps its mode, and a file this user may not write is refused as `>` would; a new
  // file gets the mode `>` would give it (mkstemp's 0600 would make it private).
  struct stat st {};
  mode_t mode = 0;
  const bool existing = ::stat(path_.c_str(), &st) == 0;
  if (existing) {
    if (::access(path_.c_str(), W_OK) != 0) failed(option_, path_, errno);
    mode = st.st_mode & 07777;
  } else {
    mode = new_file_mode(0666);
  }
  if (const int error = file_.open(path_, mode); error != 0) failed(option_, path_, error);
  // And its owner and group, where this user may give them (root; others keep it themselves,
  // as with any program that replaces a file). A chown clears the set-user-ID and set-group-ID
  // bits: the mode is set again after it.
  if (existing && ::fchown(file_.fd(), st.st_uid, st.st_gid) == 0) ::fchmod(file_.fd(), mode);
}

void AtomicFile::commit(const std::string& text) {
  int error = write_all(file_.fd(), text.data(), text.size());
  if (error == 0) error = file_.commit();
  if (error != 0) failed(option_, path_, error);
}

void check_own_file(const std::string& path, const std::string& option) {
  if (path == "-")
    throw UsageError(option + " '-': " + option + " writes a file of its own, not stdout");
  if (names_descriptor(path, STDOUT_FILENO))
    throw UsageError(option + " " + quote_path(path) + " is this process's stdout");
  if (names_descriptor(path, STDERR_FILENO))
    throw UsageError(option + " " + quote_path(path) + " is this process's stderr");
  check_regular_file(path, option);
}

void check_regular_file(const std::string& path, const std::string& option) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return;  // absent: it will be made
  if (!S_ISREG(st.st_mode))
    throw UsageError(option + " " + quote_path(path) + " is not a regular file");
}

void check_distinct_files(const std::string& a, const std::string& option_a, const std::string& b,
                          const std::string& option_b) {
  if (a.empty() || b.empty()) return;
  // link_target first: a link to a file not made yet (that the other option makes) resolves to
  // nothing; absolute() next: weakly_canonical leaves a relative path that does not exist as it is.
  namespace fs = std::filesystem;
  // A path that cannot be resolved (too long, say) is compared as it is: two such paths are not
  // the same file only because both resolved to nothing; opening it will say what is wrong.
  const auto full = [](const std::string& p) {
    std::error_code ec;
    auto resolved = fs::weakly_canonical(fs::absolute(link_target(p)), ec);
    return ec ? fs::path(p) : resolved;
  };
  std::error_code ec;
  const bool same = full(a) == full(b) || fs::equivalent(a, b, ec);
  if (same)
    throw UsageError(option_a + " and " + option_b + " name the same file " + quote_path(b));
}

}  // namespace numfactors
