"""A Dask worker plugin that ends its worker's process while it analyses a marked study area.

Used by the batch tests to lose a worker mid-task for real: when the task whose key names
the marked folder starts executing, the whole worker process ends with ``os._exit`` at once
(the task has started and its result never leaves the worker). Not after a delay: on free
cores a small area's analysis finishes within 0.2 s, and a worker lost after its task finished
only makes Dask compute that result again, which is not a task lost mid-way. The
nanny starts a new worker, which gets the plugin again. ``times`` deaths at most are caused,
counted across processes in a file (the plugin's own state dies with its worker).
"""

from __future__ import annotations

import os
from pathlib import Path

from distributed.diagnostics.plugin import WorkerPlugin


class DieWhileAnalysing(WorkerPlugin):
    """End the worker as the marked area's task starts, ``times`` times in all."""

    name = "die-while-analysing"

    def __init__(self, folder: str, tally: Path, times: int) -> None:
        self.folder, self.tally, self.times = folder, Path(tally), times

    def transition(self, key, start, finish, *args, **kwargs) -> None:
        if finish != "executing" or f"-{self.folder}-" not in str(key):
            return
        deaths = len(self.tally.read_text().splitlines()) if self.tally.exists() else 0
        if deaths >= self.times:
            return
        with self.tally.open("a") as file:
            file.write(f"{os.getpid()} {key}\n")
        os._exit(1)
