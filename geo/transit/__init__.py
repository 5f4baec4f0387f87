"""Door to door by walking and bus.

:mod:`~geo.transit.timetable` holds the timetables as arrays, :mod:`~geo.transit.routing` finds
the journeys (a round-based profile search, RAPTOR, vectorised).
"""
