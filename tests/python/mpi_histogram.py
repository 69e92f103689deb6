"""@file mpi_histogram.py
@brief For test_mpi4py.py, under mpiexec: each rank counts its parts of [lo, hi] (cut into
       parts, dealt cyclically) with numfactors.histogram; comm.reduce adds them up on rank 0,
       which prints the histogram and the ranks as JSON.

    mpiexec -n 2 python3 mpi_histogram.py LO HI PARTS
"""
import json
import sys
from collections import Counter

from mpi4py import MPI

from parts import count_part, split

comm = MPI.COMM_WORLD
lo, hi, parts = (int(a) for a in sys.argv[1:4])
mine = split(lo, hi, parts)[comm.rank::comm.size]
local = Counter()
for part in mine:
    local.update(count_part(part))
total = comm.reduce(local, op=MPI.SUM, root=0)
counted = comm.gather(len(mine), root=0)
if comm.rank == 0:
    print(json.dumps({"ranks": comm.size, "parts_per_rank": counted,
                      "histogram": {str(k): v for k, v in sorted(total.items())}}))
