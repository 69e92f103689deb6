"""@file reference.py
@brief What the Python tests compare with: the numfactors program's JSON (ctest names the program
       in NUMFACTORS), the published histograms of tests/data, and an independent factorizer.
"""
import json
import math
import os
import subprocess

BINARY = os.environ.get("NUMFACTORS", "")
SOURCE = os.environ.get("NUMFACTORS_SOURCE_DIR",
                        os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def cli_report(lo, hi, *args):
    """The numfactors program's JSON report of [lo, hi] with extra flags, histogram keys as ints."""
    assert BINARY, "NUMFACTORS (the numfactors program) is not set; ctest sets it"
    out = subprocess.run([BINARY, "--min", str(lo), "--max", str(hi), "--format", "json", *args],
                         capture_output=True, text=True, check=True, timeout=120).stdout
    report = json.loads(out)
    report["histogram"] = {int(k): v for k, v in report["histogram"].items()}
    return report


def known_cases():
    """The published histograms of tests/data/omega_histograms.json."""
    with open(os.path.join(SOURCE, "tests", "data", "omega_histograms.json")) as f:
        return json.load(f)["cases"]


# An independent factorizer for windows anywhere below 2^64: deterministic Miller-Rabin (these
# bases decide every n < 3.3 * 10^24) and Pollard-Brent rho, in plain Python.
_BASES = (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41)


def is_prime(n):
    if n < 2:
        return False
    for p in _BASES:
        if n % p == 0:
            return n == p
    d, s = n - 1, 0
    while d % 2 == 0:
        d, s = d // 2, s + 1
    for a in _BASES:
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = x * x % n
            if x == n - 1:
                break
        else:
            return False
    return True


def _rho(n):
    """A non-trivial factor of the odd composite n."""
    for c in range(1, 100):
        y, m, g, r, q = 2, 128, 1, 1, 1
        f = lambda v: (v * v + c) % n  # noqa: E731
        while g == 1:
            x = y
            for _ in range(r):
                y = f(y)
            k = 0
            while k < r and g == 1:
                ys = y
                for _ in range(min(m, r - k)):
                    y = f(y)
                    q = q * abs(x - y) % n
                g = math.gcd(q, n)
                k += m
            r *= 2
        if g == n:
            g = 1
            while g == 1:
                ys = f(ys)
                g = math.gcd(abs(x - ys), n)
        if g != n:
            return g
    raise ArithmeticError(f"no factor of {n} found")


def prime_factors(n):
    """The prime factors of n >= 1 with multiplicity."""
    factors = []
    for p in (2, 3, 5, 7, 11, 13):
        while n % p == 0:
            factors.append(p)
            n //= p
    stack = [n] if n > 1 else []
    while stack:
        m = stack.pop()
        if is_prime(m):
            factors.append(m)
        else:
            d = _rho(m)
            stack += [d, m // d]
    return factors


def reference_histogram(lo, hi, count="distinct"):
    """{k: n} over [lo, hi] by factoring each number (small windows only)."""
    h = {}
    for n in range(lo, hi + 1):
        f = prime_factors(n)
        k = len(set(f)) if count == "distinct" else len(f)
        h[k] = h.get(k, 0) + 1
    return dict(sorted(h.items()))
