"""What the text of a place's fields means: the place schema, limits, schedules, contacts."""
