"""numfactors: histograms of omega(n) and Omega(n) over any range inside [1, 2**64-1].

omega(n) counts the distinct prime factors of n, Omega(n) counts them with multiplicity
(omega(12) = 2, Omega(12) = 3; both are 0 for n = 1). A histogram maps k to how many n of the
range have k factors:

    >>> import numfactors
    >>> numfactors.histogram(2, 10)
    {1: 7, 2: 2}
    >>> numfactors.histogram(2, 10, count="total")
    {1: 4, 2: 4, 3: 1}
    >>> r = numfactors.run(10**12, 10**12 + 10**7, method="sieve")
    >>> r.histogram, r.seconds, r.workers            # doctest: +SKIP

The counting is the C++ library's (the same as the numfactors program's): exact for every range,
on every core of this process's affinity mask by default, with the GIL released, so calls from
several Python threads run at the same time. A long call answers Ctrl-C within a chunk's time
(KeyboardInterrupt; chunks last up to about a second by default, pass chunk= for shorter).

Errors: ValueError for a request that asking otherwise fixes (an empty range, an int outside
[1, 2**64-1], an unknown or conflicting choice, method="analytic" whose table would not fit in
memory), TypeError for an argument of the wrong type, MemoryError when memory runs out,
RuntimeError when the system refuses a thread or a process.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Callable, Optional, Union

from . import _numfactors

__version__: str = _numfactors.__version__

#: The names each choice accepts, from the library's tables (the command line's too).
COUNTS: tuple[str, ...] = _numfactors.choices("count")
METHODS: tuple[str, ...] = _numfactors.choices("method")
KERNELS: tuple[str, ...] = _numfactors.choices("kernel")
#: mode="mpi" is the numfactors program's (under mpiexec); from Python use mpi4py.
MODES: tuple[str, ...] = tuple(m for m in _numfactors.choices("mode") if m != "mpi")

#: 2**64-1, the largest hi.
MAX: int = 2**64 - 1

ProgressCallback = Callable[[float, float], object]

__all__ = ["histogram", "run", "Result", "WorkerStats", "COUNTS", "METHODS", "KERNELS", "MODES",
           "MAX", "__version__"]


@dataclass(frozen=True)
class WorkerStats:
    """One worker of a run: a thread ("thread 0") or a pool process ("process 1")."""

    name: str
    chunks: int  #: tasks it did: chunks of the range (sieve) or walk items (analytic)
    numbers: int  #: numbers of the range its chunks counted (0 for walk items)
    busy_seconds: float  #: time it spent counting


@dataclass(frozen=True)
class Result:
    """What run() returns: the histogram and how the run went."""

    histogram: dict[int, int]  #: {k: how many n}, keys ascending, only non-zero counts
    lo: int
    hi: int
    count: str  #: "distinct" (omega) or "total" (Omega)
    method: str  #: "sieve" or "analytic", as planned (never "auto")
    kernel: Optional[str]  #: the sieve method's kernel; None for the analytic method
    mode: str  #: "serial", "threads" or "pool"
    chunk_size: Optional[int]  #: the sieve method's numbers a chunk; None for analytic
    workers: list[WorkerStats] = field(repr=False)
    tasks: int  #: chunks (sieve) or walk items (analytic) of the run
    seconds: float  #: wall time of the run, as the library measured it
    #: time.monotonic() when the counting started and ended (the GIL released in between)
    started: float = field(repr=False)
    finished: float = field(repr=False)

    @property
    def total(self) -> int:
        """How many numbers were counted: hi - lo + 1."""
        return sum(self.histogram.values())


def _text_progress() -> tuple[ProgressCallback, Callable[[], None]]:
    """A percentage on stderr, for progress=True where tqdm is not installed."""
    shown = [-1]

    def update(done: float, total: float) -> None:
        percent = int(100 * done / total) if total > 0 else 0
        if percent != shown[0]:
            shown[0] = percent
            sys.stderr.write(f"\rnumfactors: {percent:3d}%")
            sys.stderr.flush()

    def close() -> None:
        if shown[0] >= 0:
            sys.stderr.write("\n")
            sys.stderr.flush()

    return update, close


def _tqdm_progress(lo: int, hi: int) -> Optional[tuple[ProgressCallback, Callable[[], None]]]:
    """A tqdm bar in percent of the run's work (tqdm.auto: a widget in a notebook)."""
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    bar = tqdm(total=100, desc=f"numfactors [{lo}, {hi}]", unit="%",
               bar_format="{desc}: {percentage:3.0f}%|{bar}| {elapsed}<{remaining}")

    def update(done: float, total: float) -> None:
        target = 100.0 * done / total if total > 0 else 0.0
        bar.update(max(0.0, min(100.0, target) - bar.n))

    return update, bar.close


