"""@file test_api.py
@brief numfactors.histogram and numfactors.run against the published histograms, the numfactors
       program's JSON and an independent factorizer; their results, errors, progress, version and
       type stub.
"""
import ast
import doctest
import inspect
import os
import random
import re
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

import numfactors
from reference import BINARY, cli_report, known_cases, reference_histogram

MAX = 2**64 - 1


@pytest.mark.parametrize("case", known_cases(), ids=lambda c: f"{c['lo']}-{c['hi']}-{c['count']}")
def test_published_histograms(case):
    expected = {int(k): v for k, v in case["histogram"].items()}
    got = numfactors.histogram(case["lo"], case["hi"], count=case["count"])
    assert got == expected
    assert list(got) == sorted(got)


def test_the_seed_example():
    assert numfactors.histogram(2, 10) == {1: 7, 2: 2}
    assert numfactors.histogram(2, 10, count="total") == {1: 4, 2: 4, 3: 1}


@pytest.mark.parametrize("lo, hi, flags, kwargs", [
    (2, 500000, [], {}),
    (1, 1, [], {}),
    (10**12, 10**12 + 10**6, ["--count", "total"], {"count": "total"}),
    (1, 10**11, ["--method", "analytic"], {"method": "analytic"}),
    (2, 10**7, ["--method", "sieve", "--kernel", "wheel"], {"method": "sieve", "kernel": "wheel"}),
    (10**18, 10**18 + 10**6, ["--mode", "pool", "--workers", "2"], {"mode": "pool", "workers": 2}),
    (MAX - 10**6, MAX, ["--count", "total"], {"count": "total"}),
    (10**9, 10**9 + 10**5, ["--mode", "serial"], {"mode": "serial"}),
    (3, 10**6, ["--method", "sieve", "--kernel", "trial"], {"method": "sieve", "kernel": "trial"}),
])
def test_same_as_the_program(lo, hi, flags, kwargs):
    report = cli_report(lo, hi, *flags)
    assert numfactors.histogram(lo, hi, **kwargs) == report["histogram"]
    r = numfactors.run(lo, hi, **kwargs)
    assert r.histogram == report["histogram"]
    assert (r.method, r.kernel, r.mode, len(r.workers)) == (
        report["method"], report["kernel"], report["mode"], report["workers"])


@pytest.mark.parametrize("count", ["distinct", "total"])
@pytest.mark.parametrize("where", ["2^64-1", "random"])
def test_windows_against_an_independent_factorizer(count, where):
    rng = random.Random(20240607)
    lo = MAX - 399 if where == "2^64-1" else rng.randrange(10**15, MAX - 400)
    hi = lo + 399
    assert numfactors.histogram(lo, hi, count=count) == reference_histogram(lo, hi, count)


def test_values_are_python_ints():
    h = numfactors.histogram(1, 10**12, method="analytic")
    assert all(type(k) is int and type(v) is int for k, v in h.items())
    assert sum(h.values()) == 10**12
    assert h[0] == 1  # omega(1) = 0, the only such n
    assert h == cli_report(1, 10**12, "--method", "analytic")["histogram"]


def test_hi_may_be_2_to_the_64_minus_1():
    h = numfactors.histogram(MAX - 9, MAX)
    assert sum(h.values()) == 10
    # 2^64-1 = 3 * 5 * 17 * 257 * 641 * 65537 * 6700417: 7 distinct primes.
    assert numfactors.histogram(MAX, MAX) == {7: 1}


def test_numpy_integers_are_accepted():
    assert numfactors.histogram(np.uint64(2), np.int32(10)) == {1: 7, 2: 2}


def test_numpy_bools_are_refused_as_bools_are():
    for flag in (True, np.bool_(True)):
        with pytest.raises(TypeError, match="must be an int, not"):
            numfactors.histogram(flag, 10)


def test_run_result():
    lo, hi = 10**12, 10**12 + 4 * 10**6
    before = time.monotonic()
    r = numfactors.run(lo, hi, method="sieve", workers=2, chunk=10**5)
    after = time.monotonic()
    assert r.histogram == numfactors.histogram(lo, hi)
    assert (r.lo, r.hi, r.count, r.method, r.kernel, r.mode) == (
        lo, hi, "distinct", "sieve", "auto", "threads")
    assert r.chunk_size == 10**5 and r.tasks == 41
    assert [w.name for w in r.workers] == ["thread 0", "thread 1"]
    assert sum(w.chunks for w in r.workers) == r.tasks
    assert sum(w.numbers for w in r.workers) == hi - lo + 1 == r.total
    assert all(w.busy_seconds > 0 for w in r.workers)
    # started and finished are time.monotonic() readings taken inside the call.
    assert before <= r.started <= r.finished <= after
    assert 0 < r.seconds <= r.finished - r.started + 1e-3


