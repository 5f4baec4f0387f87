"""The ``ibasho`` command: check a study area's data, build its maps, serve them.

Examples
--------
    ibasho check data/takasaki/ibasho.toml
    ibasho build data/takasaki/ibasho.toml --out build/
    ibasho serve data/takasaki/ibasho.toml --port 8000
"""

from __future__ import annotations

import dataclasses
import logging
import sys
import time
from pathlib import Path

import click

from layers.config import load_config
from layers.errors import LayerError, format_problems
from layers.study import analyse_study_area, check_study_area, load_study_area
from layers.transit_reach import check_bus_data
from webmap.cli.batch import batch
from webmap.cli.users import users

__all__ = ["main"]

CONFIG_ARGUMENT = click.argument(
    "config", type=click.Path(exists=True, dir_okay=False, path_type=Path))


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="ibasho")
def main() -> None:
    """ibasho 居場所マップ: walking reach to gathering places for older residents."""


@main.command()
@CONFIG_ARGUMENT
@click.option("--verbose", "-v", is_flag=True, help="Also log what each step does.")
def check(config: Path, verbose: bool) -> None:
    """Validate every layer of CONFIG and list every problem (file, row, field, fix).

    The buses too (the [transit] GTFS feeds, or the trips rebuilt from the stops'
    timetables): what is skipped (times going backwards, unknown stop ids, services with no
    day in the coming year, route stop names matching no stop) is a warning naming file and
    row; a feed that cannot be used at all (missing files, no calendar) is an error.

    Exits with status 1 when any layer has an error; warnings (a place without a position,
    an approximate position, a repaired polygon) do not change the status.
    """
    _setup_logging(verbose)

    def progress(name: str, count: int, n_problems: int) -> None:
        click.echo(f"  {name:<15} {count:>6} features  {n_problems:>4} problems", err=True)

    click.echo(f"Checking {config} …", err=True)
    problems = check_study_area(config, progress=progress)
    if not any(p.is_error and p.path == config for p in problems):  # the config itself reads
        problems += _check_buses(config, progress)
    errors = [p for p in problems if p.is_error]
    if problems:
        click.echo(format_problems(problems))
    click.echo(f"{len(errors)} errors, {len(problems) - len(errors)} warnings.", err=True)
    if errors:
        sys.exit(1)


def _check_buses(config: Path, progress) -> list:
    """The buses' problems, with a line on what was read (trips, and how they were rebuilt)."""
    try:
        study_config = load_config(config)
    except LayerError as exc:
        return exc.problems
    bus, problems = check_bus_data(study_config)
    if bus is None and not problems:
        return []
    progress("bus timetable", 0 if bus is None else bus.timetable.n_trips, len(problems))
    if bus is not None and bus.rebuild is not None:
        counts = bus.rebuild
        click.echo(f"  trips rebuilt from per-stop timetables (推定): {counts['departures']:,} "
                   f"departures, {counts['chained']:,} chained, {counts['left_over']:,} left "
                   f"over, {counts['ambiguous']:,} ambiguous", err=True)
    return problems


def _load(config: Path, *, basis: str | None = None):
    started = time.perf_counter()

    def progress(name: str, count: int) -> None:
        click.echo(f"  loaded {name:<15} {count:>6} features", err=True)

    try:
        study = load_study_area(config, progress=progress)
    except LayerError as exc:
        click.echo(format_problems(exc.problems), err=True)
        raise click.ClickException(
            f"{config} has data errors; run `ibasho check {config}` for the full list.") from None
    study = _with_stored_places(study)
    try:
        coverage = analyse_study_area(study, basis=basis)
    except ValueError as exc:  # a band the data lacks
        raise click.ClickException(f"--basis {basis}: {exc}") from None
    for _, row in coverage.city.iterrows():
        people = ("" if row.population != row.population  # NaN: no population layer
                  else f", {row.covered_share:.0%} of {row.population:,.0f} residents")
        click.echo(f"  within {row.radius_m:.0f} m of a place: "
                   f"{row.covered_area_share:.0%} of the area{people}", err=True)
    click.echo(f"Analysed {len(study.districts)} districts in "
               f"{time.perf_counter() - started:.1f} s", err=True)
    return study, coverage