def _progress_hooks(progress: Union[bool, ProgressCallback, None], lo: object, hi: object
                    ) -> tuple[Optional[ProgressCallback], Callable[[], None]]:
    """The callable the run calls (from the calling thread) and what to do when it ends."""
    if progress is None or progress is False:
        return None, lambda: None
    if progress is True:
        hooks = _tqdm_progress(lo, hi) or _text_progress()  # type: ignore[arg-type]
        return hooks
    if callable(progress):
        return progress, lambda: None
    raise TypeError("progress must be a bool or a callable(done, total), not "
                    + type(progress).__name__)


def histogram(lo: int, hi: int, *, count: str = "distinct", method: str = "auto",
              kernel: Optional[str] = None, workers: Optional[int] = None,
              mode: str = "threads", chunk: Optional[int] = None,
              progress: Union[bool, ProgressCallback] = False) -> dict[int, int]:
    """The histogram of omega(n) (or Omega(n)) over [lo, hi]: {k: how many n}.

    Exactly the numfactors program's histogram: Python ints, exact up to hi = 2**64-1, keys
    ascending, only non-zero counts. histogram(2, 10) is {1: 7, 2: 2}.

    Args:
      lo, hi: the range, 1 <= lo <= hi <= 2**64-1 (ints, or objects with __index__).
      count: "distinct" for omega(n), "total" for Omega(n) (with multiplicity).
      method: "auto" (the planner picks the cheaper), "sieve" (visits every number, about
        1 ns a number on a core) or "analytic" (counts prefixes [1, N] from prime count tables,
        for wide ranges: about 0.3 s for [1, 10**12]; memory about 7 sqrt(hi) bytes).
      kernel: the sieve method's kernel, "auto" (per chunk the cheapest of "factor", "hybrid"
        and "sieve"), "sieve", "wheel" (ranges near 1), "hybrid" (a sieve of small primes,
        then each cofactor factored), "factor" (each number factored alone) or "trial" (trial
        division, the slow reference); None for the planner's choice.
      workers: threads or processes; None for every core (one for runs of a few milliseconds).
      mode: "threads" (default), "pool" (forked worker processes) or "serial".
      chunk: numbers a chunk of the sieve method; None for the planner's (up to 2**28).
        Ctrl-C and cancellation wait for running chunks: smaller chunks answer sooner.
      progress: True for a tqdm bar (a percentage on stderr without tqdm), or a callable
        progress(done, total) called on this thread about every 50 ms while the run moves, done
        and total in units of estimated work (done / total is the fraction done).

    Raises:
      ValueError: an empty range, lo = 0, an int outside [1, 2**64-1], an unknown or
        conflicting choice, a kernel that cannot count the range, or method="analytic" for a
        table beyond the memory limit.
      TypeError: a non-int lo, hi, workers or chunk (floats too), or a non-str choice.
      MemoryError: memory ran out.
      KeyboardInterrupt: Ctrl-C (SIGINT) during the call; the run stops within a chunk's time.
    """
    callback, close = _progress_hooks(progress, lo, hi)
    try:
        return _numfactors.histogram(lo, hi, count, method, kernel, workers, mode, chunk, callback)
    finally:
        close()


def run(lo: int, hi: int, *, count: str = "distinct", method: str = "auto",
        kernel: Optional[str] = None, workers: Optional[int] = None, mode: str = "threads",
        chunk: Optional[int] = None, progress: Union[bool, ProgressCallback] = False) -> Result:
    """Like histogram(), with how the run went: a Result with .histogram, .workers (a
    WorkerStats each), .seconds, .method, .kernel, .mode, .chunk_size, .tasks, .started and
    .finished. Same arguments and errors as histogram().

    >>> r = numfactors.run(10**12, 10**12 + 10**7, method="sieve", workers=2)
    >>> r.method, r.kernel, r.chunk_size, r.tasks
    ('sieve', 'auto', 5000001, 2)
    >>> [(w.name, w.chunks, w.numbers) for w in r.workers]  # how chunks fall varies  # doctest: +SKIP
    [('thread 0', 1, 5000001), ('thread 1', 1, 5000000)]
    """
    callback, close = _progress_hooks(progress, lo, hi)
    try:
        d = _numfactors.run(lo, hi, count, method, kernel, workers, mode, chunk, callback)
    finally:
        close()
    d["workers"] = [WorkerStats(*w) for w in d["workers"]]
    return Result(**d)
