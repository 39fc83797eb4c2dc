/* The desk queue refreshes itself: every data-refresh-ms it fetches the same URL (filters, sort and
   page kept) and swaps in the freshly rendered counts and list. It waits while the tab is hidden,
   while the filter or bulk form has focus, or while a ticket is ticked for a bulk change, so nobody
   loses what they were choosing. The server renders and escapes everything; nothing here builds HTML. */
(function () {
  "use strict";
  var live = document.getElementById("queue-live");
  if (!live) { return; }
  var every = parseInt(live.getAttribute("data-refresh-ms") || "30000", 10);
  var swapped = ["queue-counts", "queue-live"];

  function busy() {
    var form = document.getElementById("queue-filters");
    var bulk = document.getElementById("bulk-form");
    var picked = document.querySelector("input[form=bulk-form]:checked") !== null;  // ticks survive
    return document.hidden || picked || (form !== null && form.contains(document.activeElement)) ||
      (bulk !== null && bulk.contains(document.activeElement));
  }

  function refresh() {
    if (busy()) { return Promise.resolve(); }
    return fetch(window.location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html");
        swapped.forEach(function (id) {
          var now = document.getElementById(id);
          var next = fresh.getElementById(id);
          if (now && next) { now.replaceWith(document.importNode(next, true)); }
        });
      })
      .catch(function () { /* offline or logged out: try again next time */ });
  }

  window.setInterval(refresh, every);
})();
