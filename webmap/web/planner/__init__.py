"""The what-if planner (/plan) and its saved scenarios."""
