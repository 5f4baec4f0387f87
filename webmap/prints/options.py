"""How a sheet is printed, in one object, and the blank figure of its paper.

:class:`SheetOptions` (paper, orientation, resolution, format, greys, table, QR code, date,
minutes grid, the bus reach) is made once where a sheet is asked for (the print form,
``ibasho export``, the planner) and passed down to whatever draws or writes the sheet. It is
checked when it is made, so a choice that is not supported never reaches the drawing, and the
message names the choices.

matplotlib's settings are global: sheets drawn in threads (a web server) take turns
(:data:`MATPLOTLIB_LOCK`), so that one sheet's settings are never undone by another's;
:func:`sheet_figure` and :func:`sheet_settings` take the turn.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import matplotlib
from matplotlib.figure import Figure

from webmap.prints.fonts import JapaneseFont
from webmap.prints.layout import ORIENTATIONS, PAPER_SIZES_MM, SheetLayout

__all__ = ["FORMATS", "MATPLOTLIB_LOCK", "MATPLOTLIB_RC", "MEDIA_TYPES", "SUPPORTED_DPI",
           "SheetOptions", "figure_size_in", "sheet_figure", "sheet_settings"]

#: Raster resolutions (dots per inch) of PNG sheets: 300 for print, 150 for screens and mail.
#: Vector formats (PDF, SVG) accept the same values; they only matter for hatch density.
SUPPORTED_DPI: tuple[int, ...] = (150, 300)

#: Output formats: PNG (raster), PDF and SVG (vector, text kept as text in PDF).
FORMATS: tuple[str, ...] = ("png", "pdf", "svg")

#: The media type of each format (for a web page that streams a sheet).
MEDIA_TYPES: dict[str, str] = {"png": "image/png", "pdf": "application/pdf",
                               "svg": "image/svg+xml"}

#: Settings and rcParams are global in matplotlib: sheets drawn in threads (a web server)
#: take turns, so that one sheet's settings are never undone by another's.
MATPLOTLIB_LOCK = threading.RLock()

#: Type 42 keeps PDF text selectable; SVG text becomes paths so it looks the same anywhere.
MATPLOTLIB_RC = {"pdf.fonttype": 42, "svg.fonttype": "path", "svg.hashsalt": "ibasho",
                 "hatch.linewidth": 0.7, "axes.unicode_minus": False,
                 # Text from the data is drawn as written: never mathtext ($…$) or TeX.
                 "text.parse_math": False, "text.usetex": False}


@dataclass(frozen=True)
class SheetOptions:
    """
    How one sheet is printed.

    Parameters
    ----------
    paper, orientation
        ``"A4"`` or ``"A3"``; ``"portrait"`` or ``"landscape"``.
    dpi
        150 or 300 (:data:`SUPPORTED_DPI`): an A4 PNG at 300 dpi is 2480 × 3508 pixels.
    fmt
        ``"png"``, ``"pdf"`` or ``"svg"`` (:data:`FORMATS`).
    greyscale
        For black-and-white printing: greys only, areas hatched.
    with_table
        Number the places and list them (schedule, contact) beside the map when the list
        fits; otherwise the sheet says where to find it.
    qr_url
        Print a QR code linking here (the district's page of the web map).
    today
        The date printed on the sheet (default: the day it is drawn).
    grid
        Draw the grid of walking minutes to the nearest place (≤ 5, 10, 15, 20, > 20 分)
        with the people of the chosen age band per band, in place of the reach and gaps
        (when the plan has a grid).
    bus_reach
        Show 「バスを使えば行ける」: where the people live who cannot walk to a place but can
        get there by bus (:attr:`layers.analysis.Plan.bus`); without buses the sheet says
        how to add them.

    Raises
    ------
    ValueError
        For a paper, orientation, dpi or format that is not supported (the message lists
        the choices).

    Examples
    --------
    >>> SheetOptions(paper="A3", fmt="pdf").dpi
    300
    >>> SheetOptions(paper="B5")
    Traceback (most recent call last):
    ...
    ValueError: paper 'B5' is not supported; choose one of: A4, A3.
    """

    paper: str = "A4"
    orientation: str = "portrait"
    dpi: int = 300
    fmt: str = "png"
    greyscale: bool = False
    with_table: bool = True
    qr_url: str | None = None
    today: dt.date | None = None
    grid: bool = False
    bus_reach: bool = False

    def __post_init__(self) -> None:
        if self.paper not in PAPER_SIZES_MM:
            msg = (f"paper {self.paper!r} is not supported; choose one of: "
                   f"{', '.join(PAPER_SIZES_MM)}.")
            raise ValueError(msg)
        if self.orientation not in ORIENTATIONS:
            msg = (f"orientation {self.orientation!r} is not supported; choose "
                   f"{' or '.join(ORIENTATIONS)}.")
            raise ValueError(msg)
        if isinstance(self.dpi, bool) or self.dpi not in SUPPORTED_DPI:
            msg = (f"dpi {self.dpi!r} is not supported; choose one of: "
                   f"{', '.join(str(d) for d in SUPPORTED_DPI)}.")
            raise ValueError(msg)
        if self.fmt not in FORMATS:
            msg = f"format {self.fmt!r} is not supported; choose one of: {', '.join(FORMATS)}."
            raise ValueError(msg)
        if not isinstance(self.bus_reach, bool):
            msg = f"bus_reach must be True or False, got {self.bus_reach!r}."
            raise ValueError(msg)

    @property
    def date(self) -> dt.date:
        """The date printed on the sheet: :attr:`today`, or the day it is drawn."""
        return self.today or dt.date.today()


def figure_size_in(layout: SheetLayout, *, dpi: int, fmt: str) -> tuple[float, float]:
    """Paper size in inches; for PNG rounded to whole pixels (A4 at 300 dpi: 2480 × 3508)."""
    width_in, height_in = layout.width_mm / 25.4, layout.height_mm / 25.4
    if fmt != "png":
        return width_in, height_in
    return ((round(width_in * dpi) + 1e-3) / dpi, (round(height_in * dpi) + 1e-3) / dpi)


@contextmanager
def sheet_settings(font: JapaneseFont) -> Iterator[None]:
    """matplotlib's settings of a sheet set in ``font``, while this thread has its turn."""
    rc = {**MATPLOTLIB_RC, "font.family": font.regular["fontfamily"]}
    with MATPLOTLIB_LOCK, matplotlib.rc_context(rc):
        yield


@contextmanager
def sheet_figure(layout: SheetLayout, options: SheetOptions,
                 font: JapaneseFont) -> Iterator[Figure]:
    """A white figure of the sheet's paper, to draw on within :func:`sheet_settings`."""
    with sheet_settings(font):
        figure = Figure(figsize=figure_size_in(layout, dpi=options.dpi, fmt=options.fmt),
                        dpi=options.dpi)
        figure.patch.set_facecolor("#FFFFFF")
        yield figure
