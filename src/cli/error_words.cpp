/// @file error_words.cpp
#include "cli/error_words.hpp"

#include <new>
#include <ostream>
#include <string>
#include <string_view>

#include "numfactors/errors.hpp"

namespace numfactors {
namespace {

std::string conflict_words(const ConflictError& e) {
  switch (e.kind) {
    case ConflictError::Kind::kernel_with_analytic:
      return "--kernel " + e.value + " is a kernel of the sieve method; --method analytic visits "
             "no numbers (use --method sieve --kernel " + e.value + ")";
    case ConflictError::Kind::chunk_with_analytic:
      return "--chunk cuts the range for the sieve method; --method analytic cuts its own work "
             "into items";
    case ConflictError::Kind::threads_outside_mpi:
      return "--threads sets the threads of each MPI rank; in " + e.value +
             " mode use --workers";
    case ConflictError::Kind::schedule_outside_mpi:
      return "--schedule applies to MPI mode; " + e.value +
             " mode always hands out chunks on request";
    case ConflictError::Kind::workers_in_serial:
      return "--workers " + e.value + " with serial mode, which runs one worker (use threads "
             "or pool mode)";
    case ConflictError::Kind::workers_in_mpi:
      return "--workers does not apply to MPI mode: mpiexec -n N sets the ranks and --threads T "
             "the threads of each rank";
  }
  return e.what();
}

/// The message and status of the exception being handled.
std::pair<std::string, int> words() {
  try {
    throw;
  } catch (const TableTooLarge& e) {
    const std::string limit = e.limited_by == "the table budget"
                                  ? " (at most " + std::to_string(e.limit >> 20) + " MiB)"
                                  : ", and " + e.limited_by + " allows " +
                                        std::to_string(e.limit >> 20) + " MiB";
    return {"--method analytic would need about " + std::to_string(e.bytes >> 20) +
                " MiB a process for the prime count table of " + std::to_string(e.n) + limit +
                "; use --method sieve, which needs little memory, or a smaller --max",
            kExitUsage};
  } catch (const TooManyWorkers& e) {
    const std::string flag = e.per_rank ? "--threads" : "--workers";
    const std::string ranks =
        e.ranks > 1 ? " in each of the " + std::to_string(e.ranks) + " ranks of a machine" : "";
    return {flag + " " + std::to_string(e.workers) + ranks + " would need about " +
                std::to_string(e.bytes >> 20) + " MiB (" +
                std::to_string((e.worker_bytes >> 20) + 1) + " MiB a worker" +
                (e.per_rank && e.ranks <= 1 ? ", in each rank" : "") + "), and " + e.limited_by +
                " allows " + std::to_string(e.limit >> 20) + " MiB; use fewer " + flag,
            kExitUsage};
  } catch (const KernelRangeError& e) {
    if (e.kernel == KernelKind::wheel && e.range.hi > (u64{1} << 62) - 1)
      return {"--kernel wheel counts up to 2^62-1; use --kernel sieve beyond", kExitUsage};
    if (e.kernel == KernelKind::wheel)
      return {"--kernel wheel sieves [1, MAX] and is for ranges near 1 (MIN-1 at most 2 MAX/3); "
              "use --kernel sieve for this window",
              kExitUsage};
    return {e.what(), kExitUsage};
  } catch (const ConflictError& e) {
    return {conflict_words(e), kExitUsage};
  } catch (const InvalidRequest& e) {
    return {e.what(), kExitUsage};
  } catch (const Unavailable& e) {
    return {std::string(e.what()) + " (mode 'mpi', letter i); use --mode pool or threads",
            kExitUsage};
  } catch (const std::bad_alloc&) {
    return {out_of_memory_words(false), kExitFailure};
  } catch (const std::exception& e) {
    return {e.what(), kExitFailure};
  } catch (...) {
    return {"unknown failure", kExitFailure};
  }
}

}  // namespace

std::string out_of_memory_words(bool mpi_rank) {
  return std::string("out of memory; try a smaller --chunk or fewer ") +
         (mpi_rank ? "--threads" : "--workers");
}

std::string printable(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  const auto byte_at = [&](std::size_t i) {
    return i < text.size() ? static_cast<unsigned char>(text[i]) : 0u;
  };
  // The length of the well-formed UTF-8 character at i that is not a C1 control, else 0.
  const auto character = [&](std::size_t i) -> std::size_t {
    const unsigned lead = byte_at(i);
    const std::size_t n = lead >= 0xf0 && lead <= 0xf4 ? 4
                          : lead >= 0xe0               ? 3
                          : lead >= 0xc2               ? 2
                                                       : 0;
    if (n == 0 || lead > 0xf4) return 0;
    for (std::size_t k = 1; k < n; ++k)
      if ((byte_at(i + k) & 0xc0) != 0x80) return 0;
    if (lead == 0xc2 && byte_at(i + 1) <= 0x9f) return 0;  // U+0080-U+009F: C1 (CSI...)
    return n;
  };
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const unsigned char byte = byte_at(i);
    if (byte >= 0x20 && byte < 0x7f) {
      out += text[i++];
    } else if (const std::size_t n = byte >= 0x80 ? character(i) : 0; n > 0) {
      out.append(text.substr(i, n));
      i += n;
    } else {
      if (byte == '\n') out += "\\n";
      else if (byte == '\t') out += "\\t";
      else out.append("\\x").append(1, kHex[byte >> 4]).append(1, kHex[byte & 15]);
      ++i;
    }
  }
  return out;
}

void write_error_line(std::ostream& err, const std::string& message) {
  err << ("numfactors: error: " + printable(message) + "\n") << std::flush;
}

int report_current_exception(std::ostream& err) {
  const auto [message, status] = words();
  write_error_line(err, message);
  return status;
}

}  // namespace numfactors
