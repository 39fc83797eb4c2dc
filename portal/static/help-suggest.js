// New-ticket form: while the customer types, show the help articles that best match (debounced).
(function () {
  "use strict";
  var form = document.querySelector("form[data-suggest-url]");
  if (!form) return;
  var subject = form.querySelector("#subject");
  var message = form.querySelector("#message");
  var box = document.getElementById("help-suggestions-box");
  var list = document.getElementById("help-suggestions");
  var timer = null;
  var lastQuery = "";

  function render(articles) {
    list.textContent = "";
    articles.forEach(function (a) {
      var item = document.createElement("li");
      item.className = "mb-1";
      var link = document.createElement("a");
      link.href = a.url;
      link.textContent = a.title;
      link.className = "fw-semibold help-suggestion";
      var snippet = document.createElement("div");
      snippet.className = "text-muted";
      snippet.textContent = a.snippet;
      item.appendChild(link);
      item.appendChild(snippet);
      list.appendChild(item);
    });
    box.hidden = articles.length === 0;
  }

  function lookUp() {
    var query = ((subject ? subject.value : "") + " " + (message ? message.value : "")).trim();
    if (query === lastQuery) return;
    lastQuery = query;
    if (query.length < 3) { render([]); return; }
    fetch(form.dataset.suggestUrl + "?q=" + encodeURIComponent(query.slice(0, 500)),
          { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : { articles: [] }; })
      .then(function (data) { if (query === lastQuery) render(data.articles || []); })
      .catch(function () { /* suggestions are a convenience; the form works without them */ });
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(lookUp, 350);
  }
  [subject, message].forEach(function (field) { if (field) field.addEventListener("input", schedule); });
})();