def test_run_result_of_the_analytic_method():
    r = numfactors.run(1, 10**10, method="analytic", count="total")
    assert (r.method, r.kernel, r.chunk_size, r.count) == ("analytic", None, None, "total")
    assert r.histogram == cli_report(1, 10**10, "--method", "analytic", "--count",
                                     "total")["histogram"]


def test_pool_mode_reports_processes():
    r = numfactors.run(10**12, 10**12 + 10**6, mode="pool", workers=2)
    assert r.mode == "pool"
    assert [w.name for w in r.workers] == ["process 0", "process 1"]


def test_choices_come_from_the_library():
    assert numfactors.COUNTS == ("distinct", "total")
    assert set(numfactors.METHODS) == {"sieve", "analytic", "auto"}
    assert set(numfactors.KERNELS) == {"sieve", "wheel", "trial", "factor", "hybrid", "auto"}
    assert numfactors.MODES == ("serial", "threads", "pool")


def test_version_is_the_programs():
    out = subprocess.run([BINARY, "--version"], capture_output=True, text=True, check=True).stdout
    assert out.splitlines()[0].split() == ["numfactors", numfactors.__version__]


# Bad arguments: the exception and the words of its message.
@pytest.mark.parametrize("args, kwargs, error, words", [
    ((0, 10), {}, ValueError, "lo must be at least 1 (got 0)"),
    ((10, 2), {}, ValueError, "empty range: lo 10 is greater than hi 2"),
    ((-1, 10), {}, ValueError, "lo=-1 is negative: numbers are ints in [1, 2**64-1]"),
    ((2, 2**64), {}, ValueError, "hi=18446744073709551616 is beyond 2**64-1"),
    ((2, 10), {"workers": -2}, ValueError,
     "workers=-2 is negative: workers is None or an int in [1, 4096]"),
    ((2, 10), {"chunk": 2**64}, ValueError, "chunk is None or an int in [1, 2**64-1]"),
    ((2.0, 10), {}, TypeError, "lo must be an int, not float"),
    ((2, "10"), {}, TypeError, "hi must be an int, not str"),
    ((True, 10), {}, TypeError, "lo must be an int, not bool"),
    ((2, None), {}, TypeError, "hi must be an int, not NoneType"),
    ((2, 10), {"count": "unique"}, ValueError,
     "unknown count 'unique'; choose one of distinct, total"),
    ((2, 10), {"count": 1}, TypeError, "count must be a str"),
    ((2, 10), {"method": "fast"}, ValueError, "unknown method 'fast'; choose one of"),
    ((2, 10), {"kernel": "sieves"}, ValueError,
     "unknown kernel 'sieves' (did you mean 'sieve'?); choose one of"),
    ((2, 10), {"count": "totl"}, ValueError, "unknown count 'totl' (did you mean 'total'?)"),
    ((2, 10), {"mode": "mpi"}, ValueError, "mode='mpi' needs processes started by mpiexec"),
    ((2, 10), {"mode": "process"}, ValueError, "unknown mode 'process'"),
    ((2, 10), {"workers": 0}, ValueError, "workers must be at least 1 (got 0)"),
    ((2, 10), {"workers": 5000}, ValueError, "workers must be at most 4096 (got 5000)"),
    ((2, 10), {"workers": 1.5}, TypeError, "workers must be an int, not float"),
    ((2, 10), {"chunk": 0}, ValueError, "chunk must be at least 1 (got 0)"),
    ((2, 10), {"mode": "serial", "workers": 2}, ValueError,
     "workers=2 with mode='serial', which runs one worker (use mode='threads' or 'pool')"),
    ((2, 10), {"method": "analytic", "kernel": "wheel"}, ValueError,
     "kernel='wheel' is a kernel of the sieve method; method='analytic' visits no numbers "
     "(use method='sieve', kernel='wheel')"),
    ((2, 10), {"method": "analytic", "chunk": 100}, ValueError,
     "chunk cuts the range for the sieve method"),
    ((10**15, 10**15 + 10), {"kernel": "wheel"}, ValueError,
     "kernel='wheel' sieves [1, hi] and is for ranges near 1"),
    ((2, 2**63), {"kernel": "wheel"}, ValueError, "kernel='wheel' counts up to 2**62-1"),
    ((2, 10**19), {"method": "analytic"}, ValueError,
     re.compile(r"^method='analytic' would need about \d+ MiB a process for the prime count "
                r"table of 10000000000000000000 \(at most 2048 MiB\); use method='sieve'")),
    ((2, 10), {"progress": "yes"}, TypeError, "progress must be a bool or a callable"),
])
@pytest.mark.parametrize("function", [numfactors.histogram, numfactors.run],
                         ids=["histogram", "run"])
def test_bad_arguments(function, args, kwargs, error, words):
    with pytest.raises(error) as info:
        function(*args, **kwargs)
    assert type(info.value) is error
    if isinstance(words, re.Pattern):
        assert words.search(str(info.value)), str(info.value)
    else:
        assert words in str(info.value)


