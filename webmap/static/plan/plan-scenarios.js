/* 「新しい居場所の検討」 (/plan): scenarios (計画案). Save the plan by name (an editor's
 * login; the CSRF token goes in X-CSRFToken), list the saved ones, show one again, compare
 * two or more side by side, delete (editor). See plan.js.
 */
(function () {
  "use strict";

  var P = window.IbashoPlan;
  var config = P.config, T = P.T, state = P.state, places = P.places;
  var byId = P.byId, el = P.el, format = P.format, fetchJson = P.fetchJson;
  var postJson = P.postJson, setStatus = P.setStatus, errorMessage = P.errorMessage;
  var update = P.update, chooseDistrict = P.chooseDistrict;
  var chooseThreshold = P.chooseThreshold;

  function loadScenarios() {
    return fetchJson(config.urls.scenarios).then(function (body) {
      state.scenarios = body.scenarios;
      renderScenarios();
    }).catch(function (error) {
      setStatus("plan-scenario-status", errorMessage(error), true);
    });
  }

  function link(href, text) {
    var a = el("a", "plan-link", text);
    a.href = href;
    return a;
  }

  function renderScenarios() {
    var list = byId("plan-scenario-list");
    list.textContent = "";
    byId("plan-scenarios-empty").hidden = state.scenarios.length > 0;
    byId("plan-compare").hidden = state.scenarios.length < 2;
    state.scenarios.forEach(function (scenario) {
      var li = el("li", "plan-scenario");
      var label = el("label", "plan-scenario-name");
      var box = el("input");
      box.type = "checkbox";
      box.value = scenario.scenario_id;
      box.className = "plan-scenario-check";
      label.appendChild(box);
      label.appendChild(el("span", null, scenario.name));
      li.appendChild(label);
      var meta = scenario.summary;
      if (scenario.district) { meta += "・" + format(T.in_district, { district: scenario.district }); }
      if (scenario.created_by) {
        meta += "・" + format(T.saved_by, { user: scenario.created_by,
                                           date: scenario.created_at.slice(0, 10) });
      }
      li.appendChild(el("p", "plan-scenario-meta", meta));
      var actions = el("p", "plan-scenario-actions");
      var show = el("button", "plan-button", T.load);
      show.type = "button";
      show.addEventListener("click", function () { showScenario(scenario); });
      actions.appendChild(show);
      actions.appendChild(link(scenario.urls.csv, T.csv));
      actions.appendChild(link(scenario.urls.png, T.png));
      actions.appendChild(link(scenario.urls.pdf, T.pdf));
      if (config.can_edit) {
        var remove = el("button", "plan-button plan-button-danger", T["delete"]);
        remove.type = "button";
        remove.addEventListener("click", function () { deleteScenario(scenario); });
        actions.appendChild(remove);
      }
      li.appendChild(actions);
      list.appendChild(li);
    });
  }

  function showScenario(scenario) {
    var adds = scenario.add.map(function (a) { return { lonlat: a.lonlat, label: a.label }; });
    var known = scenario.remove.filter(function (id) { return places[id]; });
    if (scenario.threshold !== null && config.thresholds.some(function (t) {
      return t.value === scenario.threshold;
    })) {
      chooseThreshold(scenario.threshold);
    }
    chooseDistrict(scenario.district);
    update(adds, known).then(function () {
      setStatus("plan-scenario-status", format(T.loaded, { name: scenario.name }));
      byId("plan-result").focus();
    });
  }

  function saveScenario(event) {
    event.preventDefault();
    var input = byId("plan-scenario-name");
    var name = input.value.trim();
    if (!name) { input.focus(); return; }
    var body = { name: name, district: state.district, threshold: state.threshold,
                 add: state.adds.map(function (a) { return { lonlat: a.lonlat, label: a.label }; }),
                 remove: state.removes };
    postJson(config.urls.scenarios, body).then(function (answer) {
      input.value = "";
      setStatus("plan-scenario-status", format(T.saved, { name: answer.scenario.name }));
      loadScenarios();
    }).catch(function (error) {
      var message = error.body && error.body.problems ? error.body.problems.join(" ") : error.message;
      if (error.status === 401 || error.status === 403) { message = T.login_to_save; }
      setStatus("plan-scenario-status", format(T.save_error, { message: message }), true);
    });
  }

  function deleteScenario(scenario) {
    if (!window.confirm(format(T.confirm_delete, { name: scenario.name }))) { return; }
    fetchJson(scenario.urls.self, { method: "DELETE" }).then(function () {
      setStatus("plan-scenario-status", format(T.deleted, { name: scenario.name }));
      loadScenarios();
    }).catch(function (error) {
      setStatus("plan-scenario-status", errorMessage(error), true);
    });
  }

  function compareScenarios() {
    var ids = [];
    document.querySelectorAll(".plan-scenario-check:checked").forEach(function (box) {
      ids.push(box.value);
    });
    if (ids.length < 2) {
      setStatus("plan-scenario-status", T.compare_hint, true);
      return;
    }
    var query = "?ids=" + encodeURIComponent(ids.join(",")) +
      (state.district ? "&district=" + encodeURIComponent(state.district) : "");
    fetch(config.urls.compare + query + "&fragment=1").then(function (response) {
      if (!response.ok) { throw new Error(response.statusText); }
      return response.text();
    }).then(function (html) {
      byId("plan-compare-body").innerHTML = html;  // rendered and escaped by the server
      byId("plan-compare-open").href = config.urls.compare + query;
      var box = byId("plan-compare-box");
      box.hidden = false;
      box.focus();
    }).catch(function (error) {
      setStatus("plan-scenario-status", errorMessage(error), true);
    });
  }


  function start() {
    var form = byId("plan-save");
    if (form) { form.addEventListener("submit", saveScenario); }
    byId("plan-compare").addEventListener("click", compareScenarios);
    byId("plan-compare-close").addEventListener("click", function () {
      byId("plan-compare-box").hidden = true;
    });
    loadScenarios();
  }

  P.scenarios = { start: start };
}());
