/// @file help.cpp
#include "cli/help.hpp"

namespace nf {

std::string help_text() {
  return R"(Usage: numfactors [s|t|m|i] [N] [options]

Histogram of the number of distinct prime factors omega(n) (or, with --count total,
Omega(n), counted with multiplicity) for every n in [MIN, MAX], printed as
{k: how many n}. Without arguments: the range [2, 500000] on all cores.

Modes (the letter, or --mode NAME):
  s, serial    one chunk after another in one thread
  t, threads   a pool of threads taking chunks dynamically (the default)
  m, pool      a pool of worker processes (fork)
  i, mpi       MPI ranks, started with mpiexec -n N numfactors i ...; under
               mpiexec with more than one rank and no mode, MPI is the default
N sets MAX (as --max does): numfactors s 10 prints {1: 7, 2: 2}.

Options:
  --min LO           first number of the range (default 2; at least 1)
  --max HI           last number of the range (default 500000; up to 2^64-1)
  --mode NAME        serial, threads, pool or mpi
  --workers N        threads or processes (default: one per available core)
  --threads T        MPI mode: threads in each rank (default 1, or SLURM_CPUS_PER_TASK)
  --schedule NAME    MPI mode: static (chunks dealt out once, default) or dynamic
                     (handed out on request: for uneven ranks or machines)
  --timeline FILE    write one CSV row per chunk: worker,start,end,lo,hi
  --chunk N          numbers per chunk of work (default: many chunks per worker)
  --kernel NAME      sieve (segmented sieve, default) or trial (trial division)
  --count NAME       distinct (omega, default) or total (Omega, with multiplicity)
  --format NAME      dict (default), json, table or csv
  -h, --help         this text
  --version          the version

Numbers may be written 1000000, 1e6, 10^6, 2^64-1 or 10^12+39; values
beyond 2^64-1 = 18446744073709551615 are an error, never wrapped.

Examples:
  numfactors                          {1: 41724, 2: 150785, ...} for [2, 500000]
  numfactors s 10                     serial over [2, 10]: {1: 7, 2: 2}
  numfactors --max 1e9 --format table
  numfactors --min 2^64-10^6 --max 2^64-1 --count total --format json
  numfactors m --workers 4 --timeline chunks.csv
  mpiexec -n 4 numfactors i --max 1e10 --schedule dynamic

Exit status: 0 success, 1 runtime failure, 2 bad usage or input.
)";
}

}  // namespace nf
