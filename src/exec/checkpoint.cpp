/// @file checkpoint.cpp
#include "exec/checkpoint.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "exec/pending_file.hpp"
#include "exec/quoted.hpp"
#include "numfactors/errors.hpp"

namespace numfactors {
namespace {

constexpr u64 kFnvBasis = 1469598103934665603ull;

/// FNV-1a of `s`, continued from `h`.
u64 fnv1a(std::string_view s, u64 h = kFnvBasis) {
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

std::string hex(u64 v) {
  char buf[17];
  auto [end, ec] = std::to_chars(buf, buf + 16, v, 16);
  return std::string(buf, end);
}

[[noreturn]] void system_error(const std::string& what, const std::string& path,
                               int error = errno) {
  throw std::runtime_error(what + " checkpoint " + quote_path(path) + ": " + std::strerror(error));
}

bool parse_u64(std::string_view s, u64& v) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && end == s.data() + s.size();
}

/// "chunk I k:n,k:n CHECKSUM" -> index and histogram; false if malformed or the checksum fails.
/// The checksum is FNV-1a of the body continued from `key` (the hash of the journal's header
/// line): a record copied from the journal of another run (another count, say) fails it.
/// Records of journals written before the key was added carry the body's own hash.
bool parse_record(std::string_view line, u64 key, u64& index, Histogram& h) {
  const auto last_space = line.rfind(' ');
  if (last_space == std::string_view::npos) return false;
  const std::string_view body = line.substr(0, last_space);
  u64 sum = 0;
  auto [end, ec] = std::from_chars(line.data() + last_space + 1, line.data() + line.size(), sum, 16);
  if (ec != std::errc() || end != line.data() + line.size() ||
      (sum != fnv1a(body, key) && sum != fnv1a(body)))
    return false;
  if (!body.starts_with("chunk ")) return false;
  const std::string_view rest = body.substr(6);
  const auto space = rest.find(' ');
  if (space == std::string_view::npos || !parse_u64(rest.substr(0, space), index)) return false;
  std::string_view bins = rest.substr(space + 1);
  while (!bins.empty()) {
    const auto comma = bins.find(',');
    const std::string_view item = bins.substr(0, comma);
    const auto colon = item.find(':');
    u64 k = 0, n = 0;
    if (colon == std::string_view::npos || !parse_u64(item.substr(0, colon), k) ||
        !parse_u64(item.substr(colon + 1), n) || k > Histogram::kMaxKey)
      return false;
    h.add(static_cast<unsigned>(k), n);
    bins = comma == std::string_view::npos ? std::string_view{} : bins.substr(comma + 1);
  }
  return true;
}

/// Who holds the flock on the file `st` describes, from /proc/locks: "pid 123, numfactors", or
/// "another process" when it is not listed (a lock taken on another machine of a network file
/// system).
std::string lock_holder(const struct stat& st) {
  std::ifstream locks("/proc/locks");
  char device[64];
  std::snprintf(device, sizeof device, "%02x:%02x:%llu", major(st.st_dev), minor(st.st_dev),
                static_cast<unsigned long long>(st.st_ino));
  for (std::string line; std::getline(locks, line);) {
    std::istringstream fields(line);
    std::string id, kind, mode, access, pid, where;
    if (!(fields >> id >> kind >> mode >> access >> pid >> where) || kind != "FLOCK") continue;
    if (where != device) continue;
    std::ifstream comm("/proc/" + pid + "/comm");
    std::string name;
    std::getline(comm, name);
    return "pid " + pid + (name.empty() ? "" : ", " + name);
  }
  return "another process";
}

}  // namespace

std::string CheckpointHeader::text() const {
  std::string t = "numfactors-checkpoint 1 min=" + std::to_string(range.lo) +
                  " max=" + std::to_string(range.hi) + " count=" + to_string(count);
  if (method == Method::analytic)
    return t + " method=analytic" + (balanced_items ? " items=balanced" : "");
  return t + (space == Space::wheel ? " space=wheel" : " space=numbers") +
         " chunk=" + std::to_string(chunk_size);
}

std::optional<CheckpointHeader> CheckpointHeader::parse(std::string_view line) {
  constexpr std::string_view kMagic = "numfactors-checkpoint 1";
  if (!line.starts_with(kMagic)) return std::nullopt;
  CheckpointHeader h;
  bool min = false, max = false, count = false, space = false, chunk = false, items = false;
  for (std::string_view rest = line.substr(kMagic.size()); !rest.empty();) {
    if (rest[0] != ' ') return std::nullopt;
    rest.remove_prefix(1);
    const std::string_view field = rest.substr(0, rest.find(' '));
    rest.remove_prefix(field.size());
    const auto eq = field.find('=');
    if (eq == std::string_view::npos) return std::nullopt;
    const std::string_view key = field.substr(0, eq), value = field.substr(eq + 1);
    bool ok = false;
    if (key == "min") {
      ok = !min && parse_u64(value, h.range.lo);
      min = true;
    } else if (key == "max") {
      ok = !max && parse_u64(value, h.range.hi);
      max = true;
    } else if (key == "count") {
      const auto c = parse_choice<Count>(value);
      ok = !count && c.has_value();
      if (c) h.count = *c;
      count = true;
    } else if (key == "method") {
      ok = value == "analytic" && h.method != Method::analytic;
      h.method = Method::analytic;
    } else if (key == "space") {
      ok = !space && (value == "numbers" || value == "wheel");
      h.space = value == "wheel" ? Space::wheel : Space::numbers;
      space = true;
    } else if (key == "kernel") {  // before spaces were recorded: sieve, trial or wheel
      ok = !space && (value == "sieve" || value == "trial" || value == "wheel");
      h.space = value == "wheel" ? Space::wheel : Space::numbers;
      space = true;
    } else if (key == "items") {
      ok = !items && value == "balanced";
      h.balanced_items = items = true;
    } else if (key == "chunk") {
      ok = !chunk && parse_u64(value, h.chunk_size) && h.chunk_size > 0;
      chunk = true;
    }
    if (!ok) return std::nullopt;
  }
  const bool sieve_fields = space && chunk;
  if (!min || !max || !count ||
      (h.method == Method::analytic ? space || chunk : !sieve_fields || items))
    return std::nullopt;
  return h;
}

std::optional<CheckpointHeader> CheckpointHeader::read(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  char buf[512];
  const ssize_t got = ::read(fd, buf, sizeof buf);
  ::close(fd);
  if (got <= 0) return std::nullopt;
  const std::string_view text(buf, static_cast<std::size_t>(got));
  const auto nl = text.find('\n');
  if (nl == std::string_view::npos) return std::nullopt;
  return parse(text.substr(0, nl));
}

CheckpointHeader CheckpointHeader::of(const Job& job) {
  return {job.range,      job.count,
          job.method,     space_of(job.kernel),
          job.chunk_size, job.method == Method::analytic};
}

JournalFormat JournalFormat::of(const Plan& plan) {
  const CheckpointHeader header{plan.range, plan.count, Method::sieve,
                                CheckpointHeader::space_of(plan.kernel), plan.chunk_size};
  return {header.text(), 1, [plan](u64 index, const Histogram& h) {
            return index < plan.chunk_count() && h.total() == plan.numbers_in_chunk(index);
          }};
}

JournalFormat JournalFormat::of(const Job& job) {
  if (job.method != Method::analytic)
    return of(Plan{job.range, job.count, job.kernel, job.chunk_size});
  const unsigned prefixes = job.range.lo > 1 ? 2 : 1;
  return {CheckpointHeader::of(job).text(), 2,
          [prefixes](u64 index, const Histogram&) { return index % 2 < prefixes; }};
}

bool still_named(int fd, const std::string& path) {
  struct stat open_file {
  }, named{};
  return ::fstat(fd, &open_file) == 0 && ::stat(path.c_str(), &named) == 0 &&
         open_file.st_dev == named.st_dev && open_file.st_ino == named.st_ino;
}

Checkpoint::Checkpoint(std::string path, const JournalFormat& format, double sync_seconds)
    : path_(std::move(path)), sync_seconds_(sync_seconds) {
  state_.sums.resize(format.parts);
  // O_NONBLOCK: a FIFO would block in open(); it is refused below, as is any file that is not
  // a regular one (/dev/zero would be read forever).
  // O_EXCL first, to know whether this run made the file: one it made and could not start (a
  // full disk) is removed again rather than left empty. (A dangling link's target is made by
  // the second open, so it counts as found, and stays.)
  constexpr int kFlags = O_RDWR | O_CREAT | O_CLOEXEC | O_NONBLOCK;
  for (int attempt = 1;; ++attempt) {
    fd_ = ::open(path_.c_str(), kFlags | O_EXCL, 0644);
    created_ = fd_ >= 0;
    if (!created_ && errno == EEXIST) fd_ = ::open(path_.c_str(), kFlags, 0644);
    if (fd_ < 0) system_error("cannot open", path_);
    struct stat st {};
    if (::fstat(fd_, &st) != 0) system_error("cannot open", path_);
    if (!S_ISREG(st.st_mode)) {
      ::close(fd_);
      fd_ = -1;
      throw CheckpointError("checkpoint " + quote_path(path_) + " is not a regular file", path_);
    }
    ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) & ~O_NONBLOCK);
    // One run a journal: two would interleave their records.
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      const int error = errno;
      const std::string holder = error == EWOULDBLOCK ? lock_holder(st) : "";
      ::close(fd_);
      fd_ = -1;
      if (error != EWOULDBLOCK) {
        if (created_) ::unlink(path_.c_str());
        errno = error;
        system_error("cannot lock", path_);
      }
      throw CheckpointError("checkpoint " + quote_path(path_) + " is in use by another run (" +
                                holder + "): wait for it to end, or use another file",
                            path_);
    }
    // A run that made the file and gave it up unlinks it before it lets the lock go: a lock
    // taken on a file opened just before that has no name any more. Open it again.
    if (still_named(fd_, path_)) break;
    ::close(fd_);
    fd_ = -1;
    if (attempt == 8)
      throw CheckpointError("checkpoint " + quote_path(path_) +
                                " was removed or replaced while it was "
                                "being opened, again and again: use another file",
                            path_);
  }
  // Whatever the file holds, a refused journal must not keep the lock (and the fd).
  try {
    read_journal(format);
  } catch (...) {
    if (created_) ::unlink(path_.c_str());
    ::close(fd_);
    fd_ = -1;
    throw;
  }
}

