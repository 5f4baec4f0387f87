"""Pure geometry and analysis: nothing here reads files or draws maps.

Functions take and return arrays and GeoDataFrames. The base modules (:mod:`geo.crs`,
:mod:`geo.memo`, :mod:`geo.mesh`) serve four sub-packages, each using only those below it:

- :mod:`geo.streets`: the street network and walking on it (reach, isochrones, nearest);
- :mod:`geo.coverage`: who is within reach and who is not, per district (straight line or streets);
- :mod:`geo.planning`: where one more place would help most, what-if, capacity;
- :mod:`geo.transit`: door to door by walking and bus.
"""
