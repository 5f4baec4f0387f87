/* ibasho map behaviour: markers, popups, today's bus departures, panels.
 *
 * Inlined into every map page by webmap/maps/build.py. All text arriving here is HTML that the
 * server has already escaped (webmap/maps/popups.py); this file never builds HTML from raw data,
 * and uses raw names only through DOM properties (title, aria-label).
 */
var IbashoMap = (function () {
  "use strict";

  var settings = {
    markerSize: 30,
    stopIcon: "",
    text: {},
    timetable: null,
    dayLabels: {}
  };

  function configure(options) {
    for (var key in options) {
      if (Object.prototype.hasOwnProperty.call(options, key)) {
        settings[key] = options[key];
      }
    }
  }

  function format(template, values) {
    return String(template).replace(/\{(\w+)\}/g, function (whole, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? values[key] : whole;
    });
  }

  /* ---- features ---------------------------------------------------------------------- */

  function bindFeature(feature, layer) {
    var p = feature.properties || {};
    if (p.tooltip) {
      layer.bindTooltip(p.tooltip, {
        sticky: p.sticky === true,
        direction: p.sticky ? "auto" : "top",
        className: "ibasho-tooltip",
        opacity: 1
      });
    }
    if (p.popup) {
      layer.bindPopup(p.popup, {maxWidth: 340, minWidth: 240, autoPanPadding: [24, 24]});
      layer.on("popupopen", function () { layer.closeTooltip(); });
    }
  }

  function featureStyle(feature) {
    return (feature && feature.properties && feature.properties.style) || {};
  }

  function placeMarker(feature, latlng) {
    var p = feature.properties || {};
    var size = p.icon_size || settings.markerSize;
    return L.marker(latlng, {
      icon: L.divIcon({
        html: p.icon,
        className: "ibasho-place-icon" + (p.position_quality === "approx" ? " is-approx" : ""),
        iconSize: [size, size],
        iconAnchor: [size / 2, size / 2],
        popupAnchor: [0, -size / 2],
        tooltipAnchor: [0, -size / 2]
      }),
      title: p.name || "",
      alt: p.name || "",
      riseOnHover: true,
      zIndexOffset: 1000, // places above bus stops and their clusters
      keyboard: true
    });
  }

  function suggestionMarker(feature, latlng) {
    // A suggested site for a new place: a numbered badge (its rank), above the places.
    var p = feature.properties || {};
    var size = p.icon_size || settings.markerSize;
    return L.marker(latlng, {
      icon: L.divIcon({
        html: p.icon,
        className: "ibasho-suggestion-icon",
        iconSize: [size, size],
        iconAnchor: [size / 2, size / 2],
        popupAnchor: [0, -size / 2],
        tooltipAnchor: [0, -size / 2]
      }),
      title: p.title || "",
      alt: p.title || "",
      riseOnHover: true,
      zIndexOffset: 2000,
      keyboard: true
    });
  }

  function districtLabel(feature, latlng) {
    var p = feature.properties || {};
    return L.marker(latlng, {
      icon: L.divIcon({
        html: p.label,
        className: "ibasho-district-label" + (p.selected ? " is-selected" : ""),
        iconSize: null
      }),
      pane: "ibasho-labels",
      title: p.name || "",
      keyboard: true
    });
  }

  function populationCircle(feature, latlng) {
    var p = feature.properties || {};
    var options = {radius: p.radius || 4, pane: "ibasho-population"};
    var style = p.style || {};
    for (var key in style) {
      if (Object.prototype.hasOwnProperty.call(style, key)) options[key] = style[key];
    }
    return L.circleMarker(latlng, options);
  }

  function plainText(html) {
    // Escaped HTML from the server back to text, for DOM properties (title, alt).
    try {
      return new DOMParser().parseFromString(html || "", "text/html").documentElement.textContent;
    } catch (error) {
      return "";
    }
  }

  function stopMarker(feature, latlng) {
    var p = feature.properties || {};
    var size = settings.stopSize || 18;
    var name = plainText(p.t);
    var marker = L.marker(latlng, {
      icon: L.divIcon({
        html: settings.stopIcon,
        className: "ibasho-stop-icon",
        iconSize: [size, size],
        iconAnchor: [size / 2, size - 2],
        popupAnchor: [0, -size + 2],
        tooltipAnchor: [0, -size + 2]
      }),
      title: name,
      alt: name,
      keyboard: true
    });
    marker.bindTooltip(p.t || "", {direction: "top", className: "ibasho-tooltip", opacity: 1});
    marker.bindPopup(function () { return stopPopup(p); },
                     {maxWidth: 340, minWidth: 240, maxHeight: 360, autoPanPadding: [24, 24]});
    marker.on("popupopen", function () { marker.closeTooltip(); });
    return marker;
  }

  function stopCluster(cluster) {
    var count = cluster.getChildCount();
    var size = count < 10 ? 22 : count < 100 ? 28 : 34;
    return L.divIcon({
      html: "<span>" + count + "</span>",
      className: "ibasho-stop-cluster",
      iconSize: [size, size]
    });
  }

  /* ---- today's departures ------------------------------------------------------------ */

  function japanNow() {
    // Japan has no daylight saving time: JST is UTC+9 all year.
    var jst = new Date(Date.now() + 9 * 3600 * 1000);
    var iso = jst.toISOString().slice(0, 10);
    return {
      iso: iso,
      weekday: (jst.getUTCDay() + 6) % 7, // Monday = 0
      minutes: jst.getUTCHours() * 60 + jst.getUTCMinutes()
    };
  }

  function dayType(now, timetable) {
    if (now.iso < timetable.holidays_from || now.iso > timetable.holidays_to) {
      throw new Error("holiday list out of range");
    }
    if (timetable.holidays.indexOf(now.iso) >= 0) return "holiday";
    if (now.weekday === 5) return "saturday";
    if (now.weekday === 6) return "sunday";
    return "weekday";
  }

  function timeText(hhmm) {
    return hhmm.slice(0, 2) + ":" + hhmm.slice(2, 4);
  }

  function timesHtml(times, nowMinutes) {
    var nextMarked = nowMinutes === null;
    return times.map(function (hhmm) {
      var minutes = parseInt(hhmm.slice(0, 2), 10) * 60 + parseInt(hhmm.slice(2, 4), 10);
      if (nowMinutes !== null && minutes < nowMinutes) {
        return '<span class="is-past">' + timeText(hhmm) + "</span>";
      }
      if (!nextMarked) {
        nextMarked = true;
        return '<strong class="is-next" title="' + settings.text.next + '">' +
          timeText(hhmm) + "</strong>";
      }
      return "<span>" + timeText(hhmm) + "</span>";
    }).join(" ");
  }

  function todaysDepartures(groups, timetable) {
    var now = japanNow();
    var kind = dayType(now, timetable);
    var bit = kind === "holiday" ? 128 : (1 << now.weekday);
    var byDestination = {};
    var order = [];
    var notes = [];
    var skippedHolidayNote = false;
    groups.forEach(function (group) {
      var runs = (group[2] & bit) !== 0;
      if (!runs) {
        if (kind === "holiday" && group[3] === timetable.holiday_note) skippedHolidayNote = true;
        return;
      }
      var destination = group[0];
      if (!byDestination[destination]) {
        byDestination[destination] = [];
        order.push(destination);
      }
      byDestination[destination] = byDestination[destination].concat(group[4].split(" "));
      if (group[3] >= 0 && group[3] !== timetable.holiday_note &&
          notes.indexOf(group[3]) < 0) notes.push(group[3]);
    });
    var html = '<p class="ibasho-popup-sub">' +
      format(settings.text.today, {day: settings.dayLabels[kind] || kind}) + "</p>";
    if (!order.length) {
      html += '<p class="ibasho-none">' + settings.text.none_today + "</p>";
    }
    order.forEach(function (destination) {
      var times = byDestination[destination].sort();
      html += '<p class="ibasho-bound">' +
        format(settings.text.bound, {destination: timetable.destinations[destination]}) +
        '</p><p class="ibasho-times">' + timesHtml(times, now.minutes) + "</p>";
    });
    notes.forEach(function (note) {
      html += '<p class="ibasho-note">※' + timetable.notes[note] + "</p>";
    });
    if (skippedHolidayNote) {
      html += '<p class="ibasho-note">※' + settings.text.holiday_caution + "</p>";
    }
    return html;
  }

  function allDepartures(groups, timetable, reason) {
    var html = '<p class="ibasho-popup-sub">' + settings.text.all + "</p>";
    if (reason) html += '<p class="ibasho-note">' + reason + "</p>";
    groups.forEach(function (group) {
      html += '<p class="ibasho-bound">' +
        format(settings.text.bound, {destination: timetable.destinations[group[0]]}) +
        "（" + timetable.labels[group[1]] + "）</p>" +
        '<p class="ibasho-times">' + timesHtml(group[4].split(" ").sort(), null) + "</p>";
      if (group[3] >= 0) html += '<p class="ibasho-note">※' + timetable.notes[group[3]] + "</p>";
    });
    return html;
  }

  function stopPopup(p) {
    var timetable = settings.timetable;
    var html = '<div class="ibasho-popup ibasho-stop-popup">' +
      '<p class="ibasho-popup-kind">' + settings.stopIcon + "<span>" +
      (settings.text.stop_kind || "") + "</span></p>" +
      '<h3 class="ibasho-popup-title">' + (p.t || "") + "</h3>";
    var texts = (timetable && timetable.texts) || [];
    if (p.o >= 0 && texts[p.o]) html += '<p class="ibasho-operator">' + texts[p.o] + "</p>";
    var groups = p.d || [];
    if (!groups.length || !timetable) {
      html += '<p class="ibasho-none">' + settings.text.no_timetable + "</p>";
    } else {
      try {
        html += todaysDepartures(groups, timetable);
      } catch (error) {
        html += allDepartures(groups, timetable, settings.text.outdated_holidays);
      }
    }
    if (p.n >= 0 && texts[p.n]) {
      html += '<p class="ibasho-source">' + format(settings.text.source_date, {note: texts[p.n]}) +
        "</p>";
    }
    return html + "</div>";
  }

  /* ---- panels -------------------------------------------------------------------------- */

  function panel(map, position, className, html) {
    var Control = L.Control.extend({
      options: {position: position},
      onAdd: function () {
        var div = L.DomUtil.create("div", "ibasho-panel " + className);
        div.innerHTML = html;
        L.DomEvent.disableClickPropagation(div);
        L.DomEvent.disableScrollPropagation(div);
        return div;
      }
    });
    var control = new Control();
    control.addTo(map);
    return control.getContainer();
  }

  function isRoomy(map, minWidth, minHeight) {
    // The map's own size counts (it may be embedded in a page), not the window's.
    var element = typeof map === "string" ? document.getElementById(map) : map.getContainer();
    return !!element && element.clientWidth >= minWidth && element.clientHeight >= minHeight;
  }

  function isCompact(mapId) {
    return !isRoomy(mapId, 1100, 700);
  }

  function openIfRoomy(map, container, minWidth, minHeight) {
    var details = container.querySelector("details");
    if (details && isRoomy(map, minWidth, minHeight)) details.open = true;
  }

  function keepPopupsClear(map) {
    // Pan a popup out from under the map's panels (layer list, legend, sources).
    map.on("popupopen", function (event) {
      var element = event.popup.getElement();
      if (!element) return;
      window.setTimeout(function () {
        var box = element.getBoundingClientRect();
        var shift = 0;
        var corners = map.getContainer().querySelectorAll(".leaflet-control-container > div");
        Array.prototype.forEach.call(corners, function (corner) {
          Array.prototype.forEach.call(corner.children, function (control) {
            var r = control.getBoundingClientRect();
            var overlaps = r.width > 0 && r.left < box.right && r.right > box.left &&
              r.top < box.bottom && r.bottom > box.top;
            if (!overlaps || r.width < 60) return;
            if (corner.classList.contains("leaflet-right")) {
              shift = Math.max(shift, box.right - r.left + 12);
            } else {
              shift = Math.min(shift, box.left - r.right - 12);
            }
          });
        });
        if (shift) map.panBy([shift, 0]);
      }, 300);
    });
  }

  function addTitle(map, html) {
    if (html) panel(map, "topleft", "ibasho-title", html);
    L.control.zoom({
      position: "topleft",
      zoomInTitle: settings.text.zoom_in || "Zoom in",
      zoomOutTitle: settings.text.zoom_out || "Zoom out"
    }).addTo(map);
  }

  function addLegend(map, html, layers) {
    var container = panel(map, "bottomleft", "ibasho-legend", html);
    openIfRoomy(map, container, 900, 560);
    function sync() {
      Array.prototype.forEach.call(container.querySelectorAll("[data-layer]"), function (row) {
        var layer = layers[row.getAttribute("data-layer")];
        row.hidden = !!layer && !map.hasLayer(layer);
      });
      // a section without a visible row is hidden with its heading
      Array.prototype.forEach.call(container.querySelectorAll("ul"), function (list) {
        var visible = list.querySelectorAll("li:not([hidden])").length > 0;
        list.hidden = !visible;
        var heading = list.previousElementSibling;
        if (heading && heading.tagName === "H2") heading.hidden = !visible;
      });
    }
    map.on("overlayadd overlayremove", sync);
    sync();
  }

  function addUnlocated(map, html) {
    var container = panel(map, "bottomright", "ibasho-unlocated", html);
    return container;
  }

  function addSources(map, html) {
    map.attributionControl.setPrefix(false);
    map.attributionControl.addAttribution(html);
    var container = map.attributionControl.getContainer();
    openIfRoomy(map, container, 1200, 800);
  }

  function watchZoom(map) {
    function update() {
      var zoom = map.getZoom();
      var container = map.getContainer();
      container.classList.toggle("ibasho-zoom-low", zoom < 11);
      container.classList.toggle("ibasho-zoom-far", zoom < 10);
    }
    map.on("zoomend", update);
    update();
    keepPopupsClear(map);
  }

  return {
    configure: configure,
    isCompact: isCompact,
    featureStyle: featureStyle,
    bindFeature: bindFeature,
    placeMarker: placeMarker,
    suggestionMarker: suggestionMarker,
    districtLabel: districtLabel,
    populationCircle: populationCircle,
    stopMarker: stopMarker,
    stopCluster: stopCluster,
    stopPopup: stopPopup,
    addTitle: addTitle,
    addLegend: addLegend,
    addUnlocated: addUnlocated,
    addSources: addSources,
    watchZoom: watchZoom
  };
})();