void Checkpoint::remove_if_unused() {
  if (created_ && fd_ >= 0 && saved() == 0 && pending_count_ == 0) {
    ::unlink(path_.c_str());
    ::close(fd_);
    fd_ = -1;
  }
}

void Checkpoint::read_journal(const JournalFormat& format) {
  const auto impossible_record = [this](u64 index) {
    return CheckpointError("checkpoint " + quote_path(path_) +
                               " has an impossible record for chunk " + std::to_string(index) +
                               ": use another file or delete it",
                           path_);
  };
  std::string text;
  char buf[1 << 16];
  for (ssize_t got; (got = ::read(fd_, buf, sizeof buf)) != 0;) {
    if (got < 0) {
      if (errno == EINTR) continue;
      system_error("cannot read", path_);
    }
    text.append(buf, static_cast<std::size_t>(got));
  }

  const std::string& head = format.header;
  std::size_t good_end = 0;  // bytes of the file that hold whole, valid lines
  // Empty, or a header torn while the file was being created: (re)write the header.
  if (text.size() <= head.size() && (head + "\n").starts_with(text)) {
    const std::string line = head + "\n";
    key_ = fnv1a(line);
    if (::ftruncate(fd_, 0) != 0 || ::lseek(fd_, 0, SEEK_SET) != 0) system_error("cannot reset", path_);
    if (const int error = write_all(fd_, line.data(), line.size()); error != 0)
      system_error("cannot write", path_, error);
    if (::fsync(fd_) != 0) system_error("cannot sync", path_);
    return;
  }
  const auto first_newline = text.find('\n');
  const auto found = CheckpointHeader::parse(std::string_view(text).substr(0, first_newline));
  const auto ours = CheckpointHeader::parse(head);
  // An analytic journal an earlier version wrote, of exact items: the run goes on with them.
  state_.exact_items = found && ours && ours->balanced_items && !found->balanced_items;
  // The same run: the same header, or one an earlier version wrote for it (kernel=sieve where
  // this one says space=numbers; exact analytic items).
  const auto same_run = [&] {
    if (text.compare(0, first_newline, head) == 0) return true;
    if (!found || !ours) return false;
    CheckpointHeader as_ours = *found;
    as_ours.balanced_items = ours->balanced_items;
    return as_ours == *ours;
  };
  if (first_newline == std::string::npos || !same_run()) {
    // Whatever the file holds reaches the terminal printable and short: a header is ASCII.
    std::string found = text.substr(0, std::min(first_newline, std::size_t{120}));
    for (char& c : found)
      if (c < 0x20 || c > 0x7e) c = '?';
    if (found.size() < std::min(first_newline, text.size())) found += "...";
    throw CheckpointError("checkpoint " + quote_path(path_) + " belongs to another run (" + found +
                              "; this run is " + head + "): use another file or delete it",
                          path_);
  }
  good_end = first_newline + 1;
  key_ = fnv1a(std::string_view(text).substr(0, good_end));
  while (good_end < text.size()) {
    const auto nl = text.find('\n', good_end);
    u64 index = 0;
    Histogram h;
    const bool ok = nl != std::string::npos &&
                    parse_record(std::string_view(text).substr(good_end, nl - good_end), key_,
                                 index, h);
    if (!ok) {
      // Only the last line can be torn by a crash; damage before it is not ours to guess about.
      if (nl != std::string::npos && nl + 1 < text.size())
        throw CheckpointError("checkpoint " + quote_path(path_) + " is corrupt at byte " +
                                  std::to_string(good_end) + ": use another file or delete it",
                              path_);
      state_.torn_record = true;
      break;
    }
    if (!format.possible(index, h)) throw impossible_record(index);
    state_.done.push_back(index);
    state_.done_count += 1;
    state_.done_numbers += h.total();
    state_.sums[index % format.parts] += h;
    good_end = nl + 1;
  }
  std::sort(state_.done.begin(), state_.done.end());
  if (const auto twice = std::adjacent_find(state_.done.begin(), state_.done.end());
      twice != state_.done.end())
    throw impossible_record(*twice);
  if (state_.torn_record &&
      (::ftruncate(fd_, static_cast<off_t>(good_end)) != 0 || ::fsync(fd_) != 0))
    system_error("cannot repair", path_);
  if (::lseek(fd_, 0, SEEK_END) < 0) system_error("cannot seek in", path_);
}

