// A "Print" button (data-print-page) opens the browser's print dialog; a static file, as the CSP allows no inline handlers.
(function () {
  "use strict";
  document.querySelectorAll("[data-print-page]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
})();
