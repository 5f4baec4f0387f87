"""Who lives within walking reach of a place, and who does not: the gaps, per district.

:mod:`~geo.coverage.residents` says who is counted and where they live;
:mod:`~geo.coverage.buffers` and :mod:`~geo.coverage.by_distance` measure reach by straight
line, :mod:`~geo.coverage.on_streets` on the street network; :mod:`~geo.coverage.minutes_grid`
puts walking minutes and people on a mesh grid; :mod:`~geo.coverage.districts` draws approximate
district polygons where no official ones exist.
"""
