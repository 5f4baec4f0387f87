"""What one more place would change: where to open it, what adding or closing one would do, and
how full the places are.

:mod:`~geo.planning.siting` on the street network, :mod:`~geo.planning.straight_line` by
straight line (no network needed), :mod:`~geo.planning.capacity` who walks in to which place.
"""
