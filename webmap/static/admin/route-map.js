/* The route editor: clicks extend the line (or place benches); the line and benches are
   posted as JSON in hidden fields. Configuration: <script type="application/json" id="route-config">. */
(function () {
  "use strict";
  var configNode = document.getElementById("route-config");
  var mapNode = document.getElementById("route-map");
  if (!configNode || !mapNode || typeof L === "undefined") { return; }
  var config = JSON.parse(configNode.textContent);
  function asText(value) {  // tooltips take HTML: hand them an element holding plain text
    var span = document.createElement("span");
    span.textContent = String(value);
    return span;
  }
  var map = L.map(mapNode, { scrollWheelZoom: false });
  if (config.tiles) {
    L.tileLayer(config.tiles, { attribution: config.attribution, maxZoom: config.max_zoom }).addTo(map);
  }
  var parts = (config.line || []).map(function (part) { return part.slice(); });
  if (!parts.length) { parts = [[]]; }
  var all = [];  // set the view before any layer is added (Leaflet needs it to draw them)
  parts.forEach(function (part) { part.forEach(function (xy) { all.push([xy[1], xy[0]]); }); });
  if (all.length > 1) { map.fitBounds(all, { padding: [30, 30] }); } else { map.fitBounds(config.bounds); }
  var benches = (config.benches || []).slice();
  var history = [];
  var places = L.layerGroup().addTo(map);
  (config.places || []).forEach(function (p) {
    L.circleMarker([p[1], p[0]], { radius: 5, color: "#37474f", weight: 1, fillColor: "#90a4ae",
                                   fillOpacity: 0.9 }).bindTooltip(asText(p[2])).addTo(places);
  });
  var lines = L.layerGroup().addTo(map);
  var benchLayer = L.layerGroup().addTo(map);
  if (config.stretch) {
    L.polyline(config.stretch.map(function (xy) { return [xy[1], xy[0]]; }),
               { color: "#d50000", weight: 12, opacity: 0.45 }).addTo(map);
  }
  var lineField = document.getElementById("line-field");
  var benchField = document.getElementById("benches-field");
  var status = document.getElementById("draw-status");

  function draw() {
    lines.clearLayers();
    benchLayer.clearLayers();
    parts.forEach(function (part) {
      var latlngs = part.map(function (xy) { return [xy[1], xy[0]]; });
      if (latlngs.length > 1) {
        L.polyline(latlngs, { color: "#6d4c41", weight: 5 }).addTo(lines);
      }
      latlngs.forEach(function (ll) {
        L.circleMarker(ll, { radius: 4, color: "#6d4c41", fillOpacity: 1 }).addTo(lines);
      });
    });
    benches.forEach(function (xy) {
      L.circleMarker([xy[1], xy[0]], { radius: 8, color: "#1b5e20", weight: 3, fillColor: "#66bb6a",
                                       fillOpacity: 0.9 }).addTo(benchLayer);
    });
    var points = parts.reduce(function (n, part) { return n + part.length; }, 0);
    lineField.value = JSON.stringify(parts.filter(function (part) { return part.length; }));
    benchField.value = JSON.stringify(benches);
    if (status) {
      status.textContent = config.status_text.replace("{points}", String(points))
        .replace("{benches}", String(benches.length));
    }
  }
  function mode() {
    var checked = document.querySelector("input[name=mode]:checked");
    return checked ? checked.value : "line";
  }
  draw();
  if (config.readonly) { mapNode.dataset.ready = "1"; return; }
  map.on("click", function (event) {
    var xy = [Number(event.latlng.lng.toFixed(7)), Number(event.latlng.lat.toFixed(7))];
    if (mode() === "bench") {
      benches.push(xy);
      history.push("bench");
    } else {
      parts[parts.length - 1].push(xy);
      history.push("line");
    }
    draw();
  });
  document.getElementById("undo").addEventListener("click", function () {
    var last = history.pop();
    if (last === "bench") { benches.pop(); } else if (last === "line") { parts[parts.length - 1].pop(); }
    draw();
  });
  document.getElementById("clear").addEventListener("click", function () {
    parts = [[]]; benches = []; history = []; draw();
  });
  mapNode.dataset.ready = "1";
}());
