"""The Japanese system font printed sheets are set in, found through matplotlib's font manager.

Noto Sans CJK JP (Debian/Ubuntu ``fonts-noto-cjk``) is preferred, IPAexGothic
(``fonts-ipaexfont-gothic``) next. PDFs prefer a font with TrueType outlines: matplotlib embeds
fonts as Type 42 (selectable text) but writes CFF-based fonts such as Noto Sans CJK in a way
some PDF readers reject (matplotlib issue #20870), so IPAexGothic is used for PDFs when it is
installed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache

from matplotlib import font_manager

logger = logging.getLogger(__name__)
__all__ = ["JAPANESE_FONTS", "JapaneseFont", "find_japanese_font"]

#: Japanese fonts looked for, best first ("Noto Sans CJK JP" from fonts-noto-cjk,
#: "IPAexGothic" from fonts-ipaexfont-gothic).
JAPANESE_FONTS: tuple[str, ...] = ("Noto Sans CJK JP", "IPAexGothic", "IPAGothic",
                                   "Noto Sans JP", "Source Han Sans JP", "TakaoGothic")

#: Characters a Japanese font lacks (rare symbols) are looked up here.
_FALLBACK_FONT = "DejaVu Sans"


@dataclass(frozen=True)
class JapaneseFont:
    """The system font Japanese text is set in."""

    family: str
    path: str
    has_bold: bool
    #: TrueType outlines (``glyf``): embeds cleanly in PDF as Type 42.
    truetype: bool

    @property
    def regular(self) -> dict:
        """Text properties for matplotlib (``ax.text(..., **font.regular)``)."""
        return {"fontfamily": [self.family, _FALLBACK_FONT]}

    @property
    def bold(self) -> dict:
        """Bold text properties (regular weight when the font has no bold face)."""
        return {**self.regular, "fontweight": "bold" if self.has_bold else "normal"}


@lru_cache(maxsize=2)
def find_japanese_font(*, for_pdf: bool = False) -> JapaneseFont:
    """
    The Japanese font sheets are set in: the first of :data:`JAPANESE_FONTS` installed.

    For PDF a font with TrueType outlines is preferred when one is installed.

    Raises
    ------
    RuntimeError
        If no Japanese font is installed (the message says which package to install).
    """
    found = _installed_fonts()
    if not found:
        known = {entry.fname for entry in font_manager.fontManager.ttflist}
        for path in font_manager.findSystemFonts():
            if path not in known:
                try:
                    font_manager.fontManager.addfont(path)
                except (OSError, RuntimeError, ValueError):
                    continue
        found = _installed_fonts()
    if not found:
        msg = ("No Japanese font is installed, so Japanese text would print as empty boxes. "
               "Install one, e.g. `apt-get install fonts-noto-cjk` (Debian/Ubuntu), and "
               f"try again. Looked for: {', '.join(JAPANESE_FONTS)}.")
        raise RuntimeError(msg)
    chosen = found[0]
    if for_pdf:
        truetype = [font for font in found if font.truetype]
        if truetype:
            chosen = truetype[0]
        else:
            logger.warning("%s has CFF outlines, which matplotlib embeds in PDFs in a way some "
                           "readers reject; install fonts-ipaexfont-gothic for cleaner PDFs.",
                           chosen.family)
    logger.info("Japanese text is set in %s (%s)", chosen.family, chosen.path)
    return chosen


def _installed_fonts() -> list[JapaneseFont]:
    from fontTools.ttLib import TTFont

    fonts = []
    entries = font_manager.fontManager.ttflist
    for family in JAPANESE_FONTS:
        regular = [e for e in entries if e.name == family and e.weight in (400, "normal")]
        if not regular:
            continue
        entry = regular[0]
        try:
            with TTFont(entry.fname, fontNumber=getattr(entry, "index", 0), lazy=True) as tt:
                truetype = "glyf" in tt
        except Exception:  # an unreadable font file is simply not used
            continue
        bold = any(e.name == family and _weight(e.weight) >= 600 for e in entries)
        fonts.append(JapaneseFont(family, entry.fname, bold, truetype))
    return fonts


def _weight(weight) -> int:
    if isinstance(weight, int | float):
        return int(weight)
    return font_manager.weight_dict.get(str(weight), 400)
