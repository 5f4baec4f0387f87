"""
The database that edits live in (GeoPackage or PostGIS): migrations, audit, places, routes,
accounts, scenarios.
"""
