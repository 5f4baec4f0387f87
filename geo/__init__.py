"""Pure geometry and analysis: CRS handling, walking buffers, coverage and gaps.

Nothing here reads files or draws maps; every function takes and returns GeoDataFrames.
"""
