"""``ibasho batch``: many study areas (e.g. the 35 municipalities of Gunma) in one run.

Besides the GeoPackage it writes the prefecture's overview pages (:mod:`webmap.maps.prefecture`)
and its A3 sheet, PNG and PDF (:mod:`webmap.prints.prefecture_sheet`), into ``--out``.

Each study area is one task on Dask distributed: a local cluster on this machine by default,
``--scheduler ADDRESS`` for a cluster of machines running the same code. The results go into
one GeoPackage (a layer per result, a ``municipality`` column), written atomically; a rerun
skips the areas whose inputs did not change (by hash); a failing area is reported with its
reason while the others finish.

Examples
--------
    python scripts/make_gunma_configs.py /tmp/gunma
    ibasho batch /tmp/gunma/*/ibasho.toml --out build/gunma
    ibasho batch /tmp/gunma/*/ibasho.toml --out build/gunma --scheduler tcp://10.0.0.5:8786
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from layers.batch import (
    AreaResult,
    input_hash,
    read_batch,
    summarise_study_area,
    unchanged_areas,
    write_batch,
)
from layers.config import load_config
from layers.errors import LayerError
from webmap.maps.prefecture import INDICATORS, write_prefecture_pages
from webmap.prints.prefecture_sheet import write_prefecture_sheets

if TYPE_CHECKING:
    from distributed import LocalCluster

__all__ = ["DASK_SETTINGS", "BatchReport", "batch", "local_cluster", "run_batch"]

#: The GeoPackage a batch writes into ``--out``.
GEOPACKAGE_NAME = "ibasho-batch.gpkg"


@dataclass
class BatchReport:
    """What one run did: the GeoPackage, the areas analysed, skipped and failed."""

    geopackage: Path
    done: list[AreaResult] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def failed(self) -> list[AreaResult]:
        return [r for r in self.done if not r.ok]


def local_cluster(n_workers: int, *,
                  memory_limit: str | float | None = "auto") -> LocalCluster:
    """
    A local Dask cluster of ``n_workers`` processes of one thread each, set up for a batch.

    Two settings of the scheduler make a lost worker cost one area and one retry only: a
    worker holds one task at a time (``worker-saturation`` 1.0), so when it dies only the
    area it was analysing is suspect, and such an area is tried once more on another worker
    (``allowed-failures`` 1) before it is reported as failed. A worker that grows past
    ``memory_limit`` is restarted by its nanny, which counts as such a loss.

    Returns
    -------
    distributed.LocalCluster
        To be closed by the caller (a context manager).
    """
    import dask
    from distributed import LocalCluster

    with dask.config.set(DASK_SETTINGS):
        return LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                            dashboard_address=None, memory_limit=memory_limit)


#: The scheduler's settings for a batch (:func:`local_cluster`; a cluster of machines
#: gets them from the environment, see docs/scale.md).
DASK_SETTINGS = {"distributed.scheduler.allowed-failures": 1,
                 "distributed.scheduler.worker-saturation": 1.0}


def run_batch(configs: Sequence[str | Path], out: str | Path, *, client: object | None = None,
              echo: Callable[[str], None] | None = None, force: bool = False) -> BatchReport:
    """
    Analyse every study area whose inputs changed and write the batch GeoPackage.

    Parameters
    ----------
    configs
        Study-area config files.
    out
        The output folder (created); the GeoPackage is ``out / GEOPACKAGE_NAME``.
    client
        A ``distributed.Client``: each area is a task. An area whose worker dies is
        rescheduled by Dask (once on a :func:`local_cluster`) and, when it is lost again,
        reported as failed with why; the number of workers lost under it is kept in
        ``batch_runs.workers_lost``. None: the areas run one after the other in this process.
    echo
        Called with one progress line per finished area.
    force
        Analyse every area, changed or not.
    """
    started = time.perf_counter()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    target = out / GEOPACKAGE_NAME
    paths = [str(Path(p).resolve()) for p in configs]
    hashes = {p: input_hash(p) for p in paths}
    previous = read_batch(target)
    unchanged = {} if force else unchanged_areas(previous, hashes)
    todo = [p for p in paths if p not in unchanged]
    say = echo or (lambda line: None)
    results: list[AreaResult] = []

    def finished(result: AreaResult) -> None:
        results.append(result)
        state = "ok" if result.ok else f"failed: {result.error}"
        if result.workers_lost and result.ok:
            state += f" (retried: {result.workers_lost} worker lost)"
        say(f"[{len(results)}/{len(todo)}] {result.municipality} {result.seconds:.1f} s {state}")

    if client is None:
        for path in todo:
            finished(summarise_study_area(path))
    else:
        results = _run_on_dask(client, todo, hashes, finished)
    write_batch(target, results, kept=previous, kept_areas=unchanged.values())
    return BatchReport(target, results, sorted(unchanged.values()),
                       time.perf_counter() - started)


def _run_on_dask(client: Any, todo: list[str], hashes: dict[str, str],
                 finished: Callable[[AreaResult], None]) -> list[AreaResult]:
    """Every area as a task named after its folder; the workers lost under each, from the
    scheduler's own record of removed workers."""
    from distributed import as_completed

    run = uuid.uuid4().hex[:8]
    keys = [f"summarise_study_area-{Path(p).parent.name}-{run}-{i}" for i, p in enumerate(todo)]
    futures = client.map(summarise_study_area, todo, key=keys, retries=1)
    config_of = dict(zip(keys, todo, strict=True))
    done: list[AreaResult] = []
    for future in as_completed(futures):
        path = config_of[future.key]
        lost = _workers_lost(client, future.key)
        try:
            result = future.result()
        except Exception as exc:  # a lost worker fails one area only
            lost = max(lost, _deaths(exc))
            result = AreaResult(Path(path).parent.name, path, hashes[path],
                                error=_why(exc, lost))
        result.workers_lost = lost
        done.append(result)
        finished(result)
    return done


