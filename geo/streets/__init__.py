"""The street network and walking on it.

:mod:`~geo.streets.network` holds the streets as arrays and snaps points onto them;
:mod:`~geo.streets.walking` says how fast older residents walk (profiles, slopes, steps) and
:mod:`~geo.streets.elevation` where the heights come from; :mod:`~geo.streets.reach` searches the
network for the minutes to the nearest place, :mod:`~geo.streets.walk_links` for short walks
between two sets of points, and :mod:`~geo.streets.nearest` for what is near one person;
:mod:`~geo.streets.isochrones` draws the reached streets as polygons and
:mod:`~geo.streets.rest_stops` finds where a walker can rest along a route.
"""
