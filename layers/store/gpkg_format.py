"""The GeoPackage format, as far as the places database needs it, without GDAL or SpatiaLite.

A GeoPackage is an SQLite file with an application id, three core tables
(``gpkg_spatial_ref_sys``, ``gpkg_contents``, ``gpkg_geometry_columns``) and geometries
stored as GeoPackage binary: a small header (``GP``, version, flags, SRS id, optional
envelope) followed by ISO WKB (OGC 12-128r15, §2.1.3). That is enough for QGIS, GDAL and
pyogrio to open it as layers.
"""

from __future__ import annotations

import struct

import shapely
from shapely.geometry.base import BaseGeometry

__all__ = [
    "APPLICATION_ID",
    "CORE_TABLES",
    "SPATIAL_REF_SYS",
    "STORAGE_SRID",
    "USER_VERSION",
    "decode_gpkg_geometry",
    "encode_gpkg_geometry",
]

#: ``PRAGMA application_id`` of a GeoPackage: "GPKG".
APPLICATION_ID = 0x47504B47

#: ``PRAGMA user_version`` of a GeoPackage 1.2 file.
USER_VERSION = 10200

#: EPSG code of every stored geometry (``geo.crs.STORAGE_CRS``).
STORAGE_SRID = 4326

# Envelope sizes in bytes by the 3-bit envelope indicator of a geometry header.
_ENVELOPE_BYTES = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}


def encode_gpkg_geometry(geometry: BaseGeometry | None, *,
                         srs_id: int = STORAGE_SRID) -> bytes | None:
    """
    A GeoPackage geometry blob: ``GP``, version 0, flags, SRS id, envelope, then ISO WKB.

    Points get no envelope (their coordinates are their envelope); other geometries get the
    ``[minx, maxx, miny, maxy]`` envelope. ``None`` and empty geometries give ``None`` (SQL
    NULL), as GDAL writes them.

    Examples
    --------
    >>> blob = encode_gpkg_geometry(shapely.Point(139.0, 36.3))
    >>> blob[:2], decode_gpkg_geometry(blob).wkt
    (b'GP', 'POINT (139 36.3)')
    """
    if geometry is None or geometry.is_empty:
        return None
    little_endian = 1
    if geometry.geom_type == "Point":
        envelope_indicator, envelope = 0, b""
    else:
        minx, miny, maxx, maxy = geometry.bounds
        envelope_indicator, envelope = 1, struct.pack("<4d", minx, maxx, miny, maxy)
    flags = (envelope_indicator << 1) | little_endian
    header = b"GP" + struct.pack("<BBi", 0, flags, srs_id)
    return header + envelope + shapely.to_wkb(geometry, byte_order=1, flavor="iso")


def decode_gpkg_geometry(blob: bytes | None) -> BaseGeometry | None:
    """
    The geometry in a GeoPackage geometry blob (``None`` for NULL or an empty geometry).

    Raises
    ------
    ValueError
        If the blob does not start with the ``GP`` magic or uses the extended type flag.
    """
    if blob is None:
        return None
    blob = bytes(blob)
    if blob[:2] != b"GP":
        msg = f"not a GeoPackage geometry blob (starts with {blob[:2]!r}, expected b'GP')."
        raise ValueError(msg)
    flags = blob[3]
    if flags & 0b0010_0000:
        msg = "extended GeoPackage geometry types are not supported."
        raise ValueError(msg)
    if flags & 0b0001_0000:
        return None  # the empty-geometry flag
    envelope_indicator = (flags >> 1) & 0b111
    if envelope_indicator not in _ENVELOPE_BYTES:
        msg = f"bad GeoPackage envelope indicator {envelope_indicator}."
        raise ValueError(msg)
    geometry = shapely.from_wkb(blob[8 + _ENVELOPE_BYTES[envelope_indicator]:])
    return None if geometry.is_empty else geometry


#: The GeoPackage 1.2 core tables (OGC 12-128r15, Annex C), as GDAL creates them.
CORE_TABLES = (
    """CREATE TABLE IF NOT EXISTS gpkg_spatial_ref_sys (
        srs_name TEXT NOT NULL, srs_id INTEGER NOT NULL PRIMARY KEY,
        organization TEXT NOT NULL, organization_coordsys_id INTEGER NOT NULL,
        definition TEXT NOT NULL, description TEXT)""",
    """CREATE TABLE IF NOT EXISTS gpkg_contents (
        table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL,
        identifier TEXT UNIQUE, description TEXT DEFAULT '',
        last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
        min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,
        CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id))""",
    """CREATE TABLE IF NOT EXISTS gpkg_geometry_columns (
        table_name TEXT NOT NULL, column_name TEXT NOT NULL,
        geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL,
        z TINYINT NOT NULL, m TINYINT NOT NULL,
        CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
        CONSTRAINT uk_gc_table_name UNIQUE (table_name),
        CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
        CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id))""",
)

_WGS84_WKT = (
    'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,'
    'AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,'
    'AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],'
    'AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4326"]]'
)

#: The three rows every GeoPackage has (Requirement 11: EPSG:4326, -1 and 0).
SPATIAL_REF_SYS = (
    {"srs_name": "WGS 84 geodetic", "srs_id": 4326, "organization": "EPSG",
     "organization_coordsys_id": 4326, "definition": _WGS84_WKT,
     "description": "longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid"},
    {"srs_name": "Undefined cartesian SRS", "srs_id": -1, "organization": "NONE",
     "organization_coordsys_id": -1, "definition": "undefined",
     "description": "undefined cartesian coordinate reference system"},
    {"srs_name": "Undefined geographic SRS", "srs_id": 0, "organization": "NONE",
     "organization_coordsys_id": 0, "definition": "undefined",
     "description": "undefined geographic coordinate reference system"},
)
