/* 「新しい居場所の検討」 (/plan): the map. Districts, the reach now, existing places (click:
 * assume closed), candidate and suggested sites (click: plan a new place there), the planned
 * places with their straight-line reach, and the legend. See plan.js.
 */
(function () {
  "use strict";

  var P = window.IbashoPlan;
  var config = P.config, T = P.T, state = P.state, places = P.places;
  var suggestionButtons = P.suggestionButtons;
  var el = P.el, format = P.format, people = P.people, fetchJson = P.fetchJson;
  var thresholdLabel = P.thresholdLabel, addLabel = P.addLabel;
  var addPlanned = P.addPlanned, toggleRemove = P.toggleRemove;
  var renderChanges = P.renderChanges, byId = P.byId;
  var straight = config.method !== "network";
  var map = null;
  var layers = {};
  var districtShapes = {}; // name -> Leaflet layer

  function tooltip(text) {
    var node = el("span", null, text);
    return node;
  }

  function placeIcon(properties, removed) {
    var styles = config.style.categories;
    var style = styles[properties.category] || config.style.default_category;
    var node = el("span", "plan-place-icon" + (removed ? " is-removed" : ""), style.glyph);
    node.style.backgroundColor = removed ? config.style.planner.removed_color : style.color;
    if (removed) { node.appendChild(el("span", "plan-place-cross", "×")); }
    return L.divIcon({ className: "plan-marker", html: node, iconSize: [30, 30],
                       iconAnchor: [15, 15] });
  }

  function stylePlace(id) {
    var entry = places[id];
    var removed = state.removes.indexOf(id) >= 0;
    if (entry.removed === removed) { return; }
    entry.removed = removed;
    entry.marker.setIcon(placeIcon(entry.feature.properties, removed));
    entry.marker.setZIndexOffset(removed ? 500 : 0);
  }

  function drawPlanned() {
    layers.planned.clearLayers();
    state.adds.forEach(function (item) {
      var latlng = [item.lonlat[1], item.lonlat[0]];
      if (straight) {
        L.circle(latlng, { radius: state.threshold, pane: "plan-planned-reach",
                           color: config.style.planner.planned_reach_color, weight: 2,
                           dashArray: "6 5", fillOpacity: 0.08, interactive: false })
          .addTo(layers.planned);
      }
      var star = el("span", "plan-star", "★");
      var marker = L.marker(latlng, {
        icon: L.divIcon({ className: "plan-marker", html: star, iconSize: [40, 40],
                          iconAnchor: [20, 22] }),
        title: T.added + " " + addLabel(item), alt: T.added, zIndexOffset: 1000,
        keyboard: true
      });
      marker.bindTooltip(tooltip(T.added + "：" + addLabel(item) + "（" + T.undo + "）"));
      marker.on("click", function () { addPlanned(item.lonlat); });
      marker.addTo(layers.planned);
    });
  }

  function loadReach() {
    layers.reach.clearLayers();
    fetchJson(config.urls.reach + encodeURIComponent(state.threshold)).then(function (data) {
      layers.reach.clearLayers();
      L.geoJSON(data, { pane: "plan-reach", interactive: false,
                        style: { color: config.style.planner.reach_color, weight: 1,
                                 fillColor: config.style.planner.reach_color,
                                 fillOpacity: config.style.planner.reach_opacity } })
        .addTo(layers.reach);
    }).catch(function () { /* the areas are a backdrop; the numbers do not need them */ });
    renderLegend();
  }

  function drawDistricts(data) {
    L.geoJSON(data, {
      pane: "plan-districts", interactive: false,
      style: function () { return { color: "#263238", weight: 1.5, fill: false }; },
      onEachFeature: function (feature, layer) { districtShapes[feature.properties.name] = layer; }
    }).addTo(layers.districts);
    highlightDistrict();
  }

  function highlightDistrict() {
    Object.keys(districtShapes).forEach(function (name) {
      var selected = name === state.district;
      districtShapes[name].setStyle(selected
        ? { color: "#000000", weight: 4, fill: true, fillColor: "#FFF59D", fillOpacity: 0.18 }
        : { color: "#455A64", weight: 1.5, fill: false });
      if (selected) { districtShapes[name].bringToFront(); }
    });
  }

  function fitArea() {
    var shape = state.district ? districtShapes[state.district] : null;
    if (shape) {
      map.fitBounds(shape.getBounds(), { padding: [20, 20] });
    } else {
      var b = config.bounds;
      map.fitBounds([[b[1], b[0]], [b[3], b[2]]]);
    }
  }

  function drawPlaces(data) {
    data.features.forEach(function (feature) {
      if (!feature.geometry) { return; }
      var p = feature.properties;
      var c = feature.geometry.coordinates;
      var marker = L.marker([c[1], c[0]], { icon: placeIcon(p, false), title: p.name,
                                            alt: p.name, keyboard: true });
      marker.bindTooltip(tooltip(p.name + "（" + p.category + "）"));
      marker.on("click", function () { toggleRemove(p.place_id); });
      marker.addTo(layers.places);
      places[p.place_id] = { feature: feature, marker: marker, removed: false };
    });
    renderChanges();
  }

  function drawCandidates(data) {
    var style = config.style.planner;
    data.features.forEach(function (feature) {
      var c = feature.geometry.coordinates;
      var name = feature.properties.name || "";
      var marker = L.circleMarker([c[1], c[0]], {
        radius: 6, color: style.candidate_color, weight: 2, fillColor: style.candidate_fill,
        fillOpacity: 1, bubblingMouseEvents: false, pane: "plan-candidates"
      });
      marker.bindTooltip(tooltip(T.legend_candidate + "：" + name));
      marker.on("click", function () { addPlanned([c[0], c[1]], name); });
      marker.addTo(layers.candidates);
    });
  }

  function loadSuggestions() {
    var url = state.bus && config.bus.suggestions ? config.urls.suggestions_bus
                                                   : config.urls.suggestions;
    return fetchJson(url).then(drawSuggestions).catch(function () { /* a list, not numbers */ });
  }

  function drawSuggestions(data) {
    var list = byId("plan-suggestion-list");
    list.textContent = "";
    layers.suggestions.clearLayers();
    suggestionButtons.length = 0;
    var note = byId("plan-suggestions-note");
    if (note) {
      if (!note.dataset.walk) { note.dataset.walk = note.textContent; }
      note.textContent = data.bus ? T.bus_suggestions : note.dataset.walk;
    }
    var style = config.style.suggestion;
    data.features.forEach(function (feature) {
      var p = feature.properties;
      var c = feature.geometry.coordinates;
      var lonlat = [c[0], c[1]];
      var badge = el("span", "plan-rank-icon", String(p.rank));
      badge.style.backgroundColor = style.fill_color;
      badge.style.color = style.text_color;
      var marker = L.marker([c[1], c[0]], {
        icon: L.divIcon({ className: "plan-marker", html: badge, iconSize: [30, 30],
                          iconAnchor: [15, 15] }),
        title: format(T.suggestion_item, { rank: p.rank, name: p.name }), keyboard: true,
        zIndexOffset: 200
      });
      marker.bindTooltip(tooltip(format(T.suggestion_item, { rank: p.rank, name: p.name }) +
                                 "　" + format(T.suggestion_gain, { people: people(p.gain) })));
      marker.on("click", function () { addPlanned(lonlat, p.name); });
      marker.addTo(layers.suggestions);
      var li = el("li");
      var button = el("button", "plan-suggestion");
      button.type = "button";
      button.lonlat = lonlat;
      button.setAttribute("aria-pressed", "false");
      button.appendChild(el("span", "plan-suggestion-name",
                            format(T.suggestion_item, { rank: p.rank, name: p.name })));
      button.appendChild(el("span", "plan-suggestion-gain",
                            format(T.suggestion_gain, { people: people(p.gain) })));
      if (p.district) { button.appendChild(el("span", "plan-suggestion-district", p.district)); }
      button.addEventListener("click", function () { addPlanned(lonlat, p.name); });
      suggestionButtons.push(button);
      li.appendChild(button);
      list.appendChild(li);
    });
    renderChanges();
  }

  function legendRow(symbol, text) {
    var row = el("li");
    row.appendChild(symbol);
    row.appendChild(el("span", null, text));
    return row;
  }

  function renderLegend() {
    var box = byId("plan-legend-body");
    if (!box) { return; }
    box.textContent = "";
    var list = el("ul");
    var placeSymbol = el("span", "plan-place-icon plan-legend-symbol", "居");
    placeSymbol.style.backgroundColor = (config.style.categories["居場所"] || config.style.default_category).color;
    list.appendChild(legendRow(placeSymbol, T.legend_places));
    var removed = el("span", "plan-place-icon is-removed plan-legend-symbol", "居");
    removed.style.backgroundColor = config.style.planner.removed_color;
    removed.appendChild(el("span", "plan-place-cross", "×"));
    list.appendChild(legendRow(removed, T.legend_removed));
    list.appendChild(legendRow(el("span", "plan-star plan-legend-symbol", "★"), T.legend_planned));
    var rank = el("span", "plan-rank-icon plan-legend-symbol", "1");
    rank.style.backgroundColor = config.style.suggestion.fill_color;
    list.appendChild(legendRow(rank, T.legend_suggestion));
    list.appendChild(legendRow(el("span", "plan-candidate-symbol plan-legend-symbol"), T.legend_candidate));
    list.appendChild(legendRow(el("span", "plan-reach-symbol plan-legend-symbol"),
                               format(T.legend_reach, { threshold: thresholdLabel(state.threshold) })));
    if (straight) {
      list.appendChild(legendRow(el("span", "plan-planned-reach-symbol plan-legend-symbol"),
                                 T.legend_planned_reach));
    }
    box.appendChild(list);
    box.appendChild(el("p", "plan-legend-note", config.method_note));
  }

  function addLegend() {
    var legend = L.control({ position: "bottomleft" });
    legend.onAdd = function () {
      var box = el("details", "plan-legend");
      box.open = window.innerWidth > 900;
      box.appendChild(el("summary", null, T.legend));
      var body = el("div");
      body.id = "plan-legend-body";
      box.appendChild(body);
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      return box;
    };
    legend.addTo(map);
    renderLegend();
  }

  function setupMap() {
    map = L.map("plan-map", { zoomControl: true, keyboard: true });
    map.attributionControl.setPrefix(false);
    L.tileLayer(config.basemap.url, { attribution: config.basemap.attribution,
                                      maxZoom: config.basemap.max_zoom }).addTo(map);
    [["plan-reach", 400], ["plan-planned-reach", 405], ["plan-districts", 410],
     ["plan-candidates", 420]].forEach(function (pane) {
      map.createPane(pane[0]).style.zIndex = pane[1];
    });
    ["reach", "districts", "candidates", "places", "suggestions", "planned"].forEach(function (name) {
      layers[name] = L.layerGroup().addTo(map);
    });
    var b = config.bounds;
    map.on("zoomend", function () {
      map.getContainer().classList.toggle("plan-zoom-far", map.getZoom() < 12);
    });
    map.fitBounds([[b[1], b[0]], [b[3], b[2]]]);
    map.on("click", function (event) {
      addPlanned([Number(event.latlng.lng.toFixed(6)), Number(event.latlng.lat.toFixed(6))], "");
    });
    addLegend();
    loadReach();
    fetchJson(config.urls.districts).then(function (data) {
      drawDistricts(data);
      fitArea();
    });
    fetchJson(config.urls.candidates).then(drawCandidates);
    fetchJson(config.urls.places).then(drawPlaces);
    loadSuggestions();
  }


  P.map = { setupMap: setupMap, drawPlanned: drawPlanned, stylePlace: stylePlace,
            loadReach: loadReach, highlightDistrict: highlightDistrict, fitArea: fitArea,
            loadSuggestions: loadSuggestions };
}());
