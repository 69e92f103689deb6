/// @file table_state.cpp
#include "exec/table_state.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <stdexcept>
#include <string_view>
#include <vector>

#include "exec/pending_file.hpp"
#include "exec/quoted.hpp"
#include "numfactors/errors.hpp"

namespace numfactors {
namespace {

/// A word-wise checksum (multiply-xor-rotate): a torn or altered block changes it, at memory
/// speed rather than FNV's byte at a time. Blocks are a whole number of 4-byte keys.
class BlockSum {
 public:
  void add(const unsigned char* p, std::size_t n) {
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) {
      std::uint64_t w;
      std::memcpy(&w, p + i, 8);
      mix(w);
    }
    for (; i < n; ++i) mix(p[i]);
  }
  std::uint64_t value() const { return h_; }
  /// The sum of the block and of the rounds the header claims: a header whose rounds were
  /// altered does not match its block (a state read as more or fewer rounds than it holds
  /// would give a wrong histogram, not an error).
  std::uint64_t value_with(std::uint64_t rounds) const {
    BlockSum with = *this;
    with.mix(rounds ^ 0x6A09E667F3BCC909ull);
    return with.h_;
  }

 private:
  void mix(std::uint64_t w) {
    h_ ^= w * 0x9E3779B97F4A7C15ull;
    h_ = (h_ << 27 | h_ >> 37) * 0xBF58476D1CE4E5B9ull;
  }
  std::uint64_t h_ = 0x243F6A8885A308D3ull;
};

std::string header_of(const PrimeCountTable& t, std::size_t rounds, std::uint64_t sum) {
  char hex[17];
  const auto [end, ec] = std::to_chars(hex, hex + 16, sum, 16);
  return "numfactors-table 1 n=" + std::to_string(t.n()) + " rounds=" + std::to_string(rounds) +
         " of=" + std::to_string(t.rounds()) + " bytes=" + std::to_string(t.key_bytes()) +
         " sum=" + std::string(hex, end) + "\n";
}

[[noreturn]] void refuse(const std::string& path, const std::string& why) {
  throw CheckpointError("table state " + quote_path(path) + " " + why +
                            ": delete it to build the table from the start",
                        path);
}

[[noreturn]] void damaged(const std::string& path, const std::string& why) {
  throw TableStateDamaged("table state " + quote_path(path) + " " + why, path);
}

[[noreturn]] void failed(const std::string& what, const std::string& path) {
  throw std::runtime_error("cannot " + what + " table state " + quote_path(path) + ": " +
                           std::strerror(errno));
}

struct Header {
  std::size_t rounds = 0;
  std::uint64_t sum = 0;
  std::size_t length = 0;  // bytes of the header line
};

/// The header of the file at fd, checked against the table.
Header read_header(int fd, const std::string& path, const PrimeCountTable& table) {
  char buf[256];
  const ssize_t got = ::pread(fd, buf, sizeof buf, 0);
  if (got < 0) failed("read", path);
  const std::string_view text(buf, static_cast<std::size_t>(got));
  const auto nl = text.find('\n');
  if (nl == std::string_view::npos) damaged(path, "has no header");
  Header h;
  h.length = nl + 1;
  const std::string line(text.substr(0, nl));
  unsigned long long rounds = 0, sum = 0;
  const std::string prefix = "numfactors-table 1 n=" + std::to_string(table.n()) + " rounds=";
  if (!line.starts_with(prefix)) refuse(path, "is not the table of " + std::to_string(table.n()));
  const std::string rest = line.substr(prefix.size());
  const std::string middle = " of=" + std::to_string(table.rounds()) +
                             " bytes=" + std::to_string(table.key_bytes()) + " sum=";
  const auto at = rest.find(middle);
  if (at == std::string::npos) refuse(path, "does not fit the table of " + std::to_string(table.n()));
  const auto r = std::from_chars(rest.data(), rest.data() + at, rounds);
  const auto s = std::from_chars(rest.data() + at + middle.size(), rest.data() + rest.size(), sum, 16);
  if (r.ec != std::errc() || r.ptr != rest.data() + at || s.ec != std::errc() ||
      s.ptr != rest.data() + rest.size() || rounds > table.rounds())
    damaged(path, "has a damaged header");
  h.rounds = static_cast<std::size_t>(rounds);
  h.sum = sum;
  return h;
}

}  // namespace

