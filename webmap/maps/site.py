"""Write the whole web map as static files: open ``index.html`` with no server and no internet.

The pages are the Flask app's pages (same templates, same maps) with relative links::

    out_dir/index.html                 the city map
    out_dir/districts.html             the list of districts with their coverage
    out_dir/districts/<name>.html      one page per district
    out_dir/static/...                 CSS and the vendored Leaflet libraries

Every file is written to a temporary name and renamed into place, so a reader (or a web
server) never sees a half-written page.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, select_autoescape
from tqdm import tqdm

from geo.coverage.by_distance import CoverageResult
from layers.analysis import Plan
from layers.files.atomic import write_atomic
from layers.participation_figures import ParticipationFigures
from layers.study import StudyArea
from webmap.i18n import install_gettext
from webmap.maps.assets import copy_static
from webmap.maps.build import build_map
from webmap.maps.pages import Urls, district_page, districts_page, page_context, render_map
from webmap.maps.participation_section import participation_section

logger = logging.getLogger(__name__)
__all__ = ["TEMPLATES_DIR", "district_file_name", "write_site"]

#: The Jinja templates shared with the Flask app.
TEMPLATES_DIR = Path(__file__).resolve().parents[1] / "templates"

_UNSAFE = str.maketrans({char: "_" for char in '/\\:*?"<>|'})


def district_file_name(name: str) -> str:
    """The file of a district's page: its name with characters unsafe in file names as ``_``."""
    return f"{name.translate(_UNSAFE)}.html"


def _environment() -> Environment:
    environment = Environment(loader=FileSystemLoader(TEMPLATES_DIR),
                              autoescape=select_autoescape(["html"]))
    install_gettext(environment)  # the static site is Japanese, like the maps in it
    return environment


def _urls(depth: int) -> Urls:
    """Links from a page ``depth`` folders below ``out_dir``."""
    up = "../" * depth
    return Urls(home=f"{up}index.html", districts=f"{up}districts.html",
                static=lambda path: f"{up}static/{path}",
                district=lambda name: f"{up}districts/{quote(district_file_name(name))}")


def write_site(study: StudyArea, coverage: CoverageResult, out_dir: Path, *,
               plan: Plan | None = None, today: dt.date | None = None,
               participation: ParticipationFigures | None = None,
               verbose: bool = False) -> list[Path]:
    """
    Write the city map, the district list and one page per district to ``out_dir``.

    Parameters
    ----------
    study
        The loaded study area.
    coverage
        Its analysis.
    out_dir
        The folder to write to (created if needed; files already there are replaced).
    plan
        Its plan (:func:`layers.analysis.plan_study_area`): network reach, the straight-line
        vs network tables and the suggested sites. None: straight-line layers only.
    today
        The date the maps' holiday lists start from (default: today).
    participation
        The participation figures of the site's database
        (:func:`layers.participation_figures.study_participation`): each district page gets
        the section the served page has. None (no database or no records): the pages say
        where the records are kept instead.
    verbose
        Show a progress bar over the districts.

    Returns
    -------
    list of Path
        The HTML pages written (the static folder is copied as well).

    Examples
    --------
    >>> from data import get_path
    >>> from layers.study import analyse_study_area, load_study_area
    >>> study = load_study_area(get_path("takasaki"))  # doctest: +SKIP
    >>> write_site(study, analyse_study_area(study), Path("out/site"))  # doctest: +SKIP
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    copy_static(out_dir)
    environment = _environment()
    context = page_context(study, coverage, plan)
    written: list[Path] = []

    city_map = build_map(study, coverage, plan=plan, asset_base="static/vendor",
                         district_url="districts/{name}.html", title_bar=False, today=today)
    page = environment.get_template("index.html").render(
        urls=_urls(0), map=render_map(city_map), **context)
    write_atomic(out_dir / "index.html", page)
    written.append(out_dir / "index.html")

    page = environment.get_template("districts.html").render(
        urls=_urls(0), **districts_page(study, coverage, plan), **context)
    write_atomic(out_dir / "districts.html", page)
    written.append(out_dir / "districts.html")

    template = environment.get_template("district.html")
    for name in tqdm(study.district_names, desc="district maps", unit="map",
                     disable=not verbose):
        district_map = build_map(study, coverage, plan=plan, district=name,
                                 asset_base="../static/vendor",
                                 district_url="{name}.html", title_bar=False, today=today)
        section = participation_section(participation, name)
        page = template.render(urls=_urls(1), map=render_map(district_map),
                               **district_page(study, coverage, plan, name), **context,
                               participation=section,
                               participation_missing=section is None)
        path = out_dir / "districts" / district_file_name(name)
        write_atomic(path, page)
        written.append(path)
    logger.info("Wrote %d pages of %s to %s", len(written), study.config.name, out_dir)
    return written
