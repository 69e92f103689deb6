"""@file interrupt_script.py
@brief A long numfactors call for test_interrupt.py: prints "counting" and the time just before
       it, then counts [10^15, 10^15 + 10^11] (minutes of work) until a SIGINT stops it.
"""
import sys
import time

import numfactors

mode = sys.argv[1] if len(sys.argv) > 1 else "threads"
print("counting", time.monotonic(), flush=True)
# Chunks of 2^23 numbers (tens of milliseconds each here): the run stops within one.
numfactors.histogram(10**15, 10**15 + 10**11, method="sieve", mode=mode, chunk=2**23)
print("finished", flush=True)
