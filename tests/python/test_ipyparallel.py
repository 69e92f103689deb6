"""@file test_ipyparallel.py
@brief ipyparallel, the seed's framework: a local cluster of 2 engines on 127.0.0.1 counts the
       parts of a range through a load-balanced view; merged, exactly the single call's histogram.
       The test starts the cluster and stops it, also when it fails.
"""
import ipyparallel as ipp
import pytest

import numfactors
from parts import count_part_where, merge, split

LO, HI = 10**12, 10**12 + 4 * 10**7


@pytest.fixture
def cluster(tmp_path, monkeypatch):
    # Its own profile folder (no ~/.ipython), the controller on loopback, engines that inherit
    # this environment (PYTHONPATH finds numfactors and parts.py).
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    c = ipp.Cluster(n=2, profile_dir=str(tmp_path / "profile"), controller_ip="127.0.0.1",
                    log_level=30)
    try:
        c.start_cluster_sync()
        client = c.connect_client_sync()
        client.wait_for_engines(2, timeout=120)
        yield client
        client.close()
    finally:
        c.stop_cluster_sync()


def test_load_balanced_view(cluster):
    view = cluster.load_balanced_view()
    results = view.map_sync(count_part_where, split(LO, HI, 8))
    assert merge(h for _, h in results) == numfactors.histogram(LO, HI, method="sieve")
    # Both engines counted: the scheduler gives an engine one task at a time (its high-water
    # mark is 1), so the first two tasks go to different engines.
    assert len({pid for pid, _ in results}) == 2
