/// @file pmix_fences.cpp
/// @brief A test program for slurm_test.py: are PMIx fences barriers on this cluster? Open MPI's
/// MPI_Init ends with a PMIx fence; a rank that leaves it before its peers have entered may send
/// them an MPI message while they are still in MPI_Init, which Open MPI 4.1 does not survive.
///
/// Usage: pmix_fences COUNT DIR. Each rank runs COUNT fences (PMIx_Fence over its namespace, no
/// data). Before fence i it writes i to DIR/NAMESPACE.RANK (write and rename, so that a reader
/// sees a whole number); after it, it reads every other rank's file, which must say i or more.
/// Prints `rank R: COUNT fences, B released early` and exits 1 if B > 0 or a fence failed.
#include <pmix.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

std::string rank_file(const std::string& dir, const pmix_proc_t& proc, pmix_rank_t rank) {
  return dir + "/" + proc.nspace + "." + std::to_string(rank);
}

void write_reached(const std::string& path, int fence) {
  const std::string partial = path + ".partial";
  std::FILE* file = std::fopen(partial.c_str(), "w");
  if (file == nullptr || std::fprintf(file, "%d\n", fence) < 0 || std::fclose(file) != 0 ||
      std::rename(partial.c_str(), path.c_str()) != 0) {
    std::perror(path.c_str());
    std::exit(2);
  }
}

int read_reached(const std::string& path) {
  int fence = 0;  // no file yet: the rank has not reached fence 1
  if (std::FILE* file = std::fopen(path.c_str(), "r")) {
    if (std::fscanf(file, "%d", &fence) != 1) fence = -1;
    std::fclose(file);
  }
  return fence;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: pmix_fences COUNT DIR\n");
    return 2;
  }
  const int count = std::atoi(argv[1]);
  const std::string dir = argv[2];
  pmix_proc_t me;
  if (PMIx_Init(&me, nullptr, 0) != PMIX_SUCCESS) {
    std::fprintf(stderr, "pmix_fences: PMIx_Init failed\n");
    return 2;
  }
  pmix_proc_t job;
  PMIX_LOAD_PROCID(&job, me.nspace, PMIX_RANK_WILDCARD);
  pmix_value_t* value = nullptr;
  if (PMIx_Get(&job, PMIX_JOB_SIZE, nullptr, 0, &value) != PMIX_SUCCESS) {
    std::fprintf(stderr, "pmix_fences: no job size\n");
    return 2;
  }
  const pmix_rank_t size = value->data.uint32;
  PMIX_VALUE_RELEASE(value);

  int early = 0, failed = 0;
  for (int fence = 1; fence <= count; ++fence) {
    write_reached(rank_file(dir, me, me.rank), fence);
    const pmix_status_t status = PMIx_Fence(nullptr, 0, nullptr, 0);
    if (status != PMIX_SUCCESS) {
      std::printf("rank %u: fence %d: %s\n", me.rank, fence, PMIx_Error_string(status));
      ++failed;
    }
    for (pmix_rank_t rank = 0; rank < size; ++rank) {
      if (rank == me.rank) continue;
      const int reached = read_reached(rank_file(dir, me, rank));
      if (reached < fence) {
        if (early < 3) {
          std::printf("rank %u: fence %d released while rank %u was at fence %d\n", me.rank, fence,
                      rank, reached);
        }
        ++early;
      }
    }
  }
  std::printf("rank %u: %d fences, %d released early\n", me.rank, count, early);
  std::fflush(stdout);
  PMIx_Finalize(nullptr, 0);
  return early > 0 || failed > 0 ? 1 : 0;
}
