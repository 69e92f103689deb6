"""@file interrupt_script.py
@brief A long numfactors call for test_interrupt.py: prints "counting" and the time just before
       it, then counts [10^15, 10^15 + 10^11] (minutes of work), or with "narrow" [1, 2^22] in
       chunks of one number (seconds), until a SIGINT stops it.
"""
import sys
import time

import numfactors

mode = sys.argv[1] if len(sys.argv) > 1 else "threads"
narrow = len(sys.argv) > 2 and sys.argv[2] == "narrow"
print("counting", time.monotonic(), flush=True)
if narrow:
    # A range as small as the calls that run without polling, cut in four million chunks of one
    # number (seconds of work): it must be polled all the same.
    numfactors.histogram(1, 2**22, method="sieve", mode=mode, chunk=1)
else:
    # Chunks of 2^23 numbers (tens of milliseconds each here): the run stops within one.
    numfactors.histogram(10**15, 10**15 + 10**11, method="sieve", mode=mode, chunk=2**23)
print("finished", flush=True)
