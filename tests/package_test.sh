#!/bin/sh
# The installed package as a user meets it: `cmake --install` of this build into an empty prefix,
# then examples/cmake-consumer configured and built against that prefix alone (find_package), and
# the same program built with the pkg-config file; both must print the seed job's histogram.
#   tests/package_test.sh BUILD_DIR SOURCE_DIR
set -eu
build=$1
source=$2
expected="{1: 41724, 2: 150785, 3: 191810, 4: 97676, 5: 17312, 6: 692}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cmake --install "$build" --prefix "$work/prefix" >/dev/null
for header in numfactors.hpp version.hpp run.hpp; do
  test -f "$work/prefix/include/numfactors/$header" || { echo "not installed: $header"; exit 1; }
done
if find "$work/prefix/include" -name '*.hpp' | xargs grep -l '#include "\(core\|exec\|cli\)/'; then
  echo "an installed header includes an internal one"
  exit 1
fi

cmake -S "$source/examples/cmake-consumer" -B "$work/consumer" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/consumer" >/dev/null
got=$("$work/consumer/seed_job")
[ "$got" = "$expected" ] || { echo "find_package consumer printed: $got"; exit 1; }

# A consumer that uses primesieve itself, and asks for numfactors twice (a subproject may).
mkdir "$work/both"
cat > "$work/both/CMakeLists.txt" <<EOF
cmake_minimum_required(VERSION 3.21)
project(both LANGUAGES CXX)
find_package(primesieve REQUIRED)
find_package(numfactors REQUIRED)
find_package(numfactors REQUIRED)
add_executable(seed_job "$source/examples/cmake-consumer/seed_job.cpp")
target_link_libraries(seed_job PRIVATE numfactors::numfactors primesieve::primesieve)
EOF
cmake -S "$work/both" -B "$work/both/build" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/both/build" >/dev/null
got=$("$work/both/build/seed_job")
[ "$got" = "$expected" ] || { echo "consumer with primesieve printed: $got"; exit 1; }

if [ -x "$work/consumer/seed_job_mpi" ]; then
  got=$(mpiexec -n 2 "$work/consumer/seed_job_mpi")
  [ "$got" = "$expected" ] || { echo "numfactors::mpi consumer on 2 ranks printed: $got"; exit 1; }
elif [ -f "$work/prefix/lib/cmake/numfactors/numfactorsMpiTargets.cmake" ]; then
  echo "the package has numfactors::mpi, but the consumer could not use it"
  exit 1
fi

# At home on a cluster: `module load numfactors` puts the programs, the scripts and the man page
# within reach, and says where the batch scripts are.
if [ -f /usr/share/modules/init/bash ]; then
  got=$(bash -c ". /usr/share/modules/init/bash && module use '$work/prefix/share/modulefiles' &&
        module load numfactors && command -v numfactors && numfactors s 10 &&
        echo \"\$NUMFACTORS_JOBS\" && man -w numfactors && numfactors-scaling --help >/dev/null &&
        numfactors-plot --help >/dev/null && echo scripts-ok")
  expected_module="$work/prefix/bin/numfactors
{1: 7, 2: 2}
$work/prefix/share/numfactors/jobs
$work/prefix/share/man/man1/numfactors.1
scripts-ok"
  [ "$got" = "$expected_module" ] || { echo "module load numfactors gave: $got"; exit 1; }
  for script in numfactors.sbatch scaling.sbatch resumable.sbatch split.sbatch; do
    test -f "$work/prefix/share/numfactors/jobs/$script" || { echo "not installed: $script"; exit 1; }
  done
  # The man page is --help's text: every option is in it.
  for option in --min --max --mode --workers --threads --checkpoint --timeline --output --part; do
    MANWIDTH=200 man -l "$work/prefix/share/man/man1/numfactors.1" 2>/dev/null | grep -q -- "$option" ||
      { echo "the man page lacks $option"; exit 1; }
  done
else
  echo "package: environment-modules is not installed; scripts/setup installs it" >&2
  exit 1
fi

pc_dir=$(dirname "$(find "$work/prefix" -name numfactors.pc)")
flags=$(PKG_CONFIG_PATH=$pc_dir pkg-config --cflags --libs --static numfactors)
# shellcheck disable=SC2086
c++ -std=c++20 -O2 "$source/examples/cmake-consumer/seed_job.cpp" -o "$work/pc_job" $flags
got=$("$work/pc_job")
[ "$got" = "$expected" ] || { echo "pkg-config consumer printed: $got"; exit 1; }
echo "package: the find_package (and numfactors::mpi) and pkg-config consumers print the seed job"
