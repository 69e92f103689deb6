#!/usr/bin/python3
"""@file scripts_test.py
@brief scripts/plot and scripts/scaling: pictures are written where they should be, bad input is
       one error line with status 2, and the Amdahl fit recovers a serial fraction that was put in.

Run by ctest (label scripts) with NUMFACTORS (the binary) and NUMFACTORS_SOURCE_DIR.
"""
import json
import os
import random
import re
import subprocess
import tempfile
import unittest

SOURCE = os.environ["NUMFACTORS_SOURCE_DIR"]
BINARY = os.environ["NUMFACTORS"]
PLOT = os.path.join(SOURCE, "scripts", "plot")
SCALING = os.path.join(SOURCE, "scripts", "scaling")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def run(*args, check=True):
    return subprocess.run(list(args), capture_output=True, text=True, timeout=120, check=check,
                          env=dict(os.environ, NUMFACTORS=BINARY))


def is_png(path):
    with open(path, "rb") as f:
        return f.read(8) == PNG_SIGNATURE


def result_json(seconds, workers, histogram=None):
    return json.dumps({"min": 2, "max": 10**9, "count": "distinct", "mode": "threads",
                       "workers": workers, "seconds": seconds,
                       "histogram": histogram or {"1": 5, "2": 3}, "worker_stats": []})


class PlotTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def path(self, name):
        return os.path.join(self.dir, name)

    def write(self, name, text):
        with open(self.path(name), "w") as f:
            f.write(text)
        return self.path(name)

    def assertUsageError(self, *args):
        proc = run(PLOT, *args, check=False)
        self.assertEqual(proc.returncode, 2, proc.stderr)
        self.assertRegex(proc.stderr, r"^plot: error: .+\n$")

    def test_histogram_next_to_input_and_with_output_option(self):
        result = self.path("result.json")
        with open(result, "w") as f:
            subprocess.run([BINARY, "--max", "1e6", "--format", "json"], stdout=f, check=True)
        run(PLOT, "histogram", result)
        self.assertTrue(is_png(self.path("result.png")))
        run(PLOT, "histogram", result, "--log", "-o", self.path("log.png"))
        self.assertTrue(is_png(self.path("log.png")))

    def test_histogram_rejects_what_is_not_a_result(self):
        self.assertUsageError("histogram", self.write("bad.json", "{1: 7, 2: 2}\n"))
        self.assertUsageError("histogram", self.path("missing.json"))

    def test_malformed_results_and_timelines_are_one_line_each(self):
        # Each of these once ended in a Python traceback (or, for a negative count, a picture).
        for name, text in (("key", '{"histogram": {"a": 1}}'), ("list", '{"histogram": [1, 2]}'),
                           ("null", '{"histogram": null}'), ("inf", '{"histogram": {"1": 1e400}}'),
                           ("negative", '{"histogram": {"1": -5}}'),
                           ("float", '{"histogram": {"1": 2.5}}')):
            self.assertUsageError("histogram", self.write(name + ".json", text + "\n"))
        with open(self.path("binary.csv"), "wb") as f:
            f.write(b"\xff\xfe\x00")
        self.assertUsageError("timeline", self.path("binary.csv"))
        self.assertUsageError("timeline", self.write("row.csv", "worker,start,end,lo,hi\n0,0.1\n"))
        for seconds in ("0", '"abc"', "null"):
            self.write("workers-1.json", result_json(1.0, 1).replace('"seconds": 1.0',
                                                                    f'"seconds": {seconds}'))
            self.write("workers-2.json", result_json(0.5, 2))
            self.assertUsageError("scaling", self.dir)

    def test_scripts_answer_help_and_refuse_unknown_arguments(self):
        scripts = os.path.join(SOURCE, "scripts")
        for script in ("sanitize", "setup", "test", "num_factors.py", "slurm-local", "scaling"):
            proc = run(os.path.join(scripts, script), "--help")
            self.assertGreater(len(proc.stdout.splitlines()), 3, script)
        for script, args in (("sanitize", ["--bogus"]), ("setup", ["--bogus"]),
                             ("scaling", ["--workers", "abc"]), ("scaling", ["--workers", ",,"]),
                             ("scaling", ["--repeat", "0"])):
            proc = run(os.path.join(scripts, script), *args, check=False)
            self.assertEqual(proc.returncode, 2, (script, args, proc.stderr))
            self.assertNotIn("Traceback", proc.stderr, script)

    def test_timeline_of_a_real_run(self):
        timeline = self.path("run.csv")
        subprocess.run([BINARY, "--mode", "threads", "--workers", "3", "--max", "1e7",
                        "--timeline", timeline], check=True, capture_output=True)
        run(PLOT, "timeline", timeline)
        self.assertTrue(is_png(self.path("run.png")))

    def test_timeline_names_and_bad_input(self):
        rows = ["worker,start,end,lo,hi"]
        for chunk in range(12):
            start = 0.01 * chunk
            rows.append(f"rank {chunk % 3} thread 0,{start:.3f},{start + 0.008:.3f},"
                        f"{chunk * 100 + 1},{chunk * 100 + 100}")
        run(PLOT, "timeline", self.write("names.csv", "\n".join(rows) + "\n"), "-o",
            self.path("names-out.png"))
        self.assertTrue(is_png(self.path("names-out.png")))
        self.assertUsageError("timeline", self.write("short.csv", "worker,start\n0,0.1\n"))

    def test_amdahl_fit_recovers_the_serial_fraction(self):
        seed = random.randrange(2**32)
        print(f"seed {seed}")
        rng = random.Random(seed)
        serial_fraction = rng.uniform(0.01, 0.5)
        one_worker = rng.uniform(1, 100)
        for p in (1, 2, 3, 4, 8):
            exact = one_worker * (serial_fraction + (1 - serial_fraction) / p)
            self.write(f"workers-{p}.json", result_json(exact, p))
            # A slower repeat (a disturbed run): the fit must use the best time of each count.
            self.write(f"workers-{p}-r1.json", result_json(exact * rng.uniform(1.1, 2), p))
        out = run(PLOT, "scaling", self.dir).stdout
        fitted = float(re.search(r"serial fraction f = ([0-9.]+)", out).group(1))
        self.assertAlmostEqual(fitted, serial_fraction, places=3)
        speedups = re.findall(r"^\s*8\s+[0-9.]+\s+([0-9.]+)", out, re.M)
        amdahl_at_8 = 1 / (serial_fraction + (1 - serial_fraction) / 8)
        self.assertAlmostEqual(float(speedups[0]), amdahl_at_8, places=1)
        self.assertTrue(is_png(self.path("scaling.png")))

    def test_scaling_refuses_runs_of_different_jobs(self):
        self.write("workers-1.json", result_json(2.0, 1))
        self.write("workers-2.json", result_json(1.0, 2, histogram={"1": 4, "2": 4}))
        self.assertUsageError("scaling", self.dir)

    def test_scaling_refuses_and_warns_about_runs_too_short_to_time(self):
        # A study of runs of milliseconds is refused...
        proc = run(SCALING, "--mode", "threads", "--workers", "1,2", "--max", "1e6",
                   "--repeat", "1", "--out", self.path("short"), check=False)
        self.assertEqual(proc.returncode, 2, proc.stderr)
        self.assertIn("too short to time", proc.stderr)
        # ...and results of such runs are plotted with a warning.
        for p in (1, 2):
            self.write(f"workers-{p}.json", result_json(0.01 / p, p))
        proc = run(PLOT, "scaling", self.dir)
        self.assertIn("plot: warning: the fastest run took 0.0050 s, too short to time", proc.stderr)

    def test_scaling_runs_the_study_locally(self):
        out = self.path("study")
        proc = run(SCALING, "--mode", "threads", "--workers", "1,2", "--max", "4e9",
                   "--repeat", "1", "--out", out)
        self.assertEqual(sorted(os.listdir(out)),
                         ["scaling.png", "workers-1-r0.json", "workers-2-r0.json"])
        # The sieve, whose runs are long enough to share out (auto would count this range in
        # milliseconds with the analytic method).
        for name in ("workers-1-r0.json", "workers-2-r0.json"):
            with open(os.path.join(out, name)) as f:
                result = json.load(f)
            self.assertEqual(result["method"], "sieve")
            self.assertGreaterEqual(result["seconds"], 0.2)
        self.assertIn("serial fraction", proc.stdout)
        self.assertTrue(is_png(os.path.join(out, "scaling.png")))


if __name__ == "__main__":
    unittest.main(verbosity=2)
