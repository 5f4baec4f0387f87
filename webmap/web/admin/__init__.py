"""The staff pages under /admin: login, places, walking routes, imports and exports."""
