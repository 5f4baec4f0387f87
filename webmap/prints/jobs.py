"""Render many files (district sheets, guidebooks) in this process or in a pool of processes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

__all__ = ["render_jobs"]


def render_jobs(jobs: dict[str, Path], render: Callable[[str, Path], None], *,
                initializer: Callable[..., None], initargs: Sequence[Any],
                reset: Callable[[], None], workers: int,
                progress: Callable[[str, int, int], None] | None = None) -> None:
    """
    ``render(name, path)`` for every job, after ``initializer(*initargs)`` has set up what
    the renders share: here when ``workers`` is 1 (then ``reset()`` clears it afterwards),
    else once in each of ``workers`` processes. ``progress(name, done, total)`` after each.

    ``render`` and ``initializer`` must be module-level functions (they are pickled).
    """
    done = 0
    if workers == 1:
        initializer(*initargs)
        try:
            for name, path in jobs.items():
                render(name, path)
                done += 1
                if progress is not None:
                    progress(name, done, len(jobs))
        finally:
            reset()
        return
    with ProcessPoolExecutor(max_workers=workers, initializer=initializer,
                             initargs=tuple(initargs)) as pool:
        futures = {pool.submit(render, name, path): name for name, path in jobs.items()}
        for future in as_completed(futures):
            future.result()
            done += 1
            if progress is not None:
                progress(futures[future], done, len(jobs))
