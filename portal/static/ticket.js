/* Live progress on a customer's ticket page: poll the ticket's own status.json while the assistant works,
   then swap in the freshly rendered thread (the server renders and escapes everything; no innerHTML of JSON). */
(function () {
  "use strict";
  var live = document.getElementById("ticket-live");
  if (!live) { return; }
  var statusUrl = live.getAttribute("data-status-url");
  var progress = document.getElementById("ticket-progress");
  var words = document.getElementById("ticket-progress-words");
  var delay = 1000;
  var timer = null;
  var swapped = ["ticket-badge", "thread", "ticket-actions"];

  function refreshParts() {
    return fetch(window.location.pathname, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html");
        swapped.forEach(function (id) {
          var current = document.getElementById(id);
          var next = fresh.getElementById(id);
          if (current && next) { current.replaceWith(document.importNode(next, true)); }
        });
      });
  }

  function show(state) {
    if (words && state.words) { words.textContent = state.words; }
    if (progress) { progress.classList.toggle("d-none", !state.working); }
  }

  function poll() {
    fetch(statusUrl, { credentials: "same-origin", headers: { "Accept": "application/json" }, cache: "no-store" })
      .then(function (response) { return response.ok ? response.json() : Promise.reject(response.status); })
      .then(function (state) {
        show(state);
        live.setAttribute("data-working", state.working ? "true" : "false");
        if (state.working) {
          schedule(delay);
          return null;
        }
        return refreshParts();
      })
      .catch(function () { schedule(Math.min(delay * 4, 10000)); });
  }

  function schedule(ms) {
    window.clearTimeout(timer);
    timer = window.setTimeout(poll, ms);
  }

  if (live.getAttribute("data-working") === "true") { schedule(delay); }
})();
