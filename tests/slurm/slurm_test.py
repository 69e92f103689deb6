#!/usr/bin/python3
"""@file slurm_test.py
@brief The batch scripts in jobs/ submitted with sbatch to a real single-node Slurm.

Each test class brings up its own cluster with scripts/slurm-local in a private directory (the
packages are installed when missing) and takes it down in a class cleanup, which runs even when
a test or the bring-up fails. Every wait has a timeout; squeue is polled every 0.2 s. Results are
compared with a serial run of the same binary on the same range and, where one exists, with a
published histogram (tests/data/omega_histograms.json).

Run by ctest (label slurm) as `slurm_test.py CLASS`, with NUMFACTORS (the binary),
NUMFACTORS_SOURCE_DIR and NUMFACTORS_JOB_MODE (mpi, or threads while the build has no MPI mode).
"""
import glob
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

SOURCE = os.environ["NUMFACTORS_SOURCE_DIR"]
BINARY = os.environ["NUMFACTORS"]
JOB_MODE = os.environ.get("NUMFACTORS_JOB_MODE", "mpi")
POLL_SECONDS = 0.2
JOB_TIMEOUT = 90  # seconds for one job or array to leave the queue


def serial_histogram(lo, hi, count="distinct"):
    """The histogram of a serial run in this process's own numfactors call: the reference."""
    out = subprocess.run([BINARY, "--mode", "serial", "--min", lo, "--max", hi, "--count", count,
                          "--format", "json"], check=True, capture_output=True, text=True,
                         timeout=120).stdout
    return json.loads(out)["histogram"]


def published_histogram(lo, hi):
    with open(os.path.join(SOURCE, "tests", "data", "omega_histograms.json")) as f:
        for case in json.load(f)["cases"]:
            if (case["lo"], case["hi"], case["count"]) == (lo, hi, "distinct"):
                return case["histogram"]
    raise LookupError(f"no published histogram for [{lo}, {hi}]")


def json_results(text):
    """Every line of a job's output that is a JSON object: numfactors' results."""
    return [json.loads(line) for line in text.splitlines() if line.startswith("{\"")]


def parse_dict(text):
    """A line `{1: 7, 2: 2}` (numfactors' default format) as {"1": 7, "2": 2}."""
    return {k: int(v) for k, v in re.findall(r"(\d+): (\d+)", text)}


class Cluster:
    """scripts/slurm-local in a private directory, plus the few client calls the tests need."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="nf-slurm-")
        os.chmod(self.dir, 0o755)  # munged wants its socket's ancestors traversable by all
        self.work = os.path.join(self.dir, "work")
        os.mkdir(self.work)
        self.env = dict(os.environ, NUMFACTORS_SLURM_DIR=os.path.join(self.dir, "cluster"),
                        NUMFACTORS=BINARY, NUMFACTORS_MODE=JOB_MODE,
                        OMPI_MCA_btl_tcp_if_include="lo", OMPI_MCA_oob_tcp_if_include="lo",
                        OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
        self.script = os.path.join(SOURCE, "scripts", "slurm-local")

    def up(self):
        started = time.monotonic()
        out = subprocess.run([self.script, "up"], env=self.env, check=True, text=True,
                             stdout=subprocess.PIPE, timeout=300).stdout
        match = re.search(r"^export SLURM_CONF=(\S+)$", out, re.M)
        if not match:
            raise RuntimeError(f"slurm-local up printed no SLURM_CONF line: {out!r}")
        self.env["SLURM_CONF"] = match.group(1)
        print(f"cluster up in {time.monotonic() - started:.1f} s at {self.dir}", flush=True)

    def down(self):
        subprocess.run([self.script, "down"], env=self.env, timeout=60, check=False)
        shutil.rmtree(self.dir, ignore_errors=True)

    def client(self, *args, check=True):
        return subprocess.run(list(args), env=self.env, cwd=self.work, check=check, text=True,
                              capture_output=True, timeout=30).stdout

    def sbatch(self, script, sbatch_args=(), job_args=(), env=None):
        """Submits jobs/SCRIPT from the work directory; returns the job id."""
        out = subprocess.run(["sbatch", "--parsable", *sbatch_args,
                              os.path.join(SOURCE, "jobs", script), *job_args],
                             env=dict(self.env, **(env or {})), cwd=self.work, check=True,
                             text=True, capture_output=True, timeout=30).stdout
        return out.strip().split(";")[0]

    def wait(self, *job_ids, timeout=JOB_TIMEOUT):
        """Polls squeue until none of the jobs (array tasks included) is queued or running."""
        self.wait_queue_empty(["-j", ",".join(job_ids)], timeout)

    def wait_queue_empty(self, squeue_filter, timeout=JOB_TIMEOUT):
        deadline = time.monotonic() + timeout
        while True:
            squeue = subprocess.run(["squeue", "-h", "-o", "%i", *squeue_filter], env=self.env,
                                    capture_output=True, text=True, timeout=30)
            queued = squeue.stdout.split()
            # An unknown job id is an error too, but one that says the job is long gone.
            if not queued and (squeue.returncode == 0 or "Invalid job id" in squeue.stderr):
                return
            if time.monotonic() > deadline:
                self.client("scancel", *queued, check=False)
                raise AssertionError(f"jobs {squeue_filter} still queued after {timeout} s\n"
                                     + self.diagnostics())
            time.sleep(POLL_SECONDS)

    def states(self, job_id):
        """JobState of a job, or of each task of an array job, from the controller."""
        out = self.client("scontrol", "show", "job", "-o", job_id)
        return [re.search(r"JobState=(\S+)", line).group(1) for line in out.splitlines()]

    def output(self, pattern):
        text = ""
        for path in sorted(glob.glob(os.path.join(self.work, pattern))):
            with open(path) as f:
                text += f.read()
        return text

    def diagnostics(self):
        """Job outputs and the daemons' logs, for the failure message."""
        text = ""
        for path in sorted(glob.glob(os.path.join(self.work, "*.out"))
                           + glob.glob(os.path.join(self.dir, "cluster", "log", "*.log"))):
            with open(path, errors="replace") as f:
                text += f"--- {path}\n" + "".join(f.readlines()[-30:])
        return text


class ClusterTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cluster = Cluster()
        cls.addClassCleanup(cls.cluster.down)
        cls.cluster.up()

    def assertCompleted(self, job_id):
        states = self.cluster.states(job_id)
        self.assertEqual(set(states), {"COMPLETED"},
                         f"job {job_id}: {states}\n" + self.cluster.diagnostics())


class NumfactorsJob(ClusterTest):
    """jobs/numfactors.sbatch at 2 ranks: header defaults, environment and extra arguments."""

    def test_cluster_status_and_no_second_bring_up(self):
        status = subprocess.run([self.cluster.script, "status"], env=self.cluster.env,
                                capture_output=True, text=True, timeout=30)
        self.assertEqual(status.returncode, 0, status.stderr)
        for daemon in ("munged", "slurmctld", "slurmd"):
            self.assertRegex(status.stdout, rf"{daemon}: running \(pid \d+\)")
        again = subprocess.run([self.cluster.script, "up"], env=self.cluster.env,
                               capture_output=True, text=True, timeout=30)
        self.assertEqual(again.returncode, 1)
        self.assertIn("already running", again.stderr)

    def test_two_ranks_equal_serial_and_published(self):
        lo, hi = "2", "10000000"
        job = self.cluster.sbatch("numfactors.sbatch", ["--ntasks=2"], ["--format", "json"],
                                  env={"NUMFACTORS_MIN": lo, "NUMFACTORS_MAX": hi})
        self.cluster.wait(job)
        self.assertCompleted(job)
        results = json_results(self.cluster.output(f"numfactors-{job}.out"))
        self.assertEqual(len(results), 1, "one result from the whole job, not one per rank")
        self.assertEqual(results[0]["histogram"], serial_histogram(lo, hi))
        self.assertEqual(results[0]["histogram"], published_histogram(2, 10**7))
        names = [w["name"] for w in results[0]["worker_stats"]]
        self.assertEqual(len(names), 2, names)
        if JOB_MODE == "mpi":  # both ranks of one MPI world did work, not two lone processes
            self.assertTrue(any(n.startswith("rank 1") for n in names), names)

    def test_window_at_top_and_defaults(self):
        lo, hi = "18446744073708551616", "18446744073709551615"  # [2^64 - 10^6, 2^64 - 1]
        top = self.cluster.sbatch(
            "numfactors.sbatch", ["--ntasks=2", "--cpus-per-task=1"],
            ["--min", lo, "--max", hi, "--count", "total", "--format", "json"])
        defaults = self.cluster.sbatch("numfactors.sbatch")
        self.cluster.wait(top, defaults)
        self.assertCompleted(top)
        self.assertCompleted(defaults)
        results = json_results(self.cluster.output(f"numfactors-{top}.out"))
        self.assertEqual(len(results), 1)
        self.assertEqual(results[0]["histogram"], serial_histogram(lo, hi, "total"))
        # The header's defaults: the seed's range [2, 500000] in the seed's dict format.
        lines = [l for l in self.cluster.output(f"numfactors-{defaults}.out").splitlines()
                 if l.startswith("{")]
        self.assertEqual(len(lines), 1, lines)
        self.assertEqual(parse_dict(lines[0]), published_histogram(2, 500000))


