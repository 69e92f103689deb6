#!/usr/bin/python3
"""@file slurm_test.py
@brief The batch scripts in jobs/ submitted with sbatch to a real Slurm: one node, or two nodes
       that are two slurmds on this machine (scripts/slurm-local up --nodes 2).

Each test class brings up its own cluster with scripts/slurm-local in a private directory (the
packages are installed when missing) and takes it down in a class cleanup, which runs even when
a test or the bring-up fails. Every wait has a timeout; squeue is polled every 0.2 s. Results are
compared with a serial run of the same binary on the same range and, where one exists, with a
published histogram (tests/data/omega_histograms.json).

Run by ctest (label slurm) as `slurm_test.py CLASS`, with NUMFACTORS (the binary),
NUMFACTORS_SOURCE_DIR and NUMFACTORS_JOB_MODE (mpi, or threads while the build has no MPI mode);
the two-node classes also with NUMFACTORS_SHARED_NODES and NUMFACTORS_PMIX_FENCES
(tests/slurm/shared_nodes.cpp and pmix_fences.cpp, built).
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


def serial_histogram(lo, hi, count="distinct", method=None):
    """The histogram of a serial run in this process's own numfactors call: the reference."""
    method_args = ["--method", method] if method else []
    out = subprocess.run([BINARY, "--mode", "serial", "--min", lo, "--max", hi, "--count", count,
                          *method_args, "--format", "json"], check=True, capture_output=True,
                         text=True, timeout=120).stdout
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


