"""The web map: folium maps, the Flask app and static site of a study area."""
