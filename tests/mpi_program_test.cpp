/// @file mpi_program_test.cpp
/// @brief numfactors links no MPI library; an MPI run becomes numfactors-mpi from the same folder
/// (tests/mpi runs it under mpiexec), and without that program says so in one line. A build
/// without MPI refuses MPI mode with status 2.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "child_process.hpp"

namespace numfactors {
namespace {

namespace fs = std::filesystem;

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// Sets (or with nullptr unsets) an environment variable for one scope.
class ScopedVariable {
 public:
  ScopedVariable(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old, had_ = true;
    if (value != nullptr)
      setenv(name, value, 1);
    else
      unsetenv(name);
  }
  ~ScopedVariable() {
    if (had_)
      setenv(name_.c_str(), old_.c_str(), 1);
    else
      unsetenv(name_.c_str());
  }

 private:
  std::string name_, old_;
  bool had_ = false;
};

TEST(MpiProgram, NumfactorsNamesNoMpiLibrary) {
  // A shared library a program needs is named in its file (DT_NEEDED): none of MPI's may be.
  const std::string bytes = file_bytes(NUMFACTORS_BINARY);
  ASSERT_FALSE(bytes.empty());
  EXPECT_EQ(bytes.find("libmpi"), std::string::npos);
  EXPECT_EQ(bytes.find("libboost_mpi"), std::string::npos);
}

#ifdef NUMFACTORS_HAVE_MPI
TEST(MpiProgram, WithoutNumfactorsMpiBesideItAnMpiRunFailsInOneLine) {
  const fs::path dir = fs::temp_directory_path() / ("numfactors_alone_" + std::to_string(getpid()));
  fs::create_directories(dir);
  const fs::path alone = dir / "numfactors";
  fs::copy_file(NUMFACTORS_BINARY, alone, fs::copy_options::overwrite_existing);
  const ScopedVariable plain_size("OMPI_COMM_WORLD_SIZE", nullptr);
  const ScopedVariable plain_pmi("PMI_SIZE", nullptr);
  const ScopedVariable plain_pmix("PMIX_RANK", nullptr);

  // Every other mode still runs from there.
  const test::Finished s = test::run_program(alone, {"s", "10"});
  EXPECT_EQ(s.status, 0) << s.err;
  EXPECT_EQ(s.out, "{1: 7, 2: 2}\n");

  const std::string expected_error = "numfactors: error: MPI mode needs " +
                                     (dir / "numfactors-mpi").string() +
                                     " (installed beside numfactors): No such file or directory\n";
  for (const bool by_launcher : {false, true}) {
    const ScopedVariable launcher("OMPI_COMM_WORLD_SIZE", by_launcher ? "2" : nullptr);
    const std::vector<std::string> args =
        by_launcher ? std::vector<std::string>{} : std::vector<std::string>{"i"};
    const test::Finished o = test::run_program(alone, args);
    EXPECT_EQ(o.status, 1) << by_launcher;
    EXPECT_EQ(o.out, "");
    EXPECT_EQ(o.err, expected_error);
  }
  fs::remove_all(dir);
}
#else
TEST(MpiProgram, MpiModeSaysItWasBuiltWithoutMpi) {
  const test::Finished o = test::run_program(NUMFACTORS_BINARY, {"i"});
  EXPECT_EQ(o.status, 2);
  EXPECT_EQ(o.out, "");
  EXPECT_NE(o.err.find("numfactors: error: this numfactors was built without MPI"),
            std::string::npos)
      << o.err;
}
#endif

}  // namespace
}  // namespace numfactors
