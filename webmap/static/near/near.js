/* 「近くの居場所」: the phone's location, 「いまどこ？」, the list and the (optional) map.
 *
 * Plain JavaScript, no framework. The list also comes from the server when the URL names a
 * start, so this file only adds to a page that already works. Every piece of text from the
 * server is set with textContent (never innerHTML). Leaflet is loaded only after the list is
 * shown: on a slow connection the list comes first and the map is secondary.
 */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("near-config").textContent);
  var t = config.text;
  var state = {
    result: config.result,
    position: null,
    map: null,
    layers: null,
    markers: {},
    routes: {},
    selected: null,
    leaflet: null
  };

  function byId(id) { return document.getElementById(id); }

  function format(template, values) {
    return String(template).replace(/\{(\w+)(?::[^}]*)?\}/g, function (whole, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? values[key] : whole;
    });
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }

  function setStatus(message, isError) {
    var status = byId("near-status");
    status.textContent = message || "";
    status.classList.toggle("is-error", Boolean(isError));
  }

  // ?at=2026-12-02T09:30 in the page's address: departures and openings as of then (a list
  // made for another day, shared or printed, and the tests); the server checks it
  var asOf = new URLSearchParams(window.location.search).get("at");

  function query(params) {
    var parts = [];
    Object.keys(params).forEach(function (key) {
      if (params[key] !== undefined && params[key] !== null && params[key] !== "") {
        parts.push(encodeURIComponent(key) + "=" + encodeURIComponent(params[key]));
      }
    });
    return parts.join("&");
  }

  function fetchJson(url) {
    var controller = window.AbortController ? new AbortController() : null;
    var timer = controller ? setTimeout(function () { controller.abort(); }, 30000) : null;
    return fetch(url, { signal: controller ? controller.signal : undefined,
                        headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (timer) { clearTimeout(timer); }
        return response.json().then(function (body) {
          if (!response.ok || !body.ok) {
            var error = new Error(body.error || response.statusText);
            error.reason = body.reason || "http";
            throw error;
          }
          return body;
        });
      });
  }

  /* ---- location ------------------------------------------------------------------- */

  function locate() {
    if (state.position && Date.now() - state.position.time < 60000) {
      return Promise.resolve(state.position);
    }
    return new Promise(function (resolve, reject) {
      if (!navigator.geolocation) {
        var error = new Error("unsupported");
        error.reason = "unsupported";
        reject(error);
        return;
      }
      navigator.geolocation.getCurrentPosition(function (position) {
        state.position = { lat: position.coords.latitude, lon: position.coords.longitude,
                           accuracy: position.coords.accuracy, time: Date.now() };
        resolve(state.position);
      }, function (failure) {
        var error = new Error(failure.message);
        error.reason = failure.code === 1 ? "denied" : "position";
        reject(error);
      }, { enableHighAccuracy: true, timeout: 20000, maximumAge: 60000 });
    });
  }

  function explain(error) {
    var message = {
      denied: t.locate_denied,
      position: t.locate_denied,
      unsupported: t.locate_unsupported,
      outside: format(t.outside, { area: config.area })
    }[error.reason] || t.network_error;
    setStatus(message, true);
  }

  function busy(button, on) {
    button.disabled = on;
    button.setAttribute("aria-busy", on ? "true" : "false");
  }

  function searchHere() {
    var button = byId("near-locate");
    busy(button, true);
    setStatus(t.locating);
    locate().then(function (position) {
      setStatus(t.searching);
      return fetchJson(config.api.near + "?" + query({ lat: position.lat.toFixed(6),
        lon: position.lon.toFixed(6), lang: config.lang, at: asOf })).then(function (result) {
        result.origin_label = format(t.results_from, { origin: t.origin_here });
        showResult(result);
        setStatus(format(t.found, { count: result.places.length }));
        rememberInUrl(position);
        byId("near-results-heading").focus();
      });
    }).catch(explain).then(function () { busy(button, false); });
  }

  function rememberInUrl(position) {
    if (!window.history || !history.replaceState) { return; }
    var params = { lat: position.lat.toFixed(5), lon: position.lon.toFixed(5), at: asOf };
    if (config.lang !== "ja") { params.lang = config.lang; }
    history.replaceState(null, "", config.page + "?" + query(params));
    var other = document.querySelector(".lang-switch");
    if (other) {
      params.lang = config.lang === "ja" ? "en" : "";
      other.href = config.page + "?" + query(params);
    }
  }

  function whereAmI() {
    var button = byId("near-whereami");
    busy(button, true);
    setStatus(t.locating);
    locate().then(function (position) {
      return fetchJson(config.api.whereami + "?" + query({ lat: position.lat.toFixed(6),
        lon: position.lon.toFixed(6), lang: config.lang })).then(function (where) {
        var box = byId("near-whereami-box");
        var lines = where.sentences.map(function (sentence) {
          return el("span", "whereami-line", sentence + t.sentence_end);
        });
        fill("near-whereami-text", lines);
        byId("near-whereami-text").setAttribute("data-text", where.text);
        byId("near-whereami-accuracy").textContent = position.accuracy ?
          format(t.whereami_accuracy, { accuracy: Math.max(1, Math.round(position.accuracy)) }) : "";
        box.hidden = false;
        setStatus("");
        byId("near-whereami-heading").focus();
      });
    }).catch(explain).then(function () { busy(button, false); });
  }

  function copyWhere() {
    var text = byId("near-whereami-text").getAttribute("data-text");
    var button = byId("near-copy");
    if (navigator.clipboard && text) {
      navigator.clipboard.writeText(text).then(function () { setStatus(t.copied); },
        function () { setStatus(""); });
    }
    button.blur();
  }

  /* ---- the list ------------------------------------------------------------------- */

  function paragraph(className, label, text) {
    var p = el("p", className);
    if (label) { p.appendChild(el("span", "field-label", label + (config.lang === "ja" ? "：" : ": "))); }
    p.appendChild(document.createTextNode(text));
    return p;
  }

  function openingBlock(o) {
    var div = el("div", "place-open");
    if (o.next) {
      var p = el("p");
      p.appendChild(el("span", "field-label", t.next_open + (config.lang === "ja" ? "：" : ": ")));
      if (o.next.when_label) {
        p.appendChild(el("span", "badge badge-" + o.next.when, o.next.when_label));
        p.appendChild(document.createTextNode(" "));
      }
      p.appendChild(el("strong", null, o.next.label));
      div.appendChild(p);
    }
    if (o.note) { div.appendChild(el("p", "open-note", o.note)); }
    if (o.schedule) {
      div.appendChild(el("p", "schedule-text", format(t.schedule_as_written, { text: o.schedule })));
    }
    return div;
  }

  function contactBlock(c) {
    var div = el("div", "place-contact");
    if (!c.text) {
      div.appendChild(el("p", "contact-none", c.empty_label));
      return div;
    }
    div.appendChild(paragraph(null, t.contact, c.name));
    c.phones.forEach(function (phone) {
      var p = el("p");
      var link = el("a", "btn btn-call", phone.label);
      link.href = phone.href;
      p.appendChild(link);
      div.appendChild(p);
    });
    return div;
  }

  function departuresList(end) {
    if (!end.departures.length) { return el("p", "departures-none", end.none_today); }
    var ul = el("ul", "departures");
    end.departures.forEach(function (d) {
      var li = el("li");
      li.appendChild(el("strong", null, d.time));
      li.appendChild(document.createTextNode(" " + d.bound + (d.note ? "（" + d.note + "）" : "")));
      ul.appendChild(li);
    });
    return ul;
  }

  function busBlock(b) {
    if (!b.available) { return el("p", "bus-none", b.message); }
    var details = el("details", "bus-box");
    details.appendChild(el("summary", null, b.summary));
    details.appendChild(el("p", null, b.board_label));
    details.appendChild(el("p", null, b.alight_label));
    details.appendChild(el("p", "bus-route", b.route_label));
    details.appendChild(el("p", "bus-next", b.next_label));
    details.appendChild(departuresList(b.board));
    details.appendChild(el("p", "bus-next", b.return_label));
    details.appendChild(departuresList(b.alight));
    if (b.source_label) { details.appendChild(el("p", "bus-source", b.source_label)); }
    return details;
  }

  function journeyBlock(j) {
    var section = el("section", "journey" + (j.on_time === false ? " journey-late" : ""));
    if (j.heading) {
      var h4 = el("h4", "journey-heading", j.heading);
      if (j.estimate_label) {
        h4.appendChild(document.createTextNode(" "));
        h4.appendChild(el("span", "estimate-mark journey-estimate", j.estimate_label));
      }
      section.appendChild(h4);
    }
    if (j.message) { section.appendChild(el("p", "journey-none", j.message)); }
    if (!j.found) { return section; }
    var ol = el("ol", "journey-steps");
    j.steps.forEach(function (step) {
      ol.appendChild(el("li", "journey-step journey-" + step.kind, step.text));
    });
    section.appendChild(ol);
    if (j.verdict) { section.appendChild(el("p", "journey-verdict", j.verdict)); }
    j.notes.forEach(function (note) { section.appendChild(el("p", "journey-note", note)); });
    if (j.skipped.length) {
      var details = el("details", "journey-skipped");
      details.appendChild(el("summary", null, j.skipped_label));
      var ul = el("ul");
      j.skipped.forEach(function (line) { ul.appendChild(el("li", null, line)); });
      details.appendChild(ul);
      section.appendChild(details);
    }
    return section;
  }

  function walkLine(item) {
    // 徒歩 約N分 · distance · (estimate): a place's or a located resource's walk
    var walk = el("p", "place-walk");
    walk.appendChild(el("strong", "walk-minutes", item.minutes_label));
    walk.appendChild(document.createTextNode(" "));
    walk.appendChild(el("span", "walk-distance", item.distance_label));
    if (item.estimate_label) {
      walk.appendChild(document.createTextNode(" "));
      walk.appendChild(el("span", "estimate-mark", item.estimate_label));
    }
    return walk;
  }

  function metaLine(item) {
    // the category badge and, when known, the district
    var meta = el("p", "place-meta");
    meta.appendChild(el("span", "badge badge-category", item.category_label));
    if (item.district_label) {
      meta.appendChild(document.createTextNode(" "));
      meta.appendChild(el("span", "place-district", item.district_label));
    }
    return meta;
  }

  function placeCard(p) {
    var li = el("li", "place-card");
    li.id = "place-" + p.place_id;
    li.setAttribute("data-place", p.place_id);
    var h3 = el("h3", "place-name");
    var rank = el("span", "place-rank", String(p.rank));
    rank.setAttribute("aria-hidden", "true");
    h3.appendChild(rank);
    h3.appendChild(document.createTextNode(p.name));
    li.appendChild(h3);
    li.appendChild(walkLine(p));
    li.appendChild(metaLine(p));
    li.appendChild(openingBlock(p.opening));
    li.appendChild(contactBlock(p.contact));
    if (p.address) { li.appendChild(paragraph("place-address", t.address, p.address)); }
    if (p.notes) { li.appendChild(paragraph("place-notes", t.notes, p.notes)); }
    if (p.approximate) { li.appendChild(el("p", "place-approx", t.position_approx)); }
    if (p.journey) { li.appendChild(journeyBlock(p.journey)); }
    if (p.bus) { li.appendChild(busBlock(p.bus)); }
    var button = el("button", "btn btn-route", t.show_route);
    button.type = "button";
    button.setAttribute("data-place", p.place_id);
    li.appendChild(button);
    return li;
  }

  function unlocatedItem(p) {
    var li = el("li", "unlocated-item");
    li.appendChild(el("h4", "place-name", p.name));
    var meta = el("p", "place-meta");
    meta.appendChild(el("span", "badge badge-category", p.category_label));
    li.appendChild(meta);
    li.appendChild(openingBlock(p.opening));
    li.appendChild(contactBlock(p.contact));
    if (p.notes) { li.appendChild(el("p", "place-notes", t.notes + "：" + p.notes)); }
    return li;
  }

  function resourceItem(r) {
    // the markup of near_card.html's resource_item
    var li = el("li", "resource-item");
    li.appendChild(el("h4", "place-name", r.name));
    if (r.minutes_label) { li.appendChild(walkLine(r)); }
    li.appendChild(metaLine(r));
    if (r.serves) { li.appendChild(paragraph("resource-serves", t.serves, r.serves)); }
    li.appendChild(openingBlock(r.opening));
    li.appendChild(contactBlock(r.contact));
    if (r.address) { li.appendChild(paragraph("place-address", t.address, r.address)); }
    if (r.notes) { li.appendChild(paragraph("place-notes", t.notes, r.notes)); }
    return li;
  }

  function showResources(res) {
    byId("near-resources").hidden = !res;
    if (!res) { return; }
    byId("near-resources-heading").textContent = res.heading;
    fill("near-resource-list", res.nearby.map(resourceItem));
    byId("near-resources-none").textContent = res.none_label || "";
    byId("near-serving-heading").textContent = res.serving_heading || "";
    byId("near-serving-heading").hidden = !res.serving.length;
    fill("near-serving-list", res.serving.map(resourceItem));
  }

  function fill(id, nodes) {
    var parent = byId(id);
    while (parent.firstChild) { parent.removeChild(parent.firstChild); }
    nodes.forEach(function (node) { parent.appendChild(node); });
  }

  function showResult(result) {
    state.result = result;
    byId("near-origin").textContent = result.origin_label || "";
    byId("near-method").textContent = result.method_note;
    fill("near-list", result.places.map(placeCard));
    byId("near-none").textContent = result.none_label || "";
    byId("near-unlocated-heading").textContent = result.unlocated_heading || "";
    fill("near-unlocated-list", result.unlocated.map(unlocatedItem));
    byId("near-unlocated").hidden = !result.unlocated.length;
    showResources(result.resources);
    byId("near-results").hidden = false;
    byId("near-map-section").hidden = false;
    byId("near-map-straight").hidden = !result.places.some(function (p) {
      return p.route_kind === "straight";
    });
    state.selected = null;
    drawMap();
  }

  /* ---- the map (optional) --------------------------------------------------------- */

  function loadLeaflet() {
    if (window.L) { return Promise.resolve(window.L); }
    if (state.leaflet) { return state.leaflet; }
    state.leaflet = new Promise(function (resolve, reject) {
      var css = document.createElement("link");
      css.rel = "stylesheet";
      css.href = config.leaflet.css;
      document.head.appendChild(css);
      var script = document.createElement("script");
      script.src = config.leaflet.js;
      script.onload = function () { resolve(window.L); };
      script.onerror = function () { reject(new Error("leaflet")); };
      document.head.appendChild(script);
    });
    return state.leaflet;
  }

  function markerIcon(L, rank, selected) {
    var node = el("span", "near-marker" + (selected ? " is-selected" : ""), String(rank));
    return L.divIcon({ html: node, className: "", iconSize: [34, 34], iconAnchor: [17, 17] });
  }

  function drawMap() {
    var result = state.result;
    if (!result || !result.places) { return; }
    var holder = byId("near-map");
    loadLeaflet().then(function (L) {
      if (!state.map) {
        state.map = L.map(holder, { zoomControl: true, attributionControl: true,
                                    maxZoom: config.basemap.max_zoom, tap: true });
        L.tileLayer(config.basemap.url, { attribution: config.basemap.attribution,
                                          maxZoom: config.basemap.max_zoom }).addTo(state.map);
      }
      if (state.layers) { state.layers.remove(); }
      state.layers = L.layerGroup().addTo(state.map);
      state.markers = {};
      state.routes = {};
      var bounds = L.latLngBounds([[result.origin.lat, result.origin.lon]]);
      L.marker([result.origin.lat, result.origin.lon], {
        icon: L.divIcon({ html: el("span", "near-start"), className: "", iconSize: [22, 22] }),
        title: t.start_marker, alt: t.start_marker, keyboard: false, zIndexOffset: 2000
      }).bindTooltip(el("span", null, t.start_marker), { permanent: true, direction: "top",
                                                        offset: [0, -14],
                                                        className: "near-start-label" })
        .addTo(state.layers);
      result.places.forEach(function (p) {
        var straight = p.route_kind === "straight";
        var line = L.polyline(p.route, { color: "#0a4d94", weight: 5, opacity: 0.55,
                                         dashArray: straight ? "8 10" : null,
                                         interactive: false }).addTo(state.layers);
        state.routes[p.place_id] = line;
        var marker = L.marker([p.lat, p.lon], { icon: markerIcon(L, p.rank, false),
                                                title: p.rank + ". " + p.name, alt: p.name,
                                                keyboard: false, riseOnHover: true });
        marker.on("click", function () { selectPlace(p.place_id, false); });
        marker.addTo(state.layers);
        state.markers[p.place_id] = marker;
        bounds.extend([p.lat, p.lon]);
      });
      state.map.fitBounds(bounds, { padding: [36, 36], maxZoom: 17 });
      if (result.places[0]) { highlight(result.places[0].place_id); }
    }).catch(function () {
      holder.textContent = t.map_failed;
      holder.classList.add("is-failed");
    });
  }

  function highlight(placeId) {
    var L = window.L;
    if (!L || !state.map) { return; }
    Object.keys(state.routes).forEach(function (id) {
      var on = id === placeId;
      state.routes[id].setStyle({ weight: on ? 8 : 4, opacity: on ? 0.95 : 0.35,
                                  color: on ? "#b3261e" : "#0a4d94" });
      if (on) { state.routes[id].bringToFront(); }
      var p = state.result.places.filter(function (q) { return q.place_id === id; })[0];
      state.markers[id].setIcon(markerIcon(L, p.rank, on));
      state.markers[id].setZIndexOffset(on ? 1000 : 0);
    });
    state.selected = placeId;
  }

  function selectPlace(placeId, toMap) {
    document.querySelectorAll(".place-card").forEach(function (card) {
      card.classList.toggle("is-selected", card.getAttribute("data-place") === placeId);
    });
    highlight(placeId);
    if (toMap && state.map && state.routes[placeId]) {
      var section = byId("near-map-section");
      section.scrollIntoView({ behavior: "smooth", block: "start" });
      state.map.invalidateSize();
      state.map.fitBounds(state.routes[placeId].getBounds(), { padding: [40, 40], maxZoom: 17 });
    } else if (!toMap) {
      var card = byId("place-" + placeId);
      if (card) { card.scrollIntoView({ behavior: "smooth", block: "start" }); }
    }
  }

  /* ---- choosing a start without location ------------------------------------------ */

  function loadChoices() {
    var district = byId("near-district").value;
    var select = byId("near-from");
    while (select.options.length > 1) { select.remove(1); }
    Array.prototype.slice.call(select.querySelectorAll("optgroup")).forEach(function (g) {
      g.remove();
    });
    select.disabled = true;
    if (!district) { return; }
    fetchJson(config.api.choices + "?" + query({ district: district, lang: config.lang }))
      .then(function (body) {
        body.groups.forEach(function (group) {
          var optgroup = el("optgroup");
          optgroup.label = group.label;
          group.choices.forEach(function (choice) {
            var option = el("option", null, choice.label);
            option.value = choice.value;
            optgroup.appendChild(option);
          });
          select.appendChild(optgroup);
        });
        select.disabled = false;
      }).catch(explain);
  }

  /* ---- wiring --------------------------------------------------------------------- */

  byId("near-locate").addEventListener("click", searchHere);
  byId("near-whereami").addEventListener("click", whereAmI);
  byId("near-copy").addEventListener("click", copyWhere);
  byId("near-print").addEventListener("click", function () { window.print(); });
  // printed lists show the bus times: open every bus box while printing
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details.bus-box:not([open])").forEach(function (d) {
      d.setAttribute("open", "");
      d.setAttribute("data-print-opened", "");
    });
  });
  window.addEventListener("afterprint", function () {
    document.querySelectorAll("details[data-print-opened]").forEach(function (d) {
      d.removeAttribute("open");
      d.removeAttribute("data-print-opened");
    });
  });
  byId("near-district").addEventListener("change", loadChoices);
  byId("near-list").addEventListener("click", function (event) {
    var button = event.target.closest(".btn-route");
    if (button) { selectPlace(button.getAttribute("data-place"), true); }
  });

  if (state.result) {
    drawMap();
  } else if (navigator.permissions && navigator.permissions.query && navigator.geolocation) {
    // someone who already allowed location gets the list at once
    navigator.permissions.query({ name: "geolocation" }).then(function (status) {
      if (status.state === "granted") { searchHere(); }
    }, function () {});
  }
})();
