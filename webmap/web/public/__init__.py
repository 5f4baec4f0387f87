"""The public pages and the GeoJSON API."""
