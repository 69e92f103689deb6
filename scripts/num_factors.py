#!/usr/bin/env python3
"""The seed assignment ("Assignment 7"), as asked there: factorize every number from 2 to 500000
with the naive factorize(), count the unique factors of each, and print the histogram of those
counts as a dictionary, e.g. {1: 7, 2: 2} for 2..10.

    num_factors.py s [N]     serially
    num_factors.py m [N]     with a multiprocessing.Pool (some numbers on each process)
    mpiexec -n 2 num_factors.py i [N]
                             on MPI ranks with scatter/gather (mpi4py, Debian's python3-mpi4py),
                             standing in for the seed's IPython.parallel cluster

It is the speed baseline of scripts/bench and an independent cross-check of small ranges.
"""
import multiprocessing
import sys
from collections import Counter


def factorize(n):
    """The assignment's function, unchanged but for integer division (n / p is a float in Python 3)."""
    if n < 2:
        return []
    factors = []
    p = 2

    while True:
        if n == 1:
            return factors
        r = n % p
        if r == 0:
            factors.append(p)
            n = n // p
        elif p * p >= n:
            factors.append(n)
            return factors
        elif p > 2:
            p += 2
        else:
            p += 1


def num_unique_factors(n):
    return len(set(factorize(n)))


def histogram(counts):
    return dict(sorted(Counter(counts).items()))


def serial(numbers):
    return histogram(map(num_unique_factors, numbers))


def pooled(numbers):
    with multiprocessing.Pool() as pool:
        return histogram(pool.map(num_unique_factors, numbers, chunksize=1000))


def mpi(numbers):
    try:
        from mpi4py import MPI
    except ImportError:
        sys.exit("num_factors.py: error: mode i needs mpi4py (apt-get install python3-mpi4py)")
    comm = MPI.COMM_WORLD
    size, rank = comm.Get_size(), comm.Get_rank()
    # Cyclic slices: the cost of factorize grows with n, so blocks would not be balanced.
    parts = [numbers[r::size] for r in range(size)] if rank == 0 else None
    mine = comm.scatter(parts, root=0)
    local = Counter(map(num_unique_factors, mine))
    gathered = comm.gather(local, root=0)
    if rank != 0:
        sys.exit(0)
    return dict(sorted(sum(gathered, Counter()).items()))


def main(argv):
    modes = {"s": serial, "m": pooled, "i": mpi}
    if len(argv) == 2 and argv[1] in ("-h", "--help"):
        print(__doc__.strip())
        return
    if len(argv) not in (2, 3) or argv[1] not in modes:
        sys.exit("usage: num_factors.py s|m|i [N]")
    try:
        top = int(argv[2]) if len(argv) == 3 else 500000
    except ValueError:
        sys.exit("num_factors.py: error: N must be an integer")
    if top < 2:
        sys.exit("num_factors.py: error: N must be at least 2")
    print(modes[argv[1]](range(2, top + 1)))


if __name__ == "__main__":
    main(sys.argv)
