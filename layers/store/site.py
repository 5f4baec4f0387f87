"""The database behind a running site: where it is, opened, migrated, seeded, read back.

A served study area keeps its editable layers (places, walking routes) and its staff accounts
in one database: by default a GeoPackage beside the config (:data:`DEFAULT_DATABASE_NAME`), or
the PostGIS database that ``IBASHO_DATABASE_URL`` names. On first start it is created, migrated
and filled from the config's files; from then on the database, not the files, is what the
maps show (edit the places on the staff pages, or import a file there).

The maps are drawn from :meth:`SiteDatabase.map_layers`: the places and routes as stored, with
the data version they were read at (:meth:`SiteDatabase.data_version`, one row that every change
of them moves), so a server can tell cheaply whether its maps are out of date.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import shapely

from layers.files.points import StudyExtent
from layers.store.database import GeoPackageDatabase, store_url_from_env
from layers.store.place_io import seed_store
from layers.store.places import PlaceStore, open_store
from layers.store.routes import measure_walking_routes, walking_routes_with_benches
from layers.store.scenarios import ScenarioStore
from layers.store.users import UserStore
from layers.study import StudyArea, study_with_places

logger = logging.getLogger(__name__)
__all__ = [
    "DEFAULT_DATABASE_NAME",
    "SECRET_KEY_NAME",
    "SEED_USER",
    "MapLayers",
    "MapRow",
    "SiteDatabase",
    "database_location",
    "open_site_database",
    "read_or_create_secret_key",
    "secret_key_path",
    "study_extent",
]

#: The GeoPackage made beside the config when no database is configured.
DEFAULT_DATABASE_NAME = "ibasho-data.gpkg"

#: The file holding the random session key when ``IBASHO_SECRET_KEY`` is not set.
SECRET_KEY_NAME = "ibasho-secret.key"

#: The audit log's ``user`` for the places imported from the config's files.
SEED_USER = "ibasho (config files)"


def database_location(config_directory: str | Path, *, configured: str | Path | None = None,
                      environ: Mapping[str, str] | None = None) -> str:
    """
    The database of a site: ``configured``, else ``IBASHO_DATABASE_URL``, else the default.

    Examples
    --------
    >>> database_location("/srv/city", environ={})
    '/srv/city/ibasho-data.gpkg'
    >>> database_location("/srv/city", environ={"IBASHO_DATABASE_URL": "postgresql://db/x"})
    'postgresql://db/x'
    >>> database_location("/srv/city", configured="/var/lib/ibasho.gpkg", environ={})
    '/var/lib/ibasho.gpkg'
    """
    if configured is not None and str(configured).strip():
        return str(configured).strip()
    return store_url_from_env(Path(config_directory) / DEFAULT_DATABASE_NAME, environ=environ)


def read_or_create_secret_key(path: str | Path) -> str:
    """
    The session key in ``path``; a new random one (256 bits) is written there first if absent.

    The file is created with mode 0600 (only its owner reads it). A key file that others can
    read is used, with a warning to fix its mode.
    """
    path = Path(path)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = path.read_text(encoding="ascii").strip()
        if path.stat().st_mode & 0o077:
            logger.warning("%s can be read by others; run: chmod 600 %s", path, path)
        if len(key) >= 32:
            return key
        msg = (f"The session key in {path} is too short ({len(key)} characters). Delete the "
               "file to have a new one made (everyone is logged out), or set IBASHO_SECRET_KEY.")
        raise ValueError(msg) from None
    key = secrets.token_hex(32)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key + "\n")
    logger.info("Wrote a new session key to %s (mode 0600)", path)
    return key


def secret_key_path(location: str, config_directory: str | Path) -> Path:
    """Beside the GeoPackage, or beside the config for PostGIS."""
    if "://" in location and not location.lower().startswith(("sqlite:", "gpkg:")):
        return Path(config_directory) / SECRET_KEY_NAME
    return Path(location.split("://", 1)[-1]).parent / SECRET_KEY_NAME


@dataclass(frozen=True)
class MapRow:
    """One stored row the maps draw: a place or a walking route, at one version."""

    layer: str
    feature_id: str
    version: int
    name: str

    @property
    def key(self) -> tuple[str, str, int]:
        """What identifies the row as it is now (an edit makes a new key)."""
        return self.layer, self.feature_id, self.version


@dataclass(frozen=True)
class MapLayers:
    """The places and walking routes that are not retired, read at one data version."""

    places: gpd.GeoDataFrame
    routes: gpd.GeoDataFrame
    data_version: int

    def rows(self) -> list[MapRow]:
        """Every place, then every route."""
        return [*(MapRow("places", str(i), int(v), str(n)) for i, v, n in
                  zip(self.places["place_id"], self.places["version"], self.places["name"],
                      strict=True)),
                *(MapRow("walking_routes", str(i), int(v), str(n)) for i, v, n in
                  zip(self.routes["route_id"], self.routes["version"], self.routes["name"],
                      strict=True))]

    def only(self, rows: Collection[MapRow]) -> MapLayers:
        """These layers with only ``rows`` (matched by layer, id and version)."""
        keys = {row.key for row in rows}
        places = [n for n, (i, v) in enumerate(zip(self.places["place_id"],
                                                   self.places["version"], strict=True))
                  if ("places", str(i), int(v)) in keys]
        routes = [n for n, (i, v) in enumerate(zip(self.routes["route_id"],
                                                   self.routes["version"], strict=True))
                  if ("walking_routes", str(i), int(v)) in keys]
        return MapLayers(places=self.places.iloc[places], routes=self.routes.iloc[routes],
                         data_version=self.data_version)


@dataclass
class SiteDatabase:
    """The stores of one site, each opened on the site's one database."""

    places: PlaceStore
    users: UserStore
    scenarios: ScenarioStore
    location: str

    def data_version(self) -> int:
        """
        The data version: one more after every committed change of places or routes.

        One row read by its primary key, in a read transaction of its own (or in the open
        transaction of this thread); the places are not read.
        """
        database = self.places.database
        with database.transaction(write=False) as tx:
            return database.read_data_version(tx)

    def file_signature(self) -> tuple[int, int, int] | None:
        """
        A GeoPackage's inode, size and modification time (None for PostGIS or no file).

        Every commit changes it; reading it costs a ``stat``, no query and no lock.
        """
        database = self.places.database
        if not isinstance(database, GeoPackageDatabase):
            return None
        try:
            info = database.path.stat()
        except OSError:
            return None
        return info.st_ino, info.st_size, info.st_mtime_ns

    def map_layers(self) -> MapLayers:
        """The stored places and routes, and the data version they include (at least)."""
        database = self.places.database
        with database.transaction(write=False) as tx:
            version = database.read_data_version(tx)  # first: a later change is read again
            places = self.places.places()
            routes = walking_routes_with_benches(self.places)
        return MapLayers(places=places, routes=routes, data_version=version)

    def study(self, base: StudyArea, layers: MapLayers | None = None) -> StudyArea:
        """
        ``base`` (loaded from the config's files) with the places and routes stored here.

        Parameters
        ----------
        base
            The study area as loaded from the config's files.
        layers
            The places and routes to show (default: all of :meth:`map_layers`).
        """
        config = base.config
        layers = self.map_layers() if layers is None else layers
        routes = measure_walking_routes(layers.routes, profile=config.walking,
                                        metric_crs=config.metric_crs)
        return study_with_places(base, layers.places, walking_routes=routes)


