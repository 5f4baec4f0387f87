"""Guidebooks written to files: one district, or every district at once (``ibasho guidebook``).

Every district's book is drawn from the same projected layers (projected once) by a pool of
processes, like the printed sheets (:func:`webmap.prints.sheet.export_all_districts`), and each
file is written atomically.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Callable
from pathlib import Path

from geo.coverage.by_distance import CoverageResult
from layers.files.atomic import write_atomic
from layers.guide import district_guide
from layers.study import StudyArea
from webmap.prints.fonts import find_japanese_font
from webmap.prints.guidebook import guidebook_pdf
from webmap.prints.guidebook_workbook import guidebook_workbook
from webmap.prints.jobs import render_jobs
from webmap.prints.sheet import ExportError, sheet_filename
from webmap.prints.sheet_layers import PrintLayers, prepare_layers

logger = logging.getLogger(__name__)
__all__ = ["GUIDEBOOK_FORMATS", "export_guidebooks", "render_guidebook"]

#: What a guidebook is written as: a PDF, or an Excel workbook.
GUIDEBOOK_FORMATS: tuple[str, ...] = ("pdf", "xlsx")

_WORKER: dict = {}


def render_guidebook(study: StudyArea, district: str, *, fmt: str = "pdf",
                     today: dt.date, layers: PrintLayers | None = None,
                     booklet: bool = False, near_url: str | None = None) -> bytes:
    """
    One district's guidebook as bytes: ``"pdf"`` (A4, or an A5 booklet) or ``"xlsx"``.

    Raises
    ------
    ValueError
        For a format not in :data:`GUIDEBOOK_FORMATS` or an unknown district.
    """
    if fmt not in GUIDEBOOK_FORMATS:
        msg = f"format {fmt!r} is not supported; choose one of: {', '.join(GUIDEBOOK_FORMATS)}."
        raise ValueError(msg)
    try:
        guide = district_guide(study, district, today=today)
    except KeyError as exc:
        raise ValueError(exc.args[0]) from None
    if fmt == "xlsx":
        return guidebook_workbook(guide)
    return guidebook_pdf(guide, layers=layers, booklet=booklet, near_url=near_url)


def _init_worker(study: StudyArea, layers: PrintLayers, settings: dict) -> None:
    _WORKER.update(study=study, layers=layers, settings=settings)


def _render_to(name: str, out: Path) -> Path:
    data = render_guidebook(_WORKER["study"], name, layers=_WORKER["layers"],
                            **_WORKER["settings"])
    try:
        write_atomic(out, data)
    except OSError as exc:
        msg = f"cannot write the guidebook to {out}: {exc.strerror or exc}."
        raise ExportError(msg) from exc
    return out


def export_guidebooks(study: StudyArea, coverage: CoverageResult, *, out: Path | str,
                      district: str | None = None, fmt: str = "pdf", booklet: bool = False,
                      near_url: str | None = None, today: dt.date, workers: int = 1,
                      progress: Callable[[str, int, int], None] | None = None) -> list[Path]:
    """
    Write the guidebook of ``district`` to the file ``out``, or (``district=None``) of every
    district into the folder ``out``, named like the sheets (``03_箕郷.pdf``).

    Parameters
    ----------
    coverage
        The study's coverage, for the cover map's reach and gaps.
    fmt, booklet, near_url
        As :func:`render_guidebook`.
    today
        The day the next dates count from, the same in every book.
    workers
        Processes drawing books at once (2 on a 2-core machine).
    progress
        Called as ``progress(district, done, total)`` after each book.

    Raises
    ------
    ValueError, ExportError
        An unknown district or format; a place that cannot be written (before any drawing).
    """
    if fmt not in GUIDEBOOK_FORMATS:
        msg = f"format {fmt!r} is not supported; choose one of: {', '.join(GUIDEBOOK_FORMATS)}."
        raise ValueError(msg)
    if district is not None and district not in study.district_names:
        msg = f"unknown district {district!r}; choose one of: {', '.join(study.district_names)}."
        raise ValueError(msg)
    out = Path(out)
    if district is None:
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            msg = f"cannot create the folder {out}: {exc.strerror}. Choose another folder."
            raise ExportError(msg) from exc
        jobs = {name: out / sheet_filename(name, index=i, fmt=fmt)
                for i, name in enumerate(study.district_names, start=1)}
        folder = out
    else:
        if out.is_dir():
            msg = (f"cannot write the guidebook to {out}: it is a folder. Give a file name, "
                   f"e.g. {out / ('guidebook.' + fmt)}.")
            raise ExportError(msg)
        jobs = {district: out}
        folder = out.parent
    if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
        msg = f"cannot write to the folder {folder}: it does not exist or is not writable."
        raise ExportError(msg)
    layers = None
    if fmt == "pdf":
        find_japanese_font(for_pdf=True)  # fail early, before any process starts
        layers = prepare_layers(study, coverage)
    settings = {"fmt": fmt, "booklet": booklet, "near_url": near_url, "today": today}
    render_jobs(jobs, _render_to, initializer=_init_worker, initargs=(study, layers, settings),
                reset=_WORKER.clear, workers=1 if len(jobs) == 1 else workers,
                progress=progress)
    logger.info("Wrote %d guidebooks (%s) to %s", len(jobs), fmt, folder)
    return list(jobs.values())