def _with_stored_places(study):
    """
    The study with the places and routes staff edited, when the site has a database.

    ``ibasho serve`` keeps edits in a database (the GeoPackage beside the config, or
    ``IBASHO_DATABASE_URL``); maps and sheets made from the command line show the same
    places. Without a database yet, the config's files are what there is.
    """
    import os

    from layers.store.site import database_location, open_site_database

    location = database_location(study.config.directory,
                                 configured=os.environ.get("IBASHO_DATABASE"))
    is_file = "://" not in location
    if is_file and not Path(location).exists():
        return study
    stored = open_site_database(study, location).study(study)
    shown = location if is_file else location.split("@")[-1]  # never print a password
    click.echo(f"  places from the database {shown}: {len(stored.places)} "
               f"(the config's file has {len(study.places)})", err=True)
    return stored


@main.command()
@CONFIG_ARGUMENT
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("build"), show_default=True,
              help="Folder for index.html, districts/*.html and ibasho.gpkg.")
@click.option("--verbose", "-v", is_flag=True, help="Also log what each step does.")
def build(config: Path, out_dir: Path, verbose: bool) -> None:
    """Build the city map, one map per district and a GeoPackage of every layer and result."""
    from layers.files.geopackage import write_geopackage
    from webmap.maps.site import write_site

    _setup_logging(verbose)
    study, coverage = _load(config)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        plan = _plan(study)
        figures, participation_layers = _participation(study, coverage)
        written = write_site(study, coverage, out_dir, plan=plan, participation=figures,
                             verbose=True)
        gpkg = write_geopackage({**_result_layers(study, coverage, plan),
                                 **participation_layers},
                                out_dir / "ibasho.gpkg")
    except PermissionError as exc:
        raise click.ClickException(f"cannot write to {out_dir}: {exc.strerror}. "
                                   "Choose another --out folder.") from None
    click.echo(f"Wrote {len(written)} map pages and {gpkg.name} to {out_dir}/ "
               f"(open {out_dir / 'index.html'})", err=True)


def _participation(study, coverage) -> tuple:
    """
    The participation figures of the site's database (records staff keep at ``/admin``), and
    their tables by GeoPackage layer name: by month, by 年度, places by frequency and
    activity, and the yearly report's rows (one per place); ``(None, {})`` without a
    database or records.
    """
    import os

    from layers.participation_figures import figures_tables, place_year_rows, study_participation
    from layers.store.participation import participation_records
    from layers.store.site import database_location, open_site_database

    location = database_location(study.config.directory,
                                 configured=os.environ.get("IBASHO_DATABASE"))
    if "://" not in location and not Path(location).exists():
        return None, {}
    store = open_site_database(study, location).places
    records = participation_records(store)
    if records.empty:
        return None, {}
    places = store.places(include_retired=True)[["place_id", "name", "district"]]
    drawn = dict(zip(study.places["place_id"], study.places["district"], strict=True))
    places["district"] = [d or drawn.get(p, "") for p, d in
                          zip(places["place_id"], places["district"], strict=True)]
    figures = study_participation(coverage, records, places)
    click.echo(f"  participation: {len(records)} records of "
               f"{records['place_id'].nunique()} places", err=True)
    return figures, {**figures_tables(figures),
                     "participation_places_by_year": place_year_rows(records, places)}


def _plan(study, *, basis: str | None = None):
    from layers.analysis import plan_study_area

    started = time.perf_counter()
    plan = plan_study_area(study, basis=basis)
    method = ("on the street network" if plan.method == "network"
              else "straight-line estimate (no street network: see `ibasho streets`)")
    click.echo(f"Planned {method} in {time.perf_counter() - started:.1f} s", err=True)
    if plan.suggestions is not None and len(plan.suggestions):
        best = plan.suggestions.iloc[0]
        click.echo(f"  best next site: {best['name']} ({best['district']}), "
                   f"+{best['newly_covered']:,.0f} residents within reach", err=True)
    return plan


