/* 「新しい居場所の検討」 (/plan): plan new places, assume closures, save and compare scenarios.
 *
 * Plain JavaScript and the vendored Leaflet, no framework, in three files sharing
 * window.IbashoPlan: this one (the plan and its numbers), plan-map.js (the map) and
 * plan-scenarios.js (saving, loading, comparing). Every change of the plan asks
 * POST /api/what-if for all the changes at once and shows the coverage before and after for
 * the city and the chosen district. Text from the server or the data is always set with
 * textContent (never innerHTML); the one exception is the comparison table, which the server
 * renders with escaping.
 */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("plan-config").textContent);
  var T = config.text;
  var state = {
    district: config.district || "",
    threshold: config.threshold,
    adds: [],       // {lonlat: [lon, lat], label: "", district: ""}
    removes: [],    // place ids
    result: null,   // the last what-if answer (null: no change)
    sequence: 0,
    scenarios: [],
    bus: false      // count who gets there by bus too (the switch)
  };
  var places = {};        // place_id -> {feature, marker, removed}
  var suggestionButtons = [];
  var P = window.IbashoPlan = { config: config, T: T, state: state, places: places,
                                suggestionButtons: suggestionButtons };

  // the map (plan-map.js) and the scenarios (plan-scenarios.js), called once they are loaded
  function drawPlanned() { P.map.drawPlanned(); }
  function stylePlace(id) { P.map.stylePlace(id); }

  // ---- small helpers -------------------------------------------------------------------

  function byId(id) { return document.getElementById(id); }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }

  function format(template, values) {
    return String(template).replace(/\{(\w+)(?::[^}]*)?\}/g, function (whole, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? values[key] : whole;
    });
  }

  function people(value) {
    if (value === null || value === undefined) { return "—"; }
    return Math.round(value).toLocaleString("ja-JP");
  }

  function share(value) {
    if (value === null || value === undefined) { return "—"; }
    return (100 * value).toFixed(1) + "%";
  }

  function changeText(change, points) {
    var rounded = Math.round(change);
    if (rounded === 0) { return T.change_none; }
    var text = format(T.change_people, { sign: rounded > 0 ? "+" : "−",
                                         people: people(Math.abs(rounded)) });
    if (points !== null && points !== undefined) {
      text += "（" + format(T.change_points, { sign: points >= 0 ? "+" : "−",
                                                points: Math.abs(100 * points).toFixed(1) }) + "）";
    }
    return text;
  }

  function fetchJson(url, options) {
    options = options || {};
    options.headers = Object.assign({ "Accept": "application/json" }, options.headers || {});
    if (options.method && options.method !== "GET") {
      options.headers["X-CSRFToken"] = config.csrf_token || "";
    }
    return fetch(url, options).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        if (!response.ok) {
          var error = new Error(body.error || response.statusText);
          error.status = response.status;
          error.body = body;
          throw error;
        }
        return body;
      });
    });
  }

  function postJson(url, body, method) {
    return fetchJson(url, { method: method || "POST", body: JSON.stringify(body),
                            headers: { "Content-Type": "application/json" } });
  }

  function setStatus(id, message, isError) {
    var node = byId(id);
    node.textContent = message || "";
    node.classList.toggle("is-error", Boolean(isError));
  }

  function thresholdLabel(value) {
    for (var i = 0; i < config.thresholds.length; i++) {
      if (config.thresholds[i].value === value) { return config.thresholds[i].label; }
    }
    return String(value);
  }

  // ---- numbers: now and with this plan ------------------------------------------------

  function normalise(row) {
    function part(p) {
      return { covered: p.covered, share: p.share !== undefined ? p.share : p.covered_share };
    }
    return { threshold: row.threshold, population: row.population, before: part(row.before),
             after: part(row.after), change: row.change };
  }

  function rowsFor(district) {
    if (!config.baseline) { return null; }
    if (!district) {
      return (state.result ? state.result.city : config.baseline.city).map(normalise);
    }
    var rows = null;
    if (state.result) {
      rows = state.result.districts.filter(function (r) { return r.district === district; });
    }
    if (!rows || rows.length === 0) { rows = config.baseline.districts[district] || []; }
    return rows.map(normalise);
  }

  function rowAt(rows, threshold) {
    for (var i = 0; i < rows.length; i++) {
      if (rows[i].threshold === threshold) { return rows[i]; }
    }
    return null;
  }

  function points(row) {
    if (row.before.share === null || row.after.share === null) { return null; }
    return row.after.share - row.before.share;
  }

  function figure(title, row) {
    var box = el("div", "plan-figure");
    box.appendChild(el("h3", null, title));
    var shares = el("p", "plan-share");
    var now = el("span", "plan-now");
    now.appendChild(el("small", null, T.now));
    now.appendChild(document.createTextNode(" " + share(row.before.share)));
    var after = el("span", "plan-after");
    after.appendChild(el("small", null, T.after));
    after.appendChild(document.createTextNode(" " + share(row.after.share)));
    shares.appendChild(now);
    shares.appendChild(el("span", "plan-arrow", "→"));
    shares.appendChild(after);
    box.appendChild(shares);
    var rounded = Math.round(row.change);
    var change = el("p", "plan-delta" + (rounded > 0 ? " is-up" : rounded < 0 ? " is-down" : ""),
                    changeText(row.change, points(row)));
    box.appendChild(change);
    box.appendChild(el("p", "plan-people",
                       format(T.people_range, { before: people(row.before.covered),
                                                after: people(row.after.covered) }) +
                       "（" + T.csv_population + " " +
                       format(T.people_count, { people: people(row.population) }) + "）"));
    return box;
  }

  function renderSummary(city, district) {
    var summary = byId("plan-summary");
    summary.textContent = "";
    if (!city) { return; }
    summary.appendChild(el("span", "plan-summary-threshold", thresholdLabel(state.threshold)));
    [[T.city, city], [format(T.in_district, { district: state.district }), district]]
      .forEach(function (pair) {
        var row = pair[1] ? rowAt(pair[1], state.threshold) : null;
        if (!row) { return; }
        var line = el("span", "plan-summary-line");
        line.appendChild(el("span", "plan-summary-area", pair[0]));
        line.appendChild(el("strong", null, share(row.before.share) + " → " + share(row.after.share)));
        line.appendChild(el("span", "plan-summary-change", changeText(row.change)));
        summary.appendChild(line);
      });
  }

  function watchSummary() {
    if (!window.IntersectionObserver) { return; }
    var observer = new IntersectionObserver(function (entries) {
      byId("plan-summary").hidden = entries[0].isIntersecting;
    }, { root: window.getComputedStyle(byId("plan-panel")).overflowY === "auto"
         ? byId("plan-panel") : null });
    observer.observe(byId("plan-figures"));
  }

  // ---- with the bus: on foot only, with the bus, neither ------------------------------

  function busRows(district) {
    var base = district ? config.bus.baseline.districts[district] : config.bus.baseline.city;
    if (!base) { return null; }
    var after = base;
    var answer = state.result && state.result.bus;
    if (answer) {
      if (!district) { after = answer.city.after; }
      answer.districts.forEach(function (row) {
        if (row.district === district) { after = row.after; }
      });
    }
    return { before: base, after: after };
  }

  function renderBus() {
    var box = byId("plan-bus-figures");
    if (!box) { return; }
    box.textContent = "";
    box.hidden = !state.bus;
    if (!state.bus) { return; }
    box.appendChild(el("h3", null, T.bus_heading));
    var table = el("table", "plan-bus-table");
    var head = el("tr");
    head.appendChild(el("th", null, ""));
    var columns = [[T.city, busRows("")]];
    if (state.district) {
      columns.push([format(T.in_district, { district: state.district }), busRows(state.district)]);
    }
    columns.forEach(function (column) { head.appendChild(el("th", null, column[0])); });
    table.appendChild(head);
    ["walk", "bus", "neither"].forEach(function (kind) {
      var tr = el("tr", "plan-bus-" + kind);
      tr.appendChild(el("th", null, T["bus_" + kind]));
      columns.forEach(function (column) {
        var rows = column[1];
        tr.appendChild(el("td", null, rows ? people(rows.before[kind]) + " → " +
                                             people(rows.after[kind]) : "—"));
      });
      table.appendChild(tr);
    });
    box.appendChild(table);
  }

  function chooseBus(on) {
    state.bus = on;
    P.map.loadSuggestions();
    if (on && (state.adds.length || state.removes.length) && !(state.result && state.result.bus)) {
      return update(state.adds, state.removes);  // ask again, with the bus counted
    }
    renderBus();
    return Promise.resolve();
  }

  function renderNumbers() {
    renderBus();
    var figures = byId("plan-figures");
    figures.textContent = "";
    var table = byId("plan-table");
    var head = table.tHead;
    var body = table.tBodies[0];
    head.textContent = "";
    body.textContent = "";
    var city = rowsFor("");
    if (!city) {
      figures.appendChild(el("p", "plan-note", config.basis_note));
      return;
    }
    var district = state.district ? rowsFor(state.district) : null;
    renderSummary(city, district);
    var heading = el("p", "plan-threshold-now", thresholdLabel(state.threshold));
    figures.appendChild(heading);
    var cityRow = rowAt(city, state.threshold);
    if (cityRow) { figures.appendChild(figure(T.city, cityRow)); }
    if (district) {
      var districtRow = rowAt(district, state.threshold);
      if (districtRow) {
        figures.appendChild(figure(format(T.in_district, { district: state.district }),
                                   districtRow));
      }
    }
    if (state.result) {
      var others = [];
      state.result.districts.forEach(function (r) {
        if (r.district !== state.district && r.threshold === state.threshold &&
            Math.round(r.change) !== 0) {
          others.push(r.district + " " + changeText(r.change));
        }
      });
      if (others.length) {
        figures.appendChild(el("p", "plan-others",
                               format(T.other_districts, { list: others.join("、") })));
      }
    }
    var headRow = el("tr");
    headRow.appendChild(el("th", null, T.threshold));
    headRow.appendChild(el("th", null, T.city));
    if (district) { headRow.appendChild(el("th", null, state.district)); }
    head.appendChild(headRow);
    city.forEach(function (row) {
      var tr = el("tr", row.threshold === state.threshold ? "is-current" : null);
      tr.appendChild(el("th", null, thresholdLabel(row.threshold)));
      [row, district ? rowAt(district, row.threshold) : undefined].forEach(function (r) {
        if (r === undefined) { return; }
        var td = el("td");
        if (r) {
          td.appendChild(el("span", "plan-cell-share",
                            share(r.before.share) + " → " + share(r.after.share)));
          td.appendChild(el("span", "plan-cell-change", changeText(r.change)));
        } else {
          td.textContent = "—";
        }
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
  }

  // ---- the plan: changes, asked of the server all at once ---------------------------

  function placeName(id) {
    var entry = places[id];
    return entry ? entry.feature.properties.name : id;
  }

  function addLabel(item) {
    if (item.label) { return item.label; }
    return T.map_point + (item.district ? "（" + format(T.in_district, { district: item.district }) + "）" : "");
  }

  function renderChanges() {
    var list = byId("plan-change-list");
    list.textContent = "";
    var count = state.adds.length + state.removes.length;
    byId("plan-changes-count").textContent = count ? format(T.count, { count: count }) : "";
    byId("plan-changes-empty").hidden = count > 0;
    byId("plan-clear").hidden = count === 0;
    state.adds.forEach(function (item, index) {
      var li = el("li", "plan-change plan-change-add");
      li.appendChild(el("span", "plan-change-mark", "★"));
      var text = el("span", "plan-change-text");
      text.appendChild(el("strong", null, T.added));
      text.appendChild(document.createTextNode(" " + addLabel(item)));
      li.appendChild(text);
      var undo = el("button", "plan-button plan-button-quiet", T.undo);
      undo.type = "button";
      undo.addEventListener("click", function () {
        var adds = state.adds.slice();
        adds.splice(index, 1);
        update(adds, state.removes);
      });
      li.appendChild(undo);
      list.appendChild(li);
    });
    state.removes.forEach(function (id) {
      var li = el("li", "plan-change plan-change-remove");
      li.appendChild(el("span", "plan-change-mark", "×"));
      var text = el("span", "plan-change-text");
      text.appendChild(el("strong", null, T.removed));
      var district = places[id] ? places[id].feature.properties.district : "";
      text.appendChild(document.createTextNode(" " + placeName(id) + (district ? "（" + district + "）" : "")));
      li.appendChild(text);
      var undo = el("button", "plan-button plan-button-quiet", T.undo);
      undo.type = "button";
      undo.addEventListener("click", function () { toggleRemove(id); });
      li.appendChild(undo);
      list.appendChild(li);
    });
    suggestionButtons.forEach(function (button) {
      var lonlat = button.lonlat;
      button.setAttribute("aria-pressed", String(indexOfAdd(lonlat) >= 0));
    });
  }

  function indexOfAdd(lonlat) {
    for (var i = 0; i < state.adds.length; i++) {
      var a = state.adds[i].lonlat;
      if (Math.abs(a[0] - lonlat[0]) < 1e-9 && Math.abs(a[1] - lonlat[1]) < 1e-9) { return i; }
    }
    return -1;
  }

  function errorMessage(error) {
    var message = error && error.message ? error.message : String(error);
    if (/outside the study area/.test(message)) { return T.outside; }
    if (error && error.status === 401) { return T.login_to_save; }
    return format(T.error, { message: message });
  }

  function update(adds, removes) {
    state.sequence += 1;
    var sequence = state.sequence;
    if (adds.length === 0 && removes.length === 0) {
      state.adds = [];
      state.removes = [];
      state.result = null;
      setStatus("plan-status", "");
      redraw();
      return Promise.resolve();
    }
    setStatus("plan-status", T.working);
    byId("plan-result").setAttribute("aria-busy", "true");
    var body = { add: adds.map(function (a) { return a.lonlat; }), remove: removes };
    if (state.bus) { body.bus = true; }
    return postJson(config.urls.what_if, body).then(function (result) {
      if (sequence !== state.sequence) { return; }
      state.adds = adds.map(function (a, i) {
        return { lonlat: a.lonlat, label: a.label || "",
                 district: result.added[i] ? result.added[i].district : "" };
      });
      state.removes = removes.slice();
      state.result = result;
      setStatus("plan-status", format(T.elapsed, { ms: Math.max(1, Math.round(result.elapsed_ms)) }));
      redraw();
    }).catch(function (error) {
      if (sequence !== state.sequence) { return; }
      setStatus("plan-status", errorMessage(error), true);
    }).then(function () {
      byId("plan-result").removeAttribute("aria-busy");
    });
  }

  function addPlanned(lonlat, label) {
    var index = indexOfAdd(lonlat);
    var adds = state.adds.slice();
    if (index >= 0) {
      adds.splice(index, 1);
    } else {
      adds.push({ lonlat: lonlat, label: label || "" });
    }
    return update(adds, state.removes);
  }

  function toggleRemove(id) {
    var removes = state.removes.slice();
    var index = removes.indexOf(id);
    if (index >= 0) { removes.splice(index, 1); } else { removes.push(id); }
    return update(state.adds, removes);
  }

  function redraw() {
    renderNumbers();
    renderChanges();
    drawPlanned();
    Object.keys(places).forEach(function (id) { stylePlace(id); });
  }


  function chooseDistrict(name) {
    state.district = name || "";
    byId("plan-district").value = state.district;
    var url = new URL(window.location.href);
    if (state.district) { url.searchParams.set("district", state.district); }
    else { url.searchParams.delete("district"); }
    window.history.replaceState(null, "", url.toString());
    var kept = byId("basis-keep-district");  // the band chooser keeps the district shown
    if (kept) { kept.value = state.district; }
    P.map.highlightDistrict();
    P.map.fitArea();
    renderNumbers();
  }

  function chooseThreshold(value) {
    state.threshold = value;
    document.querySelectorAll("input[name=threshold]").forEach(function (radio) {
      radio.checked = Number(radio.value) === value;
    });
    renderNumbers();
    drawPlanned();
    P.map.loadReach();
  }

  // ---- start -----------------------------------------------------------------------

  function start() {
    byId("plan-district").addEventListener("change", function (event) {
      chooseDistrict(event.target.value);
    });
    document.querySelectorAll("input[name=threshold]").forEach(function (radio) {
      radio.addEventListener("change", function () { chooseThreshold(Number(radio.value)); });
    });
    byId("plan-clear").addEventListener("click", function () { update([], []); });
    var busSwitch = byId("plan-bus");
    if (busSwitch) {
      busSwitch.checked = false;
      busSwitch.addEventListener("change", function () { chooseBus(busSwitch.checked); });
    }
    P.map.setupMap();
    redraw();
    watchSummary();
    P.scenarios.start();
  }

  Object.assign(P, {
    byId: byId, el: el, format: format, people: people, share: share,
    changeText: changeText, fetchJson: fetchJson, postJson: postJson, setStatus: setStatus,
    thresholdLabel: thresholdLabel, addLabel: addLabel, errorMessage: errorMessage,
    update: update, addPlanned: addPlanned, toggleRemove: toggleRemove,
    renderChanges: renderChanges, chooseDistrict: chooseDistrict, chooseBus: chooseBus,
    chooseThreshold: chooseThreshold
  });
  // every script is in by then (they are at the end of the page, in order)
  document.addEventListener("DOMContentLoaded", start);
}());