def processes_mentioning(path):
    """Every live process but this one whose command line, environment, working directory or
    open files mention path, as "PID COMMAND": what runs of a cluster whose files are all there
    (job tasks have its SLURM_CONF, slurmstepds its slurmd's log open)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        if int(pid) == os.getpid():
            continue
        proc = f"/proc/{pid}"
        try:
            with open(f"{proc}/stat") as f:
                if f.read().rpartition(")")[2].split()[0] == "Z":
                    continue
            with open(f"{proc}/comm") as f:
                comm = f.read().strip()
            with open(f"{proc}/cmdline", "rb") as f:
                text = f.read()
            with open(f"{proc}/environ", "rb") as f:
                text += f.read()
            links = [os.readlink(f"{proc}/cwd")]
            for fd in os.listdir(f"{proc}/fd"):
                links.append(os.readlink(f"{proc}/fd/{fd}"))
        except OSError:  # gone meanwhile
            continue
        if path.encode() in text or any(link.startswith(path) for link in links):
            found.append(f"{pid} {comm}")
    return found


class Cluster:
    """scripts/slurm-local in a private directory, plus the few client calls the tests need."""

    def __init__(self, nodes=1):
        self.nodes = nodes
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
        nodes_args = ["--nodes", str(self.nodes)] if self.nodes > 1 else []
        out = subprocess.run([self.script, "up", *nodes_args], env=self.env, check=True,
                             text=True, stdout=subprocess.PIPE, timeout=300).stdout
        match = re.search(r"^export SLURM_CONF=(\S+)$", out, re.M)
        if not match:
            raise RuntimeError(f"slurm-local up printed no SLURM_CONF line: {out!r}")
        self.env["SLURM_CONF"] = match.group(1)
        print(f"cluster up in {time.monotonic() - started:.1f} s at {self.dir}", flush=True)

    def down(self):
        """Takes the cluster down; returns what slurm-local down left running (see
        processes_mentioning), which is then killed here, so that nothing outlives the test."""
        if not os.path.isdir(self.dir):
            return []
        subprocess.run([self.script, "down"], env=self.env, timeout=60, check=False)
        left = processes_mentioning(self.dir)
        for process in left:
            try:
                os.kill(int(process.split()[0]), signal.SIGKILL)
            except ProcessLookupError:
                pass
        if left:
            print(f"slurm-local down left {left} running; killed them", flush=True)
        shutil.rmtree(self.dir, ignore_errors=True)
        return left

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

    def sbatch_wrap(self, name, command, sbatch_args=()):
        """Submits `command` (sh) as job NAME, output in NAME-JOBID.out; returns the job id."""
        return self.client("sbatch", "--parsable", f"--job-name={name}",
                           f"--output={name}-%j.out", *sbatch_args, "--wrap", command
                           ).strip().split(";")[0]

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

    def jobs(self, name):
        """{id: (JobState, NodeList)} of the jobs called name that the controller still knows."""
        out = self.client("scontrol", "show", "job", "-o")
        found = {}
        for line in out.splitlines():
            fields = dict(re.findall(r"(\w+)=(\S*)", line))
            if fields.get("JobName") == name:
                found[fields["JobId"]] = (fields["JobState"], fields["NodeList"])
        return found

    def node_states(self):
        """{node: sinfo's short state}, e.g. {"nf1": "idle", "nf2": "down*"}."""
        out = self.client("sinfo", "-h", "-N", "-o", "%N %t")
        return dict(line.split() for line in out.splitlines())

    def daemon_pid(self, daemon):
        """The PID slurm-local recorded for daemon (munged, slurmctld, slurmd.nf2, ...)."""
        with open(os.path.join(self.dir, "cluster", "run", f"{daemon}.pid")) as f:
            return int(f.read())

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
    nodes = 1  # slurmds (nodes) of the class's cluster

    @classmethod
    def setUpClass(cls):
        cls.cluster = Cluster(cls.nodes)
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
        # The result in a file of its own, which json.load reads as it is; the log apart.
        with open(os.path.join(self.cluster.work, f"numfactors-{job}.json")) as f:
            results = [json.load(f)]
        self.assertEqual(json_results(self.cluster.output(f"numfactors-{job}.out")), [])
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
        with open(os.path.join(self.cluster.work, f"numfactors-{top}.json")) as f:
            self.assertEqual(json.load(f)["histogram"], serial_histogram(lo, hi, "total"))
        # The header's defaults: the seed's range [2, 500000] in the seed's dict format.
        lines = self.cluster.output(f"numfactors-{defaults}.txt").splitlines()
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


class SplitArray(ClusterTest):
    """jobs/split.sbatch: a 3-task array counts 3 parts of equal cost, a dependent job merges."""

    def test_parts_merged_after_the_array(self):
        lo, hi = "1000000000000", "1000030000000"
        results = os.path.join(self.cluster.work, "split")
        array = self.cluster.sbatch("split.sbatch", ["--array=1-3"], ["--count", "total"],
                                    env={"NUMFACTORS_MIN": lo, "NUMFACTORS_MAX": hi,
                                         "NUMFACTORS_MODE": "threads",
                                         "NUMFACTORS_RESULTS": results})
        self.cluster.wait(array)
        self.assertCompleted(array)
        self.cluster.wait_queue_empty(["-n", "nf-merge"])  # the merge job the first task queued
        parts = []
        for i in (1, 2, 3):
            with open(os.path.join(results, f"part-{i}.json")) as f:
                parts.append(json.load(f))
        # Adjacent parts that cover the range exactly, of about equal width this far from 1.
        self.assertEqual(parts[0]["min"], int(lo))
        self.assertEqual(parts[2]["max"], int(hi))
        for a, b in zip(parts, parts[1:]):
            self.assertEqual(b["min"], a["max"] + 1)
        widths = [p["max"] - p["min"] + 1 for p in parts]
        self.assertLess(max(widths), 1.1 * min(widths), widths)
        with open(os.path.join(results, "result.json")) as f:
            merged = json.load(f)
        self.assertEqual((merged["min"], merged["max"], merged["parts"]), (int(lo), int(hi), 3))
        self.assertEqual(merged["histogram"], serial_histogram(lo, hi, "total"))


class ResumableChain(ClusterTest):
    """jobs/resumable.sbatch: the first job is cancelled mid-run, the next one ends the range."""

    def test_cancelled_job_is_resumed_exactly(self):
        lo, hi, chunk = "2", "2000000000", "2000000"
        checkpoint = os.path.join(self.cluster.work, "run.ckpt")
        result = os.path.join(self.cluster.work, "run.result")
        cancelled_chain_result(self, ["--ntasks=2"], lo, hi, chunk, checkpoint, result)


SHARED_NODES = os.environ.get("NUMFACTORS_SHARED_NODES", "")
PMIX_FENCES = os.environ.get("NUMFACTORS_PMIX_FENCES", "")
TWO_NODES = ["--nodes=2", "--ntasks-per-node=1"]


def shared_nodes_lines(text):
    """The lines of tests/slurm/shared_nodes.cpp: {rank: (node, shared size, groups)}."""
    return {int(rank): (node, int(shared), int(groups)) for rank, node, shared, groups in
            re.findall(r"^rank (\d+) of \d+: node (\S+) shared (\d+) groups (\d+)$", text, re.M)}


def resumable_env(lo, hi, checkpoint, result, resubmits):
    return {"NUMFACTORS_MIN": lo, "NUMFACTORS_MAX": hi, "NUMFACTORS_CHECKPOINT": checkpoint,
            "NUMFACTORS_RESULT": result, "NUMFACTORS_RESUBMITS": str(resubmits)}


class TwoNodes(ClusterTest):
    """Two Slurm nodes, nf1 and nf2, that are two slurmds on this one machine.

    What Open MPI sees there, found with tests/slurm/shared_nodes.cpp and asserted below: one rank
    on each node (-N 2 --ntasks-per-node=1, srun --mpi=pmix) gives two shared-memory groups. Each
    rank's MPI_COMM_TYPE_SHARED communicator holds that rank alone, although both run on one
    host (MPI_Get_processor_name names the same host for both): Open MPI takes a process's
    locality from PMIx, and Slurm's pmix plugin in each node's slurmstepd lists only the ranks of
    its own node as local peers. So numfactors' analytic method runs as it would on two machines:
    each group builds half of the table's large keys and the two leaders swap the halves, over TCP
    on the loopback (shared memory is not offered between the ranks: a run restricted to
    OMPI_MCA_btl=self,vader fails). Two ranks on one node (-N 1 -n 2), the control, share one
    group. (OMPI_COMM_WORLD_LOCAL_SIZE, set by mpirun, is absent under srun: hence the program.)
    """
    nodes = 2

    def test_status_shows_both_nodes(self):
        status = subprocess.run([self.cluster.script, "status"], env=self.cluster.env,
                                capture_output=True, text=True, timeout=30)
        self.assertEqual(status.returncode, 0, status.stderr)
        for daemon in ("munged", "slurmctld", "slurmd nf1", "slurmd nf2"):
            self.assertRegex(status.stdout, rf"{daemon}: running \(pid \d+\)")
        self.assertEqual(self.cluster.node_states(), {"nf1": "idle", "nf2": "idle"})

    def test_pmix_fences_across_the_nodes_are_barriers(self):
        # With Slurm's default tree algorithm for barriers, two slurmds of one machine let a rank
        # out of fences its peer had not entered; Open MPI then let a rank that had left MPI_Init
        # send to one still in it (SIGSEGV in the TCP BTL, now and then). slurm-local sets
        # PMIxCollFence=ring in mpi.conf.
        self.assertTrue(os.access(PMIX_FENCES, os.X_OK), "NUMFACTORS_PMIX_FENCES is not set")
        fences = 1000
        marks = tempfile.mkdtemp(prefix="fences.", dir=self.cluster.work)
        command = f"srun --mpi=pmix {PMIX_FENCES} {fences} {marks}"
        job = self.cluster.sbatch_wrap("nf-fences", command, TWO_NODES)
        self.cluster.wait(job)
        text = self.cluster.output(f"nf-fences-{job}.out")
        for rank in (0, 1):
            self.assertIn(f"rank {rank}: {fences} fences, 0 released early", text)
        self.assertCompleted(job)

    def test_ranks_on_two_nodes_are_two_shared_memory_groups(self):
        self.assertTrue(os.access(SHARED_NODES, os.X_OK), "NUMFACTORS_SHARED_NODES is not set")
        command = ('echo "nodelist $SLURM_NODELIST job $SLURM_JOB_NODELIST'
                   f' nodes $SLURM_JOB_NUM_NODES"; srun --mpi=pmix {SHARED_NODES}')
        two = self.cluster.sbatch_wrap("nf-shared", command, TWO_NODES)
        one = self.cluster.sbatch_wrap("nf-shared", command, ["--nodes=1", "--ntasks=2"])
        self.cluster.wait(two, one)
        self.assertCompleted(two)
        self.assertCompleted(one)
        text = self.cluster.output(f"nf-shared-{two}.out")
        self.assertIn("nodelist nf[1-2] job nf[1-2] nodes 2", text)
        ranks = shared_nodes_lines(text)
        self.assertEqual(sorted(ranks), [0, 1], text)
        self.assertEqual({node for node, _, _ in ranks.values()}, {"nf1", "nf2"}, text)
        self.assertEqual([(shared, groups) for _, shared, groups in ranks.values()],
                         [(1, 2), (1, 2)], "Open MPI saw one shared-memory node:\n" + text)
        control = shared_nodes_lines(self.cluster.output(f"nf-shared-{one}.out"))
        self.assertEqual(len({node for node, _, _ in control.values()}), 1, control)
        self.assertEqual([(shared, groups) for _, shared, groups in control.values()],
                         [(2, 1), (2, 1)], control)

    def test_sieve_and_analytic_on_two_nodes_equal_serial(self):
        runs = {"sieve": "2e7", "analytic": "1e11"}
        jobs = {method: self.cluster.sbatch(
                    "numfactors.sbatch", TWO_NODES,
                    ["--method", method, "--max", hi, "--format", "json"])
                for method, hi in runs.items()}
        self.cluster.wait(*jobs.values())
        for method, job in jobs.items():
            self.assertCompleted(job)
            text = self.cluster.output(f"numfactors-{job}.out")
            # The job script's own line: the allocation, and srun starting the MPI ranks.
            self.assertRegex(text, rf"numfactors\.sbatch: job {job} on nf\[1-2\]: "
                                   r"srun --mpi=pmix --ntasks=2 \S+ \S+ --mode mpi ")
            results = json_results(self.cluster.output(f"numfactors-{job}.json"))
            self.assertEqual(len(results), 1, text)
            self.assertEqual(results[0]["mode"], "mpi")
            self.assertEqual(results[0]["method"], method)
            self.assertEqual(results[0]["histogram"],
                             serial_histogram("2", runs[method], method=method), method)
            names = [w["name"] for w in results[0]["worker_stats"]]
            self.assertEqual(sorted(n.split(" thread")[0] for n in names), ["rank 0", "rank 1"])
            self.assertEqual(self.cluster.jobs("numfactors")[job], ("COMPLETED", "nf[1-2]"))

    def test_chain_on_two_nodes_cancelled_and_resumed_exactly(self):
        # ~10 s of work for two ranks: the first job is cancelled in its first seconds.
        lo, hi, chunk = "2", "30000000000", "300000000"
        checkpoint = os.path.join(self.cluster.work, "chain.ckpt")
        result = os.path.join(self.cluster.work, "chain.result")
        first, final, records = cancelled_chain_result(self, TWO_NODES, lo, hi, chunk, checkpoint,
                                                       result)
        # The last job did only what the first one had left (its stats count its own chunks).
        self.assertLess(sum(w["chunks"] for w in final["worker_stats"]), len(records))
        # Every job of the chain that ran, ran on both nodes; the last successor was cancelled
        # before it started.
        chain = self.cluster.jobs("nf-resumable")
        ran = {job: nodes for job, (_, nodes) in chain.items() if nodes not in ("", "(null)")}
        self.assertGreaterEqual(len(ran), 2, chain)
        self.assertEqual(set(ran.values()), {"nf[1-2]"}, chain)
        self.assertEqual(chain[first][0], "CANCELLED")
        self.assertEqual([state for state, _ in chain.values()].count("COMPLETED"), 1, chain)


class TwoNodesNodeFailure(ClusterTest):
    """A node fails under a two-node job: the second node's slurmd is killed (SIGKILL).

    The job's processes on that node do not die with their slurmd: its slurmstepd and rank run
    on, so the job goes on until slurmctld finds the node silent, marks it DOWN (~16 s with
    slurm-local's SlurmdTimeout=5 and MessageTimeout=5) and ends the job as NODE_FAIL (not
    requeued: resumable.sbatch has --no-requeue). The chain is then resubmitted with the same
    checkpoint on the node that is left (-N 1 -n 2) and finishes with the exact histogram. The
    failed job had no successor (NUMFACTORS_RESUBMITS=0): one queued with --nodes=2 would wait
    for the DOWN node.

    The numfactors rank on nf2 ends by itself once its peer on nf1 is gone (MPI reports the lost
    connection), and its step with it; a task that waits on nothing does not: a second two-node
    job, `srun sleep`, leaves its nf2 step running after the node failure, as Slurm cannot reach
    it. slurm-local down must end it: nothing of the cluster may be left running afterwards.
    """
    nodes = 2

    def test_job_ends_and_resubmitted_chain_resumes_exactly(self):
        # ~30 s of work for two ranks (more on a busy machine): the job must outlast the ~20 s it
        # takes to see the first chunk, kill the slurmd, and for slurmctld to give up on nf2.
        lo, hi, chunk = "2", "150000000000", "1000000000"
        checkpoint = os.path.join(self.cluster.work, "failed.ckpt")
        result = os.path.join(self.cluster.work, "failed.result")
        first = self.cluster.sbatch(
            "resumable.sbatch", [*TWO_NODES, "--time=5"], ["--chunk", chunk, "--format", "json"],
            env=resumable_env(lo, hi, checkpoint, result, resubmits=0))
        sleeper = self.cluster.sbatch_wrap("nf-sleep", "srun sleep 600",
                                           [*TWO_NODES, "--time=5", "--no-requeue"])
        wait_for_records(self, checkpoint, self.cluster)
        self.assertEqual(self.cluster.states(sleeper), ["RUNNING"], self.cluster.diagnostics())
        os.kill(self.cluster.daemon_pid("slurmd.nf2"), signal.SIGKILL)
        killed = time.monotonic()
        self.cluster.wait(first, sleeper, timeout=90)
        ended = time.monotonic() - killed
        state = self.cluster.states(first)
        self.assertEqual(self.cluster.states(sleeper), ["NODE_FAIL"])
        print(f"job {first} ended {ended:.1f} s after nf2's slurmd was killed: {state}",
              flush=True)
        self.assertNotEqual(state, ["COMPLETED"], "the job finished before slurmctld noticed "
                            "the failure: give it a longer range\n" + self.cluster.diagnostics())
        self.assertIn(state[0], ("NODE_FAIL", "FAILED", "CANCELLED"), self.cluster.diagnostics())
        self.assertEqual(self.cluster.node_states()["nf2"], "down*")
        self.assertFalse(os.path.exists(result))
        done_before = len(chunk_records(checkpoint))
        self.assertGreater(done_before, 0)
        left = [p for p in processes_mentioning(self.cluster.dir)
                if p.split()[1] not in ("munged", "slurmctld", "slurmscriptd", "slurmd")]
        print(f"{done_before} chunks recorded; job processes left on nf2: {left}", flush=True)
        self.assertIn("sleep", [p.split()[1] for p in left], "no orphan to end: the test of "
                      "slurm-local down below would prove nothing")

        again = self.cluster.sbatch(
            "resumable.sbatch", ["--nodes=1", "--ntasks=2", "--time=5"],
            ["--chunk", chunk, "--format", "json"],
            env=resumable_env(lo, hi, checkpoint, result, resubmits=2))
        self.cluster.wait_queue_empty(["-n", "nf-resumable"], timeout=150)
        self.assertTrue(os.path.exists(result), self.cluster.diagnostics())
        with open(result) as f:
            final = json.load(f)
        self.assertEqual(final["histogram"], serial_histogram(lo, hi))
        records = chunk_records(checkpoint)
        self.assertEqual(len(records), len(set(records)), "a chunk was recorded twice")
        self.assertEqual(sum(w["chunks"] for w in final["worker_stats"]),
                         len(records) - done_before, "the resubmission redid recorded chunks")
        self.assertEqual(self.cluster.jobs("nf-resumable")[again], ("COMPLETED", "nf1"))

        self.assertEqual(self.cluster.down(), [], "slurm-local down left processes running")


def cancelled_chain_result(test, sbatch_args, lo, hi, chunk, checkpoint, result):
    """jobs/resumable.sbatch on [lo, hi]: its first job cancelled once a chunk is recorded, the
    chain left to finish. Checks the result against a serial run and that no chunk was recorded
    twice; returns the first job's id, the result and the chunk records."""
    cluster = test.cluster
    first = cluster.sbatch("resumable.sbatch", [*sbatch_args, "--time=5"],
                           ["--chunk", chunk, "--format", "json"],
                           env=resumable_env(lo, hi, checkpoint, result, resubmits=3))
    wait_for_records(test, checkpoint, cluster)  # cancel it once some work is durably recorded
    cluster.client("scancel", first)
    cluster.wait(first)
    test.assertEqual(cluster.states(first), ["CANCELLED"], cluster.diagnostics())
    # The successor, and the one it queues in turn and cancels when the range is done.
    cluster.wait_queue_empty(["-n", "nf-resumable"])
    test.assertTrue(os.path.exists(result), cluster.diagnostics())
    with open(result) as f:
        final = json.load(f)
    test.assertEqual(final["histogram"], serial_histogram(lo, hi))
    # The successor skipped what the first job had recorded instead of doing it again.
    records = chunk_records(checkpoint)
    test.assertEqual(len(records), len(set(records)), "a chunk was recorded twice")
    return first, final, records


def wait_for_records(test, checkpoint, cluster, timeout=JOB_TIMEOUT):
    """Until the checkpoint holds a chunk: work that is durably recorded."""
    deadline = time.monotonic() + timeout
    while not chunk_records(checkpoint):
        test.assertLess(time.monotonic(), deadline, cluster.diagnostics())
        time.sleep(POLL_SECONDS)


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
