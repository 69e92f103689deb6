"""@file test_multiprocessing.py
@brief The standard library's process pools: a range split into parts, each part counted by
       numfactors.histogram in a worker process, the parts merged: exactly the single call's
       histogram and the program's.
"""
import concurrent.futures
import functools
import multiprocessing

import pytest

import numfactors
from parts import count_part, merge, split
from reference import cli_report

LO, HI = 10**12, 10**12 + 4 * 10**7


@pytest.fixture(scope="module")
def expected():
    h = numfactors.histogram(LO, HI, method="sieve")
    assert h == cli_report(LO, HI, "--method", "sieve")["histogram"]
    return h


@pytest.mark.parametrize("start_method", ["fork", "spawn"])
def test_pool_map(expected, start_method):
    with multiprocessing.get_context(start_method).Pool(2) as pool:
        parts = pool.map(count_part, split(LO, HI, 8))
    assert merge(parts) == expected


def test_pool_map_counts_omega_with_multiplicity():
    lo, hi = 2, 10**6
    with multiprocessing.Pool(2) as pool:
        parts = pool.map(functools.partial(count_part, count="total"), split(lo, hi, 5))
    assert merge(parts) == numfactors.histogram(lo, hi, count="total")


def test_process_pool_executor(expected):
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(2, mp_context=context) as executor:
        parts = list(executor.map(count_part, split(LO, HI, 8), timeout=120))
    assert merge(parts) == expected


def test_split_covers_the_range_exactly():
    for lo, hi, n in [(1, 1, 3), (2, 10, 3), (5, 104, 7), (2**64 - 10, 2**64 - 1, 4)]:
        parts = split(lo, hi, n)
        assert parts[0][0] == lo and parts[-1][1] == hi
        assert all(a[1] + 1 == b[0] for a, b in zip(parts, parts[1:]))
        assert all(p[0] <= p[1] for p in parts)
