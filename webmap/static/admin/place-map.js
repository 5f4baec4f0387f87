/* The small map of the place form: a click sets lon/lat; typing lon/lat moves the marker.
   Configuration comes from <script type="application/json" id="map-config"> (no inline JS). */
(function () {
  "use strict";
  var configNode = document.getElementById("map-config");
  var mapNode = document.getElementById("pick-map");
  if (!configNode || !mapNode || typeof L === "undefined") { return; }
  var config = JSON.parse(configNode.textContent);
  function asText(value) {  // tooltips take HTML: hand them an element holding plain text
    var span = document.createElement("span");
    span.textContent = String(value);
    return span;
  }
  var lonInput = document.getElementById("lon");
  var latInput = document.getElementById("lat");
  var map = L.map(mapNode, { scrollWheelZoom: false });
  if (config.tiles) {
    L.tileLayer(config.tiles, { attribution: config.attribution, maxZoom: config.max_zoom }).addTo(map);
  }
  map.fitBounds(config.bounds);
  (config.places || []).forEach(function (p) {  // the other places, for orientation
    L.circleMarker([p[1], p[0]], { radius: 5, color: "#37474f", weight: 1, fillColor: "#90a4ae",
                                   fillOpacity: 0.9, interactive: true })
      .bindTooltip(asText(p[2])).addTo(map);
  });
  var marker = null;

  function current() {
    var lon = parseFloat(lonInput.value), lat = parseFloat(latInput.value);
    return (isFinite(lon) && isFinite(lat)) ? L.latLng(lat, lon) : null;
  }
  function show(latlng, pan) {
    if (!latlng) {
      if (marker) { map.removeLayer(marker); marker = null; }
      return;
    }
    if (!marker) {
      marker = L.circleMarker(latlng, { radius: 11, color: "#b71c1c", weight: 3,
                                        fillColor: "#ff5252", fillOpacity: 0.8 }).addTo(map);
    } else {
      marker.setLatLng(latlng);
    }
    if (pan) { map.setView(latlng, Math.max(map.getZoom(), 15)); }
  }
  show(current(), true);
  if (!config.readonly) {
    map.on("click", function (event) {
      lonInput.value = event.latlng.lng.toFixed(6);
      latInput.value = event.latlng.lat.toFixed(6);
      show(event.latlng, false);
    });
    lonInput.addEventListener("change", function () { show(current(), true); });
    latInput.addEventListener("change", function () { show(current(), true); });
    var clear = document.getElementById("clear-position");
    if (clear) {
      clear.addEventListener("click", function () {
        lonInput.value = ""; latInput.value = ""; show(null, false);
      });
    }
  }
  mapNode.dataset.ready = "1";
}());
