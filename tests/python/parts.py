"""@file parts.py
@brief What every framework test does on its workers: split [lo, hi] into parts, count each part
       with numfactors.histogram, merge the parts' histograms. Importable by the workers of every
       framework (spawned processes, ipyparallel engines, dask workers, MPI ranks), which find it
       on PYTHONPATH as ctest sets it.
"""
from collections import Counter


def split(lo, hi, parts):
    """[lo, hi] cut into `parts` consecutive ranges (lo, hi) that cover it exactly, widest first."""
    size = hi - lo + 1
    cuts = [lo + size * i // parts for i in range(parts + 1)]
    return [(cuts[i], cuts[i + 1] - 1) for i in range(parts) if cuts[i] <= cuts[i + 1] - 1]


def count_part(part, count="distinct", method="sieve"):
    """The histogram of one part, on one worker thread (the framework gives the parallelism)."""
    import numfactors  # here, so that a function shipped by value imports it on its worker

    lo, hi = part
    return numfactors.histogram(lo, hi, count=count, method=method, workers=1)


def merge(histograms):
    """The parts' histograms added up: {k: n}, keys ascending, as histogram() gives them."""
    total = Counter()
    for h in histograms:
        total.update(h)
    return dict(sorted(total.items()))


def count_part_where(part, count="distinct", method="sieve"):
    """(the worker's process id, the part's histogram): which worker counted it, too."""
    import os

    return os.getpid(), count_part(part, count, method)