def _result_layers(study, coverage, plan) -> dict:
    """Every layer and result of a build, by GeoPackage layer name (None: not written)."""
    network = plan.network
    return {
        "boundary": study.boundary, "districts": study.districts, "places": study.places,
        "resources": study.resources if len(study.resources) else None,
        "stops": study.stops, "bus_routes": study.bus_routes,
        "walking_routes": study.walking_routes, "population": study.population,
        "candidates": study.candidates, "reach_buffers": coverage.buffers,
        "stop_buffers": coverage.stop_buffers if len(coverage.stop_buffers) else None,
        "gaps": coverage.gaps, "coverage_by_district": coverage.table,
        "coverage_city": coverage.city,
        "suggested_sites": plan.suggestions,
        "isochrones": network.isochrones if network else None,
        "network_gaps": network.gaps if network else None,
        "network_coverage": network.coverage.table if network and network.coverage else None,
        "coverage_comparison": network.comparison if network else None,
        **_grid_layers(plan),
        "bus_reach_points": plan.bus.points_frame() if plan.bus is not None else None,
        "bus_reach_districts": plan.bus.district_frame() if plan.bus is not None else None,
    }


def _grid_layers(plan) -> dict:
    """The minutes grid (cells, and people by band per district and for the city), each row
    saying which people it counts (``basis``) and how minutes were measured (``method``)."""
    grid = plan.grid
    if grid is None:
        return {}
    label = {"basis": grid.basis or "", "method": grid.method}
    return {"minutes_grid": grid.cells.assign(**label),
            "minutes_grid_districts": grid.table.assign(**label),
            "minutes_grid_city": grid.city.assign(**label)}


@main.command()
@CONFIG_ARGUMENT
@click.option("--district", help="Export one district (its name as in the districts layer).")
@click.option("--all-districts", is_flag=True, help="One sheet per district into --out (a folder).")
@click.option("--paper", type=click.Choice(["A4", "A3"]), default="A4", show_default=True,
              help="Paper size.")
@click.option("--orientation", type=click.Choice(["portrait", "landscape"]), default="portrait",
              show_default=True, help="Page orientation.")
@click.option("--dpi", type=int, default=300, show_default=True,
              help="Resolution of PNG output: 300 (print) or 150 (screen, e-mail).")
@click.option("--format", "fmt", type=click.Choice(["png", "pdf", "svg"]), default="png",
              show_default=True, help="PNG image, or PDF/SVG with vector lines and text.")
@click.option("--greyscale", is_flag=True,
              help="Black-and-white printing: categories by shape, areas by hatching.")
@click.option("--no-table", is_flag=True, help="Leave out the list of places beside the map.")
@click.option("--grid", is_flag=True,
              help="Draw the grid of walking minutes to the nearest place (≤ 5, 10, 15, 20, "
                   "> 20 min) with the people of each band, instead of the reach and gaps.")
@click.option("--basis", type=click.Choice(["total", "age65", "age75", "age85"]),
              help="The people counted (default: 65+ when the data has them, else the total).")
@click.option("--bus-reach", is_flag=True,
              help="Show who cannot walk to a place but can get there by bus (バスを使えば行ける).")
@click.option("--qr-url", help="Put a QR code to this address on the sheet (with --all-districts, "
                               "'{name}' is replaced by the district name).")
@click.option("--out", "out", type=click.Path(path_type=Path), required=True,
              help="Output file (or folder with --all-districts).")