std::string TableState::path_for(const std::string& journal, u64 n) {
  return journal + ".table-" + std::to_string(n);
}

std::optional<std::size_t> TableState::rounds_in(const std::string& path,
                                                 const PrimeCountTable& table) {
  // O_NONBLOCK: a FIFO in its place would block the open.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    if (errno == ENOENT) return std::nullopt;
    failed("open", path);
  }
  try {
    struct stat st {};
    if (::fstat(fd, &st) != 0) failed("read", path);
    if (!S_ISREG(st.st_mode)) refuse(path, "is not a regular file");
    const Header h = read_header(fd, path, table);
    // The whole block is checked now, so that reading it into the table later cannot fail on a
    // bad file (with MPI that happens on rank 0 alone, inside a collective build).
    BlockSum sum;
    std::vector<unsigned char> buf(1 << 20);
    std::size_t done = 0;
    for (;;) {
      const ssize_t got = ::pread(fd, buf.data(), buf.size(), static_cast<off_t>(h.length + done));
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) failed("read", path);
      if (got == 0) break;
      sum.add(buf.data(), static_cast<std::size_t>(got));
      done += static_cast<std::size_t>(got);
    }
    if (done != table.key_bytes()) damaged(path, "does not have the size its header says");
    if (sum.value_with(h.rounds) != h.sum) damaged(path, "does not match its checksum");
    ::close(fd);
    return h.rounds;
  } catch (...) {
    ::close(fd);
    throw;
  }
}

void TableState::load(const std::string& path, PrimeCountTable& table) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) failed("open", path);
  try {
    const Header h = read_header(fd, path, table);
    auto* keys = static_cast<unsigned char*>(table.keys());
    const std::size_t bytes = table.key_bytes();
    BlockSum sum;
    for (std::size_t done = 0; done < bytes;) {
      const ssize_t got = ::pread(fd, keys + done, std::min<std::size_t>(bytes - done, 1 << 24),
                                  static_cast<off_t>(h.length + done));
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) failed("read", path);
      if (got == 0) damaged(path, "is shorter than its header says");
      sum.add(keys + done, static_cast<std::size_t>(got));
      done += static_cast<std::size_t>(got);
    }
    if (sum.value_with(h.rounds) != h.sum) damaged(path, "does not match its checksum");
    ::close(fd);
  } catch (...) {
    ::close(fd);
    throw;
  }
}

void TableState::save(const std::string& path, const PrimeCountTable& table,
                      std::size_t rounds_done) {
  const auto* keys = static_cast<const unsigned char*>(table.keys());
  const std::size_t bytes = table.key_bytes();
  BlockSum sum;
  sum.add(keys, bytes);
  const std::string header = header_of(table, rounds_done, sum.value_with(rounds_done));
  // No name until whole: a save cut short (a second Ctrl-C, MPI's SIGKILL) leaves no
  // half-written file beside the journal. Not synced: mpiexec's SIGKILL follows its SIGTERM
  // by a second, too soon to sync hundreds of MB, and a state a power cut tore fails its
  // checksum when read.
  PendingFile file;
  int error = file.open(path, new_file_mode(0644));
  if (error == 0) error = write_all(file.fd(), header.data(), header.size());
  if (error == 0) error = write_all(file.fd(), keys, bytes);
  if (error == 0) error = file.commit(false);
  if (error != 0) {
    errno = error;
    failed("write", path);
  }
}

}  // namespace numfactors
