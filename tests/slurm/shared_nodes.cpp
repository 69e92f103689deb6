/// @file shared_nodes.cpp
/// @brief A test program for slurm_test.py: what Open MPI counts as one machine. Each rank prints
/// one line, `rank R of N: node NODE shared S groups G`: its Slurm node (SLURMD_NODENAME), the
/// size S of its MPI_COMM_TYPE_SHARED communicator, and the number G of such groups in the world,
/// found as numfactors' analytic method finds them (src/exec/mpi_analytic.cpp: the ranks that
/// share memory build one table; G > 1 groups build halves and swap them).
#include <mpi.h>

#include <cstdio>
#include <cstdlib>

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, size = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  MPI_Comm shared;
  MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &shared);
  int shared_rank = 0, shared_size = 0;
  MPI_Comm_rank(shared, &shared_rank);
  MPI_Comm_size(shared, &shared_size);
  int leader = shared_rank == 0 ? 1 : 0, groups = 0;  // one leader per group
  MPI_Allreduce(&leader, &groups, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  const char* node = std::getenv("SLURMD_NODENAME");
  std::printf("rank %d of %d: node %s shared %d groups %d\n", rank, size, node ? node : "-",
              shared_size, groups);
  std::fflush(stdout);
  MPI_Comm_free(&shared);
  MPI_Finalize();
  return 0;
}
