"""Where independent solves run: one after another in this process, or as Dask tasks.

Dask (`pip install -e '.[scale]'`) is imported only when more than one worker or a scheduler is
asked for. The embedded cluster is a LocalCluster started by this process: one single-threaded
worker process per requested worker, or (`processes=False`) one worker thread each in this very
process, which starts in a fraction of a second and ships nothing (the search core's compiled
loops release the GIL; OR-Tools does not, so solves on threads leave its polish out). A scheduler
address or a `distributed.Client` runs the same tasks on a cluster the user already has.
"""

from __future__ import annotations

import logging
import os
from typing import Any, Callable, Iterable

from ..format.scenario import ScenarioError

CLUSTER_STOP_S = 2.5  # closing an embedded LocalCluster of processes (workers, nannies, scheduler)
THREADS_STOP_S = 0.5  # ... of threads in this process


def requested_workers(workers: int) -> int:
    """`workers`, where 0 means one per core."""
    return workers if workers > 0 else max(1, os.cpu_count() or 1)


class Runner:
    """A context manager mapping a picklable function over argument tuples, in order."""

    def __init__(
        self,
        workers: int = 1,
        scheduler: str | None = None,
        client: Any = None,
        processes: bool = True,
        connect_s: float = 10.0,
    ):
        self.workers = requested_workers(workers)
        self.connect_s = connect_s  # how long a scheduler at `scheduler` may take to answer
        self.scheduler, self.client = scheduler, client
        self.processes = processes  # of an embedded cluster: worker processes, or threads here
        self._own: list[Any] = []  # what this runner started and must close
        self.threads = False  # True when the tasks run on threads of this process
        self.stop_s = 0.0  # what closing it takes (budgeted by the caller's time limit)

    @property
    def uses_dask(self) -> bool:
        return self.client is not None or self.scheduler is not None or self.workers > 1

    def __enter__(self) -> "Runner":
        if not self.uses_dask:
            return self
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise ScenarioError(
                [
                    f"workers: got {self.workers}; running on several workers needs Dask, which is "
                    "not installed; fix: pip install -e '.[scale]' (or use one worker)"
                ]
            ) from None
        if self.client is None:
            if self.scheduler is not None:
                try:
                    self.client = Client(self.scheduler, timeout=f"{self.connect_s}s")
                except OSError as exc:
                    raise ScenarioError(
                        [
                            f"scheduler: got {self.scheduler!r}; no Dask scheduler answered "
                            f"({exc}); fix: give the address of a running scheduler, "
                            "e.g. tcp://host:8786"
                        ]
                    ) from None
            else:
                cluster = LocalCluster(
                    n_workers=self.workers,
                    threads_per_worker=1,
                    processes=self.processes,
                    dashboard_address=":0",
                    silence_logs=logging.ERROR,
                    memory_limit=0,  # no spilling or pausing: each task holds one territory
                )
                self._own.append(cluster)
                self.stop_s = CLUSTER_STOP_S if self.processes else THREADS_STOP_S
                self.client = Client(cluster)
            self._own.insert(0, self.client)
        self.threads = not self.processes and self.scheduler is None and bool(self._own)
        threads = self.client.nthreads()
        self.workers = max(1, sum(threads.values())) if threads else self.workers
        return self

    def __exit__(self, *exc) -> None:
        for thing in self._own:
            try:
                thing.close()
            except Exception:  # noqa: BLE001 - closing must not hide the result or the real error
                pass
        self._own.clear()

    def map(
        self,
        fn: Callable,
        args: Iterable[tuple],
        on_result: Callable[[int, Any], None] | None = None,
    ) -> list:
        """fn(*a) for each tuple, results in the order given; on_result(i, result) as each ends."""
        args = list(args)
        if not self.uses_dask:
            out = []
            for i, a in enumerate(args):
                out.append(fn(*a))
                if on_result is not None:
                    on_result(i, out[-1])
            return out
        from distributed import as_completed

        futures = [self.client.submit(fn, *a, pure=False) for a in args]
        index = {f.key: i for i, f in enumerate(futures)}
        out: list = [None] * len(futures)
        for future in as_completed(futures):
            i = index[future.key]
            out[i] = future.result()
            if on_result is not None:
                on_result(i, out[i])
        return out