def study_extent(study: StudyArea) -> StudyExtent | None:
    """The area a position must fall in (the config's boundary; None without one) and the
    町丁 an area resource may serve (the population layer's names)."""
    if study.config.boundary is None:
        return None
    outline = shapely.union_all(study.boundary.geometry.make_valid().values)
    towns = () if study.population is None else study.population["name"]
    return StudyExtent(outline, metric_crs=study.config.metric_crs, towns=towns)


def open_site_database(study: StudyArea, location: str) -> SiteDatabase:
    """
    Open the database at ``location``, migrate it, and seed it from the config when empty.

    Parameters
    ----------
    study
        The study area as loaded from the config's files (its categories, area and files).
    location
        A GeoPackage path or a PostgreSQL URL (:func:`database_location`).

    Raises
    ------
    LayerError
        If the config's files cannot be imported into an empty database.
    DatabaseUnavailableError
        If PostGIS cannot be reached.
    """
    config = study.config
    places = open_store(location, categories=config.all_categories,
                        extent=study_extent(study))
    applied = places.migrate()
    counts = seed_store(places, config, user=SEED_USER, extent=places.extent)
    if any(counts.values()):
        logger.info("Seeded %s from %s: %d places, %d walking routes",
                    places.database.display_name, config.name, counts["places"],
                    counts["walking_routes"])
    elif applied:
        logger.info("Migrated %s to version %d", places.database.display_name, applied[-1])
    return SiteDatabase(places=places, users=UserStore(places.database),
                        scenarios=ScenarioStore(places.database), location=location)