def export(config: Path, district: str | None, all_districts: bool, paper: str,
           orientation: str, dpi: int, fmt: str, greyscale: bool, no_table: bool, grid: bool,
           basis: str | None, bus_reach: bool, qr_url: str | None, out: Path) -> None:
    """Export newsletter-ready map sheets (A4/A3, PNG 300 dpi, vector PDF or SVG).

    Works offline: the background is drawn from the data, with the legend, scale bar, north
    arrow and every 出典 line on the sheet.
    """
    from webmap.prints.sheet import ExportError, SheetOptions, export_all_districts, export_sheet

    _setup_logging(False)
    if district and all_districts:
        raise click.UsageError("Use --district NAME or --all-districts, not both.")
    study, coverage = _load(config, basis=basis)
    plan = _plan(study, basis=basis)
    started = time.perf_counter()
    try:
        options = SheetOptions(paper=paper, orientation=orientation, dpi=dpi, fmt=fmt,
                               greyscale=greyscale, with_table=not no_table, grid=grid,
                               bus_reach=bus_reach)
        if all_districts:
            def progress(name: str, done: int, total: int) -> None:
                click.echo(f"  [{done:>2}/{total}] {name}", err=True)

            written = export_all_districts(study, coverage, out_dir=out, options=options,
                                           qr_url_template=qr_url, plan=plan, workers=2,
                                           progress=progress)
        else:
            written = [export_sheet(study, coverage, out=out, district=district, plan=plan,
                                    options=dataclasses.replace(options, qr_url=qr_url))]
    except (ValueError, ExportError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Wrote {len(written)} sheet{'s' if len(written) > 1 else ''} "
               f"({paper} {orientation}, {fmt.upper()}) in {time.perf_counter() - started:.1f} s:"
               f" {written[0] if len(written) == 1 else out}", err=True)


@main.command()
@CONFIG_ARGUMENT
@click.option("--district", help="The guidebook of one district (its name as in the districts "
              "layer); --out is then a file.")
@click.option("--all-districts", is_flag=True,
              help="One guidebook per district into --out (a folder).")
@click.option("--format", "fmt", type=click.Choice(["pdf", "xlsx"]), default="pdf",
              show_default=True, help="PDF to print, or an Excel workbook with the same content.")
@click.option("--booklet", is_flag=True,
              help="A5 pages imposed two to an A4 landscape sheet, to fold into a booklet.")
@click.option("--near-url", help="The resident page /near of the served site, for the QR code "
              "on the cover (e.g. https://example.org/near).")
@click.option("--out", "out", type=click.Path(path_type=Path), required=True,
              help="Output file (--district) or folder (--all-districts).")
@click.option("--verbose", "-v", is_flag=True, help="Also log what each step does.")
def guidebook(config: Path, district: str | None, all_districts: bool, fmt: str, booklet: bool,
              near_url: str | None, out: Path, verbose: bool) -> None:
    """Write the district guidebook (支え合いガイドブック): every community resource by category,
    when it next meets, how to get there, an index of 町名 and the 出典 (PDF or xlsx).
    """
    from layers.fields.schedule import japan_today
    from webmap.prints.guidebook_files import export_guidebooks
    from webmap.prints.sheet import ExportError

    _setup_logging(verbose)
    if bool(district) == all_districts:
        raise click.UsageError("Give either --district NAME or --all-districts.")
    if booklet and fmt != "pdf":
        raise click.UsageError("--booklet is a way to print the PDF; leave it out with xlsx.")
    started = time.perf_counter()
    study, coverage = _load(config)

    def progress(name: str, done: int, total: int) -> None:
        click.echo(f"  [{done:>2}/{total}] {name}", err=True)

    try:
        written = export_guidebooks(study, coverage, out=out, district=district, fmt=fmt,
                                    booklet=booklet, near_url=near_url, today=japan_today(),
                                    workers=2, progress=progress if all_districts else None)
    except (ValueError, ExportError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Wrote {len(written)} guidebook{'s' if len(written) > 1 else ''} "
               f"({fmt.upper()}{', booklet' if booklet else ''}) in "
               f"{time.perf_counter() - started:.1f} s: {written[0] if district else out}",
               err=True)