def test_running_out_of_memory_is_a_memory_error():
    # Sieving near 10^18 needs its primes up to 10^9 (tens of MiB): with the address space held
    # to what the process has mapped plus 16 MiB, the allocation fails (std::bad_alloc).
    script = (
        "import resource, numfactors\n"
        "size = int(open('/proc/self/statm').read().split()[0]) * resource.getpagesize()\n"
        "resource.setrlimit(resource.RLIMIT_AS, (size + (16 << 20), resource.RLIM_INFINITY))\n"
        "try:\n"
        "    numfactors.histogram(10**18, 10**18 + 10**7, method='sieve', mode='serial')\n"
        "except MemoryError as e:\n"
        "    print('MemoryError:', e)\n")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120)
    assert proc.stdout.startswith("MemoryError: out of memory"), proc.stdout + proc.stderr


def test_more_workers_than_memory_holds_is_a_value_error_before_any_work():
    # 4096 threads, each with a chunk, under a 1 GiB address space: their stacks alone are
    # 32 GiB.
    script = (
        "import resource, numfactors\n"
        "resource.setrlimit(resource.RLIMIT_AS, (1 << 30, resource.RLIM_INFINITY))\n"
        "try:\n"
        "    numfactors.histogram(10**15, 10**15 + 10**9, workers=4096)\n"
        "except ValueError as e:\n"
        "    print('ValueError:', e)\n")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60)
    assert re.match(r"ValueError: workers=4096 would need about \d+ MiB \(\d+ MiB a worker\), "
                    r"and ulimit -v \(RLIMIT_AS\) allows 1024 MiB; use fewer workers$",
                    proc.stdout), proc.stdout + proc.stderr


def test_progress_callable_is_called_on_the_calling_thread():
    calls = []
    lo, hi = 10**12, 10**12 + 2 * 10**8
    h = numfactors.histogram(lo, hi, method="sieve", chunk=10**6,
                             progress=lambda done, total: calls.append(
                                 (threading.get_ident(), done, total)))
    assert sum(h.values()) == hi - lo + 1
    assert len(calls) >= 2
    assert {c[0] for c in calls} == {threading.get_ident()}
    dones = [c[1] for c in calls]
    assert dones == sorted(dones) and dones[0] > 0
    total = calls[-1][2]
    assert total > 0 and dones[-1] == pytest.approx(total)


def test_progress_callable_on_a_tiny_call_still_sees_the_end():
    calls = []
    numfactors.histogram(2, 10, progress=lambda done, total: calls.append((done, total)))
    assert calls and calls[-1][0] == pytest.approx(calls[-1][1])


def test_an_exception_of_the_progress_callable_stops_the_run():
    def fail(done, total):
        raise LookupError("stop here")

    start = time.monotonic()
    with pytest.raises(LookupError, match="stop here"):
        # About 10^3 s of work on one core; chunks of 10^6 numbers (about 10 ms).
        numfactors.histogram(10**15, 10**15 + 10**11, method="sieve", chunk=10**6, progress=fail)
    assert time.monotonic() - start < 5


def test_progress_true_draws_a_tqdm_bar(capsys):
    numfactors.histogram(10**12, 10**12 + 10**8, method="sieve", progress=True)
    err = capsys.readouterr().err
    assert "numfactors [1000000000000, 1000100000000]" in err and "100%" in err


def test_progress_true_without_tqdm_prints_percentages(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)  # import tqdm.auto fails
    numfactors.histogram(10**12, 10**12 + 10**8, method="sieve", progress=True)
    err = capsys.readouterr().err
    assert "numfactors: 100%" in err and err.endswith("\n")


def test_signatures_and_docstrings():
    for f in (numfactors.histogram, numfactors.run):
        params = inspect.signature(f).parameters
        assert list(params) == ["lo", "hi", "count", "method", "kernel", "workers", "mode",
                                "chunk", "progress"]
        assert all(params[p].kind is inspect.Parameter.KEYWORD_ONLY for p in list(params)[2:])
        assert "Raises" in f.__doc__ or "errors" in f.__doc__
    assert "{1: 7, 2: 2}" in numfactors.histogram.__doc__


def test_stub_names_what_the_compiled_module_has():
    from numfactors import _numfactors
    stub = os.path.join(os.path.dirname(numfactors.__file__), "_numfactors.pyi")
    tree = ast.parse(open(stub).read())
    stubbed = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    compiled = {n for n in dir(_numfactors) if not n.startswith("_")}
    assert stubbed == compiled
    assert os.path.exists(os.path.join(os.path.dirname(numfactors.__file__), "py.typed"))
    # Each stubbed function takes the parameters the compiled one names in its signature.
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            names = [a.arg for a in node.args.args]
            doc = getattr(_numfactors, node.name).__doc__
            assert doc.startswith(f"{node.name}(" + ": ".join(names[:1]))
            assert all(f"{n}:" in doc.splitlines()[0] for n in names)


def test_docstring_examples():
    failures, tried = doctest.testmod(numfactors, extraglobs={"numfactors": numfactors})
    assert tried >= 5 and failures == 0
