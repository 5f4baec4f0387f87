"""Symbols of the printed map: place markers, bus stops and legend swatches, drawn by matplotlib.

The print twin of :mod:`webmap.maps.symbols`: the same shapes (``SHAPES`` vertices), colours and
glyphs from :mod:`webmap.maps.style`, sized in points instead of CSS pixels. With ``greyscale``
every colour becomes its grey of equal luminance and areas get hatch patterns
(``PRINT_HATCHES``), so a black-and-white copy still tells the layers apart.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import to_rgb
from matplotlib.markers import MarkerStyle
from matplotlib.patches import FancyBboxPatch, PathPatch
from matplotlib.path import Path

from webmap.maps.style import (
    BUFFER_OPACITY,
    GAP_STYLE,
    PRINT_HATCHES,
    SHAPES,
    STOP_STYLE,
)
from webmap.maps.symbols import category_style

__all__ = [
    "MARKER_SIZE_PT",
    "PX_TO_PT",
    "AreaStyle",
    "LineStyle",
    "area_style",
    "buffer_area_style",
    "draw_area_swatch",
    "draw_line_swatch",
    "draw_place_markers",
    "draw_stops",
    "gap_area_style",
    "grey",
    "paint",
]

#: A CSS pixel is 0.75 pt (96 px per inch, 72 pt per inch).
PX_TO_PT = 0.75

#: Place markers on paper: 6 mm across, large enough for the glyph to be read at arm's length.
MARKER_SIZE_PT = 17.0

#: The SVG markers of :mod:`webmap.maps.symbols` live in a 24-unit box with a 1.5-unit stroke.
_SVG_BOX = 24.0
_SVG_RADIUS = 10.5
_GLYPH_SHARE = 11.5 / _SVG_BOX
_OUTLINE = "#1B1B1B"


def grey(color: str) -> str:
    """The grey of the same relative luminance as ``color`` (ITU-R BT.709 weights)."""
    red, green, blue = to_rgb(color)
    level = 0.2126 * red + 0.7152 * green + 0.0722 * blue
    value = round(255 * level)
    return f"#{value:02X}{value:02X}{value:02X}"


def paint(color: str, *, greyscale: bool) -> str:
    """``color``, or its grey when printing in black and white."""
    return grey(color) if greyscale else color


@dataclass(frozen=True)
class AreaStyle:
    """How an area layer is filled and outlined (matplotlib units: points, 0–1 alpha)."""

    face: str
    face_alpha: float
    edge: str
    linewidth_pt: float
    dashes_pt: tuple[float, ...] | None = None
    hatch: str | None = None
    hatch_color: str | None = None

    def patch(self, path: Path, *, zorder: float, **kwargs) -> list[PathPatch]:
        """Patches drawing ``path`` in this style: the fill, then the outline (and hatch)."""
        fill = PathPatch(path, facecolor=self.face, alpha=self.face_alpha, edgecolor="none",
                         zorder=zorder, **kwargs)
        outline = PathPatch(path, facecolor="none", edgecolor=self.edge,
                            linewidth=self.linewidth_pt, zorder=zorder + 0.01,
                            linestyle=_dashes(self.dashes_pt, self.linewidth_pt),
                            hatch=self.hatch, **kwargs)
        if self.hatch:
            outline.set_hatchcolor(self.hatch_color or self.edge)
        return [fill, outline]


@dataclass(frozen=True)
class LineStyle:
    """How a line layer is drawn."""

    color: str
    linewidth_pt: float
    alpha: float = 1.0
    dashes_pt: tuple[float, ...] | None = None


def _dashes(dashes_pt: tuple[float, ...] | None, linewidth_pt: float):
    """A matplotlib line style for a dash pattern in points (matplotlib scales by width)."""
    if not dashes_pt:
        return "solid"
    width = max(linewidth_pt, 1e-6)
    return (0, tuple(d / width for d in dashes_pt))


def area_style(*, face: str, face_alpha: float, edge: str, linewidth_px: float,
               dash_px: str | None = None, hatch: str | None = None,
               greyscale: bool = False) -> AreaStyle:
    """An :class:`AreaStyle` from the web map's CSS-pixel style values."""
    dashes = tuple(float(v) * PX_TO_PT for v in dash_px.split()) if dash_px else None
    return AreaStyle(face=paint(face, greyscale=greyscale), face_alpha=face_alpha,
                     edge=paint(edge, greyscale=greyscale), linewidth_pt=linewidth_px * PX_TO_PT,
                     dashes_pt=dashes, hatch=hatch if greyscale else None)


def buffer_area_style(color: str, *, greyscale: bool) -> AreaStyle:
    """A walking-reach buffer: the radius colour, translucent; dotted in greyscale."""
    if greyscale:
        return AreaStyle(face=grey(color), face_alpha=BUFFER_OPACITY * 0.8, edge="#4D4D4D",
                         linewidth_pt=0.6, hatch=PRINT_HATCHES["buffer"],
                         hatch_color="#6E6E6E")
    return area_style(face=color, face_alpha=BUFFER_OPACITY, edge=color, linewidth_px=1.0)


def gap_area_style(*, greyscale: bool) -> AreaStyle:
    """Areas no place reaches: the web map's gap style; hatched in greyscale."""
    if greyscale:
        return AreaStyle(face="#FFFFFF", face_alpha=0.0, edge="#1A1A1A",
                         linewidth_pt=GAP_STYLE["weight"] * PX_TO_PT,
                         dashes_pt=tuple(float(v) * PX_TO_PT
                                         for v in GAP_STYLE["dash_array"].split()),
                         hatch=PRINT_HATCHES["gap"], hatch_color="#5A5A5A")
    return area_style(face=GAP_STYLE["fill_color"], face_alpha=GAP_STYLE["fill_opacity"],
                      edge=GAP_STYLE["color"], linewidth_px=GAP_STYLE["weight"],
                      dash_px=GAP_STYLE["dash_array"])