class ScalingArray(ClusterTest):
    """jobs/scaling.sbatch as a 2-task array: one JSON per task, each equal to the serial run."""

    def test_two_task_array(self):
        lo, hi = "2", "20000000"
        results = os.path.join(self.cluster.work, "scaling")
        job = self.cluster.sbatch("scaling.sbatch", ["--array=1-2", "--ntasks=2"],
                                  env={"NUMFACTORS_MIN": lo, "NUMFACTORS_MAX": hi,
                                       "NUMFACTORS_RESULTS": results})
        self.cluster.wait(job)
        self.assertCompleted(job)
        expected = serial_histogram(lo, hi)
        self.assertEqual(sorted(os.listdir(results)),
                         [f"workers-1-{job}.json", f"workers-2-{job}.json"])
        for workers in (1, 2):
            with open(os.path.join(results, f"workers-{workers}-{job}.json")) as f:
                result = json.load(f)
            self.assertEqual(result["histogram"], expected, f"{workers} workers")
            self.assertEqual(len(result["worker_stats"]), workers)
        # The array's output is what scripts/plot scaling reads.
        png = os.path.join(self.cluster.work, "scaling.png")
        fit = subprocess.run([os.path.join(SOURCE, "scripts", "plot"), "scaling", results,
                              "-o", png], check=True, capture_output=True, text=True, timeout=120)
        self.assertIn("serial fraction", fit.stdout)
        with open(png, "rb") as f:
            self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")


class ResumableChain(ClusterTest):
    """jobs/resumable.sbatch: the first job is cancelled mid-run, the next one ends the range."""

    def test_cancelled_job_is_resumed_exactly(self):
        lo, hi, chunk = "2", "2000000000", "2000000"
        checkpoint = os.path.join(self.cluster.work, "run.ckpt")
        result = os.path.join(self.cluster.work, "run.result")
        first = self.cluster.sbatch(
            "resumable.sbatch", ["--ntasks=2", "--time=5"], ["--chunk", chunk, "--format", "json"],
            env={"NUMFACTORS_MIN": lo, "NUMFACTORS_MAX": hi, "NUMFACTORS_CHECKPOINT": checkpoint,
                 "NUMFACTORS_RESULT": result, "NUMFACTORS_RESUBMITS": "3"})
        deadline = time.monotonic() + JOB_TIMEOUT
        while not chunk_records(checkpoint):  # cancel it once some work is durably recorded
            self.assertLess(time.monotonic(), deadline, self.cluster.diagnostics())
            time.sleep(POLL_SECONDS)
        self.cluster.client("scancel", first)
        self.cluster.wait(first)
        self.assertEqual(self.cluster.states(first), ["CANCELLED"], self.cluster.diagnostics())
        # The successor, and the one it queues in turn and cancels when the range is done.
        self.cluster.wait_queue_empty(["-n", "nf-resumable"])
        self.assertTrue(os.path.exists(result), self.cluster.diagnostics())
        with open(result) as f:
            final = json.load(f)
        self.assertEqual(final["histogram"], serial_histogram(lo, hi))
        # The successor skipped what the first job had recorded instead of doing it again.
        records = chunk_records(checkpoint)
        self.assertEqual(len(records), len(set(records)), "a chunk was recorded twice")

def chunk_records(checkpoint):
    """Chunk indices of the complete records (lines ending in a newline) in a checkpoint file."""
    try:
        with open(checkpoint) as f:
            text = f.read()
    except FileNotFoundError:
        return []
    return [line.split()[1] for line in text.split("\n")[:-1] if line.startswith("chunk ")]


if __name__ == "__main__":
    # ctest ends a test that runs too long: take the cluster down on SIGTERM as on failure.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    unittest.main(verbosity=2)
