#!/usr/bin/env bash
# The seed's Python script (scripts/num_factors.py, modes s and m) and numfactors (both kernels)
# print the same dictionary: two independent implementations of the assignment.
set -euo pipefail
numfactors=$1 script=$2
for n in 10 1000 30000; do
  want=$(python3 "$script" s "$n")
  [ "$(python3 "$script" m "$n")" = "$want" ] || { echo "num_factors.py m $n differs from s"; exit 1; }
  for kernel in sieve trial; do
    got=$("$numfactors" s "$n" --kernel "$kernel")
    [ "$got" = "$want" ] || { echo "N=$n kernel=$kernel: numfactors $got, python $want"; exit 1; }
  done
done
echo "python reference agrees for N = 10, 1000, 30000"
