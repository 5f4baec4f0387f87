"""What the text of a place's fields means: the one place schema with its limits, schedules, contacts."""