@main.command()
@CONFIG_ARGUMENT
@click.option("--osm", "osm_file", required=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="OpenStreetMap extract covering the study area (.osm.pbf, .osm, .osm.bz2).")
@click.option("--verbose", "-v", is_flag=True, help="Also log what each step does.")
def streets(config: Path, osm_file: Path, verbose: bool) -> None:
    """Import a street network for CONFIG and turn network walking analysis on.

    The extract is read, filtered to what a pedestrian can use, clipped to the study area
    and cached beside the config; then ``[network] streets`` is set in CONFIG, so maps and
    pages give walking times on real streets instead of straight-line estimates.
    """
    from layers.config import load_config, set_config_value
    from layers.files.streets import CACHE_DIR_NAME, load_streets
    from layers.study import study_outline

    _setup_logging(verbose)
    try:
        study_config = load_config(config)
        area = study_outline(study_config)
        started = time.perf_counter()
        click.echo(f"Reading {osm_file.name} …", err=True)
        network = load_streets(osm_file, area=area, metric_crs=study_config.metric_crs,
                               cache_dir=study_config.directory / CACHE_DIR_NAME)
    except LayerError as exc:
        raise click.ClickException(format_problems(exc.problems)) from None
    total_km = float(network.length_m.sum()) / 1000
    click.echo(f"  {network.n_nodes:,} street nodes, {network.n_edges:,} segments, "
               f"{total_km:,.1f} km walkable, in {time.perf_counter() - started:.1f} s", err=True)
    try:
        relative = osm_file.resolve().relative_to(study_config.directory)
    except ValueError:
        relative = osm_file.resolve()
    set_config_value(config, "network", "streets", relative.as_posix())
    click.echo(f"Network analysis is on: {config} now has [network] streets = "
               f'"{relative.as_posix()}". Run `ibasho build {config}` to redraw the maps.',
               err=True)


@main.command()
@CONFIG_ARGUMENT
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (0.0.0.0 to serve the local network).")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535),
              help="TCP port.")
@click.option("--workers", default=None, type=click.IntRange(1, 64),
              help="Server processes (default: one per CPU core, at most 4).")
@click.option("--threads", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Threads per process that run requests (more helps only when requests "
                   "wait on a remote PostGIS).")
@click.option("--backlog", default=1024, show_default=True, type=click.IntRange(128, 65_535),
              help="Connections the system holds for the processes before they are taken.")
def serve(config: Path, host: str, port: int, workers: int | None, threads: int,
          backlog: int) -> None:
    """Serve the maps and the GeoJSON API with the granian server, one process per core.

    Every process loads the study area and answers on its own; they share the database, and
    an edit made through one is drawn by all within two seconds (README, Safety).
    \f
    granian (HTTP in Rust) replaced waitress: under 100 connections waitress answered about
    1,500 requests/s of ``/api/places`` with a p99 above a second, as its one Python I/O
    thread and the request threads share one interpreter lock; granian's processes each run
    the app with the HTTP work outside Python (``scripts/bench_load.py`` prints both).
    Request bodies are streamed to the app, which refuses one over its limit from the
    ``Content-Length`` before reading it. The ``Server`` header is sent empty
    (:mod:`webmap.web.security`). ``X-Forwarded-*`` headers are trusted only when
    ``IBASHO_PROXY_FIX`` says how many proxies there are.
    """
    import multiprocessing
    import os
    from concurrent.futures import ProcessPoolExecutor

    from granian import Granian
    from granian.constants import Interfaces

    _setup_logging(True)
    os.environ["IBASHO_CONFIG"] = str(config.resolve())  # what each process's create_app reads
    # in a process of its own, so this one (which only watches the workers) keeps no layers
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as once:
        try:
            database = once.submit(_prepare_site).result()
        except LayerError as exc:
            click.echo(format_problems(exc.problems), err=True)
            raise click.ClickException(
                f"{config} has data errors; run `ibasho check {config}` for the full list."
            ) from None
    workers = workers or max(1, min(os.cpu_count() or 1, 4))
    click.echo(f"Serving {config} ({database}) at http://{host}:{port}/ with {workers} "
               f"process{'es' if workers > 1 else ''}  (Ctrl+C to stop)", err=True)
    Granian("webmap.web.app:create_app", factory=True, interface=Interfaces.WSGI,
            address=host, port=port, workers=workers, blocking_threads=threads,
            backlog=backlog, websockets=False, respawn_failed_workers=True,
            log_access=False).serve()


def _prepare_site() -> str:
    from webmap.web.app import prepare_site

    _setup_logging(True)
    return prepare_site()


main.add_command(users)
main.add_command(batch)


if __name__ == "__main__":
    main()
