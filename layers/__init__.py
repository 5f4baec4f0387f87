"""Loading, validating and storing each data layer of a study area."""