def _workers_lost(client: Any, key: str) -> int:
    """How many workers were removed while running (or holding) task ``key``."""
    return sum(key in event.get("processing-tasks", ())
               for _time, event in client.get_events("all")
               if isinstance(event, dict) and event.get("action") == "remove-worker")


def _deaths(exc: Exception) -> int:
    """Workers lost under a task that failed with ``exc``: a ``KilledWorker`` says how many were
    allowed (the scheduler may fail the task before its last removal is in its event log)."""
    from distributed import KilledWorker

    return exc.allowed_failures + 1 if isinstance(exc, KilledWorker) else 0


def _why(exc: Exception, lost: int) -> str:
    """A failed task's reason, in words for whoever runs the batch."""
    from distributed import KilledWorker

    if isinstance(exc, KilledWorker):
        return (f"作業プロセスが分析中に{lost}回終了しました（再試行1回）。メモリ不足か"
                f"異常終了です: 最後のワーカー {exc.last_worker.address} のログを確認してください"
                f" (the worker died {lost} times while analysing this area; retried once: "
                "out of memory or a crash, see the worker's log)")
    return f"{type(exc).__name__}: {exc}"


def _attribution(configs: Sequence[Path]) -> list[str]:
    """The 出典 lines of every config that loads, each once, in order."""
    lines: dict[str, None] = {}
    for path in configs:
        try:
            lines.update(dict.fromkeys(load_config(path).attribution))
        except LayerError:
            continue  # its failure is reported with the batch
    return list(lines)


@click.command()
@click.argument("configs", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help=f"Output folder: {GEOPACKAGE_NAME} (one layer per result).")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="A Dask scheduler, e.g. tcp://10.0.0.5:8786 (default: a local cluster).")
@click.option("--workers", type=int, default=None,
              help="Workers of the local cluster (default: one per CPU core).")
@click.option("--sequential", is_flag=True, help="No cluster: one area after the other.")
@click.option("--force", is_flag=True, help="Analyse every area, even unchanged ones.")
@click.option("--title", default="群馬県", show_default=True, help="The overview page's title.")
@click.option("--indicator", type=click.Choice(list(INDICATORS)),
              default="public_uncovered_share_500m", show_default=True,
              help="What colours the overview map.")
def batch(configs: tuple[Path, ...], out: Path, scheduler: str | None, workers: int | None,
          sequential: bool, force: bool, title: str, indicator: str) -> None:
    """Analyse many study areas (CONFIGS) on Dask and write one GeoPackage into --out.

    Exits with status 1 when any area failed; the others are written all the same.
    """
    def echo(line: str) -> None:
        click.echo(line, err=True)

    if sequential:
        report = run_batch(configs, out, echo=echo, force=force)
    else:
        from distributed import Client

        if scheduler:
            with Client(scheduler) as client:
                report = run_batch(configs, out, client=client, echo=echo, force=force)
        else:
            n_workers = workers or os.cpu_count() or 1
            with local_cluster(n_workers) as cluster, Client(cluster) as client:
                echo(f"Dask local cluster: {n_workers} workers")
                report = run_batch(configs, out, client=client, echo=echo, force=force)
    if any(r.ok for r in report.done) or report.skipped:
        attribution = _attribution(configs)
        sheets = write_prefecture_sheets(report.geopackage, out, title=title,
                                         indicator=indicator, attribution=attribution)
        pages = write_prefecture_pages(report.geopackage, out, title=title, indicator=indicator,
                                       attribution=attribution,
                                       sheets=[sheet.name for sheet in sheets])
        echo(f"Wrote {len(pages)} pages: {out / 'index.html'}; the A3 sheet: "
             + ", ".join(str(sheet) for sheet in sheets))
    if report.skipped:
        echo(f"Skipped {len(report.skipped)} areas whose inputs did not change")
    for failed in report.failed:
        echo(f"FAILED {failed.municipality} ({failed.config}): {failed.error}")
    echo(f"{report.geopackage}: {len(report.done) - len(report.failed)} areas analysed, "
         f"{len(report.failed)} failed, {report.seconds:.1f} s")
    if report.failed:
        raise SystemExit(1)
