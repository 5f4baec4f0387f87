"""The folium maps: layers, popups, legends and panels of the city and district pages."""
