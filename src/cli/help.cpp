/// @file help.cpp
#include "cli/help.hpp"

namespace numfactors {

std::string help_text() {
  return R"(Usage: numfactors [s|t|m|i] [[MIN] MAX] [options]
   or: numfactors merge FILE... [options]   (numfactors merge --help)

Histogram of the number of distinct prime factors omega(n) (or, with --count total,
Omega(n), counted with multiplicity) for every n in [MIN, MAX], printed as
{k: how many n}. Without arguments: the range [2, 500000].

Modes (the letter, or --mode NAME):
  s, serial    one chunk after another in one thread
  t, threads   a pool of threads taking chunks dynamically (the default)
  m, pool      a pool of worker processes (fork)
  i, mpi       MPI ranks, started with mpiexec -n N numfactors i ...; under
               mpiexec with more than one rank and no mode, MPI is the default
               (numfactors-mpi, beside numfactors, runs them)
MAX alone counts [2, MAX] (numfactors s 10 prints {1: 7, 2: 2}); MIN MAX counts
[MIN, MAX], as --min and --max do.

Options:
  --min LO           first number of the range (default 2; at least 1)
  --max HI           last number of the range (default 500000; up to 2^64-1)
  --mode NAME        serial, threads, pool or mpi
  --workers N        threads or processes (default: one per available core,
                     fewer where their memory would not fit; one for a run
                     estimated under 5 ms); an N whose memory would not fit is
                     refused
  --threads T        MPI mode: threads in each rank (default 1, or SLURM_CPUS_PER_TASK)
  --schedule NAME    MPI mode: static (chunks dealt out once, default) or dynamic
                     (handed out on request: for uneven ranks or machines)
  --part I/N         count only the I-th of N parts of [MIN, MAX] of equal
                     estimated cost for the method they will run (a job array's
                     task I of N; numfactors merge adds the parts' JSON results
                     up)
  --output FILE      write the result to FILE (whole, or not at all: a temporary
                     file renamed into place) instead of stdout ('-': stdout)
  --timeline FILE    write one CSV row per chunk: worker,start,end,lo,hi
  --checkpoint FILE  journal each finished chunk to FILE (synced to disk) and skip
                     the chunks FILE already holds: a killed or interrupted run,
                     run again with the same command, goes on where it stopped and
                     prints the histogram of the whole range. A FILE of another
                     range, count or chunk size is refused (exit 2), and so is the
                     wheel's FILE for another kernel and the other way round; any
                     other kernel resumes a FILE exactly. Without --chunk the
                     chunk size comes from FILE. MPI mode: rank 0 writes
                     FILE, and the dynamic schedule is used. json's seconds and
                     worker_stats describe this run's chunks only
  --progress         percent done, rate, elapsed time and ETA on stderr (redrawn
                     on a terminal, a line every 10 s and at the end elsewhere)
  --no-progress      none (the default when stderr is not a terminal)
  --method NAME      sieve (visit every number), analytic (count [1, MAX]
                     and [1, MIN-1] from prime counts: time ~MAX^0.75,
                     memory ~MAX^0.5) or auto (default: analytic when its
                     estimated time is lower, its table fits in 2 GiB and
                     neither --kernel nor --chunk is given; else sieve, e.g.
                     for windows under ~10^9 wide at 10^12; a --checkpoint
                     FILE that exists keeps the method that wrote it).
                     Analytic runs in every mode, journals finished walk
                     items with --checkpoint; --kernel and --chunk are
                     errors with it; json's worker_stats then count items
                     in "chunks" ("numbers" is 0)
  --chunk N          sieve: numbers per chunk, for the wheel values of m in
                     n = 2^a 3^b m (default: about 32 a worker, fewer where
                     the cost model says a chunk costs much: a few numbers far
                     from 1 are one chunk, a window near 2^64 whole passes)
  --kernel NAME      sieve method: auto (for each chunk the cheapest of factor,
                     hybrid and sieve by the cost model), sieve (segmented
                     sieve), wheel (the same over the numbers coprime to 6, for
                     ranges near 1: MAX up to 2^62-1), hybrid (the primes up
                     to a bound sieved out, the cofactors factored: windows of
                     10^3..10^6 far from 1), factor (each number factored on
                     its own: BPSW, rho, ECM) or trial (trial division);
                     default: wheel when MIN-1 < 2 MAX/3 and MAX < 2^62,
                     else auto
  --count NAME       distinct (omega, default) or total (Omega, with multiplicity)
  --format NAME      dict (default), json, table or csv
  -h, --help         this text
  --version          the version

Numbers may be written 1000000, 1e6, 2.5e9, 10^6, 2^64-1 or 10^12+39; values
beyond 2^64-1 = 18446744073709551615 are an error, never wrapped.

Examples:
  numfactors                          {1: 41724, 2: 150785, ...} for [2, 500000]
  numfactors s 10                     serial over [2, 10]: {1: 7, 2: 2}
  numfactors --max 1e9 --format table
                                      k, count, share in percent and a bar
  numfactors --min 2^64-10^6 --max 2^64-1 --count total --format json
                                      Omega(n) at the top of the range, as JSON
  numfactors m --workers 4 --timeline chunks.csv
                                      4 processes; a CSV row a chunk
  mpiexec -n 4 numfactors i --max 1e10 --schedule dynamic
                                      4 MPI ranks, chunks handed out on request
  numfactors --max 1e11 --method sieve --checkpoint run.ckpt
                                      journaled: the same command again resumes
  numfactors --max 1e14 --method analytic --progress
                                      the analytic method, with a progress bar

SIGINT (Ctrl-C), SIGTERM (scancel, a Slurm time limit) or SIGHUP (a closed
terminal) stops the run within a second: finished chunks are journaled (and an
analytic run's table so far is saved beside the journal), chunks still running
are given up and run again on resume, stderr says how to resume, nothing goes to
stdout, and the exit status is 130, 143 or 129. A second Ctrl-C ends it at once.

Exit status: 0 success, 1 runtime failure (also a result that cannot be written),
2 bad usage or input, 129/130/143 stopped by SIGHUP/SIGINT/SIGTERM.
)";
}

}  // namespace numfactors
