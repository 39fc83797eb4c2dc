/* The reply box's canned-reply picker on a desk ticket: search the staff member's own and the shared
   replies (filled in for this ticket by the server) and insert one at the cursor in the reply box, where
   it is edited and sent like any reply. Text goes in as text (textContent, textarea value): no innerHTML. */
(function () {
  "use strict";
  var picker = document.getElementById("canned-picker");
  var box = document.getElementById("reply-body");
  if (!picker || !box) { return; }
  var search = document.getElementById("canned-search");
  var results = document.getElementById("canned-results");
  var url = picker.getAttribute("data-url");
  var timer = null;
  var asked = 0;

  function insert(text) {
    var start = box.selectionStart || 0;
    var end = box.selectionEnd || 0;
    box.value = box.value.slice(0, start) + text + box.value.slice(end);
    box.focus();
    box.selectionStart = box.selectionEnd = start + text.length;
    box.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function show(replies) {
    results.replaceChildren();
    if (!replies.length) {
      var none = document.createElement("div");
      none.className = "list-group-item text-muted";
      none.textContent = "No canned reply matches.";
      results.appendChild(none);
      return;
    }
    replies.forEach(function (reply) {
      var item = document.createElement("button");
      item.type = "button";
      item.className = "list-group-item list-group-item-action canned-option";
      item.setAttribute("data-canned-id", reply.id);
      var title = document.createElement("strong");
      title.textContent = reply.title + (reply.shared ? " (shared)" : "");
      var preview = document.createElement("div");
      preview.className = "text-muted text-truncate";
      preview.textContent = reply.text;
      item.appendChild(title);
      item.appendChild(preview);
      item.addEventListener("click", function () { insert(reply.text); });
      results.appendChild(item);
    });
  }

  function load() {
    var ticket = ++asked;
    fetch(url + "?q=" + encodeURIComponent(search.value), { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : Promise.reject(response.status); })
      .then(function (data) { if (ticket === asked) { show(data.replies || []); } })
      .catch(function () { results.textContent = "Canned replies could not be loaded."; });
  }

  search.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(load, 200);
  });
  search.addEventListener("keydown", function (event) {
    if (event.key === "Enter") { event.preventDefault(); }  // never submit a form from the search box
  });
  picker.addEventListener("toggle", function () { if (picker.open) { load(); search.focus(); } });
})();
