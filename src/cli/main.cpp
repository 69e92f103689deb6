/// @file main.cpp
/// @brief main() of both programs, built from the library and the cli layer:
///   numfactors      (NUMFACTORS_MPI_SIBLING set: links no MPI, so that the runs without MPI
///                    start fast) hands an MPI run to numfactors-mpi by exec;
///   numfactors-mpi  (NUMFACTORS_MPI_PROGRAM set) starts MPI for it.
/// Built without MPI, numfactors alone says that MPI mode is missing.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "cli/app.hpp"
#include "cli/interrupt.hpp"
#include "cli/launch.hpp"
#include "cli/merge.hpp"
#include "cli/mpi_program.hpp"
#include "cli/output_file.hpp"

namespace {

/// Whether fd 1 was closed when the program started. Closed descriptors 0-2 are opened on
/// /dev/null at once: a file opened later (the checkpoint journal) must not become fd 1 and take
/// what is meant for stdout.
bool stdout_was_closed = false;

void keep_standard_descriptors_open() {
  for (int fd = 0; fd <= 2; ++fd)
    if (::fcntl(fd, F_GETFD) == -1 && errno == EBADF) {
      if (fd == 1) stdout_was_closed = true;
      ::open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);  // takes the lowest free descriptor: fd
    }
}

/// The program's stdout: text held until a flush writes it to fd 1 whole (the report is written
/// and flushed in one piece, before the timeline is put in place), or the end. The first error
/// is kept, and later flushes fail (the stream's badbit).
class Stdout final : public std::stringbuf {
 public:
  int error = 0;

 protected:
  int sync() override {
    const std::string text = str();
    str("");
    if (!text.empty() && error == 0)
      error = stdout_was_closed ? EBADF : numfactors::write_all(1, text.data(), text.size());
    return error == 0 ? 0 : -1;
  }
};

/// Writes what is left of the program's stdout and closes fd 1, checking both: a result that
/// cannot be written (a full disk, a closed stdout) is a failure, not a success with nothing
/// printed.
int deliver(Stdout& stdout_text, int status) {
  stdout_text.pubsync();
  int error = stdout_text.error;
  if (error == 0 && ::close(1) != 0 && !stdout_was_closed) error = errno;
  if (error == 0) return status;
  numfactors::write_error_line(
      std::cerr,
      std::string("cannot write the result to standard output: ") + std::strerror(error));
  return status == 0 ? numfactors::kExitFailure : status;
}

}  // namespace

int main(int argc, char** argv) {
  keep_standard_descriptors_open();
  // A file past `ulimit -f` then fails its write with EFBIG, reported as a full disk is, where
  // SIGXFSZ's default would end the process with no word and the result lost.
  std::signal(SIGXFSZ, SIG_IGN);
  const std::vector<std::string> args(argv + 1, argv + argc);
  Stdout stdout_text;
  std::ostream out(&stdout_text);
  const numfactors::Launch launch = numfactors::current_launch();
  if (!args.empty() && args[0] == "merge") {
    // No MPI program: started as several tasks (mpiexec, srun), the first merges and prints.
    if (launch.tasks > 1 && launch.index != 0) return numfactors::kExitOk;
    const std::vector<std::string> rest(args.begin() + 1, args.end());
    const int status = numfactors::run_merge(rest, out, std::cerr);
    return deliver(stdout_text, status);
  }
  // Before MPI could start (and print pages about a launch it cannot join): one line, from one
  // task, and status 2 from every task.
  if (const auto problem = numfactors::launch_problem(launch, numfactors::requested_mode(args))) {
    if (launch.index == 0) numfactors::write_error_line(std::cerr, *problem);
    return numfactors::kExitUsage;
  }
#if defined(NUMFACTORS_MPI_SIBLING)
  if (numfactors::mpi_wanted(args))
    return numfactors::exec_mpi_program(argv, NUMFACTORS_MPI_SIBLING, std::cerr);
#elif defined(NUMFACTORS_MPI_PROGRAM)
  if (numfactors::mpi_wanted(args)) {
    // MPI starts here and only here: in MPI mode, before anything else runs.
    std::unique_ptr<numfactors::MpiSession> mpi;
    try {
      // MPI's threads block the stop signals, so that the run's own thread takes them.
      const numfactors::StopSignalsHeld held;
      mpi = numfactors::start_mpi(argc, argv);
    } catch (const std::exception& e) {
      numfactors::write_error_line(std::cerr, std::string("cannot start MPI: ") + e.what());
      return numfactors::kExitFailure;
    }
    const int status = numfactors::run_mpi_app(*mpi, args, out, std::cerr);
    return deliver(stdout_text, status);
  }
#endif
  const int status = numfactors::run_app(args, out, std::cerr);
  return deliver(stdout_text, status);
}
