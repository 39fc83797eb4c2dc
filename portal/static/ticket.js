/* Live updates on a customer's ticket page: poll the ticket's own status.json, quickly while the assistant
   works and slowly afterwards, and swap in the freshly rendered thread whenever the status or the latest
   message changed (a staff reply, a ticket resolved or reopened). The server renders and escapes everything;
   no innerHTML of JSON. */
(function () {
  "use strict";
  var live = document.getElementById("ticket-live");
  if (!live) { return; }
  var statusUrl = live.getAttribute("data-status-url");
  var progress = document.getElementById("ticket-progress");
  var words = document.getElementById("ticket-progress-words");
  var fast = 1000;
  var slow = parseInt(live.getAttribute("data-idle-poll-ms") || "10000", 10);
  var timer = null;
  var known = {
    status: live.getAttribute("data-status"),
    last: live.getAttribute("data-last-message-id") || ""
  };
  var swapped = ["ticket-badge", "thread", "ticket-actions"];

  function busy(element) {
    // Never replace a form the customer is filling in (an open "Not satisfied" box, a focused field).
    return element.contains(document.activeElement) || element.querySelector("details[open]") !== null;
  }

  function refreshParts() {
    return fetch(window.location.pathname, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html");
        swapped.forEach(function (id) {
          var current = document.getElementById(id);
          var next = fresh.getElementById(id);
          if (current && next && !(id === "ticket-actions" && busy(current))) {
            current.replaceWith(document.importNode(next, true));
          }
        });
      });
  }

  function show(state) {
    if (words && state.words) { words.textContent = state.words; }
    if (progress) { progress.classList.toggle("d-none", !state.working); }
  }

  function changed(state) {
    var last = state.last_message_id === null ? "" : String(state.last_message_id);
    var differs = state.status !== known.status || last !== known.last;
    known.status = state.status;
    known.last = last;
    return differs;
  }

  function poll() {
    fetch(statusUrl, { credentials: "same-origin", headers: { "Accept": "application/json" }, cache: "no-store" })
      .then(function (response) { return response.ok ? response.json() : Promise.reject(response.status); })
      .then(function (state) {
        show(state);
        live.setAttribute("data-working", state.working ? "true" : "false");
        live.setAttribute("data-status", state.status);
        var next = state.working ? fast : slow;
        if (changed(state) && !state.working) {
          return refreshParts().then(function () { schedule(next); });
        }
        schedule(next);
        return null;
      })
      .catch(function () { schedule(slow * 2); });
  }

  function schedule(ms) {
    window.clearTimeout(timer);
    timer = window.setTimeout(poll, ms);
  }

  schedule(live.getAttribute("data-working") === "true" ? fast : slow);
})();
