"""@file test_gil.py
@brief The GIL is released while counting: two Python threads' calls run at the same time, and
       Python code runs beside a call.
"""
import threading
import time

import numfactors

# A window far from 1 (the sieve visits every number, about 0.2 s on one core), counted on one
# thread (mode="serial") so that each call needs exactly one core.
LO, HI = 10**12, 10**12 + 2 * 10**8


def test_two_threads_count_at_the_same_time():
    barrier = threading.Barrier(2)
    results = [None, None]

    def call(i):
        barrier.wait()
        results[i] = numfactors.run(LO, HI, method="sieve", mode="serial")

    threads = [threading.Thread(target=call, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    a, b = results
    assert a.histogram == b.histogram and sum(a.histogram.values()) == HI - LO + 1
    # started/finished are taken inside the call with the GIL released: holding the GIL, the
    # second call could start counting only after the first finished (no overlap at all).
    overlap = min(a.finished, b.finished) - max(a.started, b.started)
    shorter = min(a.finished - a.started, b.finished - b.started)
    assert overlap > 0.5 * shorter, (a.started, a.finished, b.started, b.finished)


def test_python_runs_beside_a_call():
    ticks = []
    done = threading.Event()

    def tick():
        while not done.is_set():
            ticks.append(time.monotonic())
            time.sleep(0.005)

    ticker = threading.Thread(target=tick)
    ticker.start()
    try:
        r = numfactors.run(LO, HI, method="sieve", mode="serial")
    finally:
        done.set()
        ticker.join()
    during = [t for t in ticks if r.started < t < r.finished]
    # Ticks every 5 ms or so while the call counted (a tenth of them leaves room for a busy
    # machine); holding the GIL, the call would have let none through.
    assert len(during) >= 0.1 * (r.finished - r.started) / 0.005, (len(during), r.seconds)
