/// @file mpi_program.cpp
#include "cli/mpi_program.hpp"

#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <ostream>
#include <string>

#include "cli/app.hpp"

namespace numfactors {

int exec_mpi_program(char** argv, const char* name, std::ostream& err) {
  char self[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) {
    write_error_line(err, std::string("cannot find this program's folder to start ") + name +
                              " for MPI mode: /proc/self/exe: " + std::strerror(errno));
    return kExitFailure;
  }
  std::string path(self, static_cast<std::size_t>(n));
  path.erase(path.rfind('/') + 1);
  path += name;
  execv(path.c_str(), argv);
  write_error_line(
      err, "MPI mode needs " + path + " (installed beside numfactors): " + std::strerror(errno));
  return kExitFailure;
}

}  // namespace numfactors
