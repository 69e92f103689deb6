"""@file test_dask.py
@brief dask.distributed: a LocalCluster of 2 worker processes on 127.0.0.1 counts the parts of a
       range (client.map); merged, exactly the single call's histogram. The cluster is closed
       also when the test fails.
"""
import distributed
import pytest

import numfactors
from parts import count_part_where, merge, split

LO, HI = 10**12, 10**12 + 4 * 10**7


@pytest.fixture
def client(tmp_path):
    # Processes, not threads: each worker imports numfactors itself. No dashboard (no port).
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None,
                                  local_directory=str(tmp_path), timeout="60s") as cluster:
        with distributed.Client(cluster, timeout="60s") as client:
            client.wait_for_workers(2, timeout=60)
            yield client


def test_client_map(client):
    futures = client.map(count_part_where, split(LO, HI, 8))
    results = client.gather(futures)
    assert merge(h for _, h in results) == numfactors.histogram(LO, HI, method="sieve")
    assert len(client.scheduler_info()["workers"]) == 2
    assert all(addr.startswith("tcp://127.0.0.1:") for addr in client.scheduler_info()["workers"])
