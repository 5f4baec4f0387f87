"""A Dask worker plugin that ends its worker's process while it analyses a marked study area.

Used by the batch tests to lose a worker mid-task for real: when the task whose key names
the marked folder starts executing, a timer ends the whole worker process with ``os._exit``
shortly after (the task is then half done and its result never leaves the worker). The
nanny starts a new worker, which gets the plugin again. ``times`` deaths at most are caused,
counted across processes in a file (the plugin's own state dies with its worker).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from distributed.diagnostics.plugin import WorkerPlugin


class DieWhileAnalysing(WorkerPlugin):
    """End the worker ``delay_s`` after the marked area's task starts, ``times`` times in all."""

    name = "die-while-analysing"

    def __init__(self, folder: str, tally: Path, times: int, delay_s: float = 0.2) -> None:
        self.folder, self.tally, self.times, self.delay_s = folder, Path(tally), times, delay_s

    def transition(self, key, start, finish, *args, **kwargs) -> None:
        if finish != "executing" or f"-{self.folder}-" not in str(key):
            return
        deaths = len(self.tally.read_text().splitlines()) if self.tally.exists() else 0
        if deaths >= self.times:
            return
        with self.tally.open("a") as file:
            file.write(f"{os.getpid()} {key}\n")
        threading.Timer(self.delay_s, os._exit, args=(1,)).start()
