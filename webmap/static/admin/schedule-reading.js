/* The place form's schedule: as it is typed, show how it is read (the next five dates, or why
   it is not shown as dates), from POST /admin/schedule-reading. Text goes in as text only. */
(function () {
  "use strict";
  var input = document.getElementById("schedule");
  var box = document.getElementById("schedule-reading");
  var token = document.querySelector("#place-form input[name=csrf_token]");
  if (!input || !box || !window.fetch) { return; }
  var timer = null, asked = 0;

  function show(body) {
    var headline = document.createElement("p");
    headline.textContent = body.headline || body.error || "";
    var list = document.createElement("ul");
    (body.lines || []).forEach(function (line) {
      var item = document.createElement("li");
      item.textContent = line;
      list.appendChild(item);
    });
    box.className = "schedule-reading schedule-" + (body.status || "error");
    box.replaceChildren(headline, list);
  }
  function read() {
    var mine = ++asked;
    fetch(box.dataset.url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json",
                 "X-CSRFToken": token ? token.value : "" },
      body: JSON.stringify({ schedule: input.value })
    }).then(function (response) { return response.json(); })
      .then(function (body) { if (mine === asked) { show(body); } })
      .catch(function () { /* keep the last reading; the saved form is checked anyway */ });
  }
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(read, 300);
  });
}());
