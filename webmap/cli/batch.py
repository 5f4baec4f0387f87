"""``ibasho batch``: many study areas (e.g. the 35 municipalities of Gunma) in one run.

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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

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

__all__ = ["BatchReport", "batch", "run_batch"]

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
        A ``distributed.Client``: each area is a task (retried once when its worker is
        lost). None: the areas run one after the other in this process.
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
        say(f"[{len(results)}/{len(todo)}] {result.municipality} {result.seconds:.1f} s {state}")

    if client is None:
        for path in todo:
            finished(summarise_study_area(path))
    else:
        from distributed import as_completed

        futures = client.map(summarise_study_area, todo, retries=1, pure=False)  # type: ignore[attr-defined]
        config_of = {future.key: path for future, path in zip(futures, todo, strict=True)}
        for future in as_completed(futures):
            try:
                finished(future.result())
            except Exception as exc:  # a lost worker fails one area only
                path = config_of[future.key]
                finished(AreaResult(Path(path).parent.name, path, hashes[path],
                                    error=f"{type(exc).__name__}: {exc}"))
    write_batch(target, results, kept=previous, kept_areas=unchanged.values())
    return BatchReport(target, results, sorted(unchanged.values()),
                       time.perf_counter() - started)


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
        from distributed import Client, LocalCluster

        if scheduler:
            with Client(scheduler) as client:
                report = run_batch(configs, out, client=client, echo=echo, force=force)
        else:
            n_workers = workers or os.cpu_count() or 1
            with LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                              dashboard_address=None) as cluster, Client(cluster) as client:
                echo(f"Dask local cluster: {n_workers} workers")
                report = run_batch(configs, out, client=client, echo=echo, force=force)
    if any(r.ok for r in report.done) or report.skipped:
        pages = write_prefecture_pages(report.geopackage, out, title=title, indicator=indicator,
                                       attribution=_attribution(configs))
        echo(f"Wrote {len(pages)} pages: {out / 'index.html'}")
    if report.skipped:
        echo(f"Skipped {len(report.skipped)} areas whose inputs did not change")
    for failed in report.failed:
        echo(f"FAILED {failed.municipality} ({failed.config}): {failed.error}")
    echo(f"{report.geopackage}: {len(report.done) - len(report.failed)} areas analysed, "
         f"{len(report.failed)} failed, {report.seconds:.1f} s")
    if report.failed:
        raise SystemExit(1)