def _marker(shape: str) -> tuple[MarkerStyle, float, float]:
    """
    The marker of ``shape``, its size factor and its glyph offset.

    Returns the :class:`MarkerStyle`, the factor giving matplotlib's marker size from the
    marker's size on paper, and the glyph's vertical offset as a share of the marker size
    (the same geometry as the SVG markers of :mod:`webmap.maps.symbols`).
    """
    spec = SHAPES.get(shape, SHAPES["circle"])
    radius = _SVG_RADIUS / _SVG_BOX * spec["scale"]  # share of the marker size
    if spec["vertices"] is None:
        return MarkerStyle("o"), 2 * radius, spec["glyph_dy"] * radius
    vertices = np.asarray(spec["vertices"], dtype=float)
    shift = -(vertices[:, 1].max() + vertices[:, 1].min()) / 2
    vertices[:, 1] += shift
    extent = float(np.abs(vertices).max())  # matplotlib rescales the path to ±0.5
    path = Path(np.vstack([vertices, vertices[:1]]), closed=True)
    return MarkerStyle(path), 2 * radius * extent, (spec["glyph_dy"] + shift) * radius


def draw_place_markers(ax: Axes, x: np.ndarray, y: np.ndarray, category: str, *,
                       size_pt: float = MARKER_SIZE_PT, approximate: bool = False,
                       glyph: bool = True, greyscale: bool = False, zorder: float = 12,
                       transform=None, font: dict | None = None) -> None:
    """
    Draw place markers: the category's shape in its colour, a white rim, a dark outline
    (dashed for an approximate position) and the white glyph.

    Parameters
    ----------
    x, y
        Marker centres in the coordinates of ``transform`` (default: data coordinates).
    font
        Text properties of the glyph (family, weight).
    """
    style = category_style(category)
    marker, factor, glyph_dy = _marker(style["shape"])
    transform = transform if transform is not None else ax.transData
    area = (size_pt * factor) ** 2
    fill = paint(style["color"], greyscale=greyscale)
    dashes = (0, (2.2, 1.6)) if approximate else "solid"
    ax.scatter(x, y, s=area, marker=marker, facecolor=fill, edgecolor="#FFFFFF",
               linewidths=1.5 * size_pt / _SVG_BOX, zorder=zorder, transform=transform,
               alpha=0.92 if approximate else 1.0)
    ax.scatter(x, y, s=area, marker=marker, facecolor="none", edgecolor=_OUTLINE,
               linewidths=0.6 * size_pt / _SVG_BOX, linestyles=dashes, zorder=zorder + 0.1,
               transform=transform)
    if not glyph:
        return
    for x_i, y_i in zip(np.atleast_1d(x), np.atleast_1d(y), strict=True):
        ax.annotate(style["glyph"], (x_i, y_i), xycoords=transform,
                    xytext=(0, glyph_dy * size_pt), textcoords="offset points",
                    ha="center", va="center", color="#FFFFFF", zorder=zorder + 0.2,
                    fontsize=size_pt * _GLYPH_SHARE, annotation_clip=True, **(font or {}))


def draw_stops(ax: Axes, x: np.ndarray, y: np.ndarray, *, size_pt: float,
               greyscale: bool = False, zorder: float = 10, transform=None) -> None:
    """Bus stops: white discs with the stop colour's ring (the web map's stop plate)."""
    color = paint(STOP_STYLE["color"], greyscale=greyscale)
    ax.scatter(x, y, s=size_pt ** 2, marker="o", facecolor=STOP_STYLE["fill_color"],
               edgecolor=color, linewidths=max(0.4, size_pt * 0.22), zorder=zorder,
               transform=transform if transform is not None else ax.transData)


def draw_area_swatch(ax: Axes, x: float, y: float, width: float, height: float,
                     style: AreaStyle, *, zorder: float = 5) -> None:
    """A legend swatch for an area layer: a rounded square at ``(x, y)`` (lower left)."""
    for fill, alpha in ((True, style.face_alpha), (False, 1.0)):
        box = FancyBboxPatch((x, y), width, height, boxstyle="round,pad=0,rounding_size=0.6",
                             facecolor=style.face if fill else "none",
                             edgecolor="none" if fill else style.edge,
                             alpha=alpha if fill else 1.0, zorder=zorder,
                             linewidth=0 if fill else max(style.linewidth_pt, 0.8),
                             linestyle="solid" if fill else _dashes(style.dashes_pt,
                                                                    style.linewidth_pt),
                             hatch=None if fill else style.hatch)
        if not fill and style.hatch:
            box.set_hatchcolor(style.hatch_color or style.edge)
        ax.add_patch(box)


def draw_line_swatch(ax: Axes, x: float, y: float, width: float, height: float,
                     style: LineStyle, *, zorder: float = 5) -> None:
    """A legend swatch for a line layer: a gentle curve across the box."""
    t = np.linspace(0, 1, 24)
    xs = x + t * width
    ys = y + height * (0.5 + 0.32 * np.sin(2 * np.pi * t))
    ax.plot(xs, ys, color=style.color, linewidth=style.linewidth_pt, alpha=style.alpha,
            linestyle=_dashes(style.dashes_pt, style.linewidth_pt), solid_capstyle="round",
            zorder=zorder)