Checkpoint::~Checkpoint() {
  if (fd_ < 0) return;
  try {
    flush();
  } catch (const std::exception&) {
    // Unsaved records are only work to redo; a destructor has nobody to tell.
  }
  ::close(fd_);
}

void Checkpoint::record(u64 index, const Histogram& h) {
  std::string body = "chunk " + std::to_string(index) + " ";
  bool first = true;
  for (unsigned k = 0; k <= Histogram::kMaxKey; ++k) {
    if (h[k] == 0) continue;
    if (!first) body += ',';
    first = false;
    body += std::to_string(k) + ":" + std::to_string(h[k]);
  }
  pending_ += body + " " + hex(fnv1a(body, key_)) + "\n";
  ++pending_count_;
  const std::chrono::duration<double> since = std::chrono::steady_clock::now() - last_sync_;
  if (since.count() >= sync_seconds_) flush();
}

void Checkpoint::flush() {
  if (pending_.empty()) return;
  // One write() for all: a crash tears at most the last line, which reopening drops.
  if (const int error = write_all(fd_, pending_.data(), pending_.size()); error != 0)
    system_error("cannot write", path_, error);
  if (::fdatasync(fd_) != 0) system_error("cannot sync", path_);
  appended_ += pending_count_;
  pending_.clear();
  pending_count_ = 0;
  last_sync_ = std::chrono::steady_clock::now();
}

}  // namespace numfactors
