// The poster page: refresh the list of earlier exports after a download (a download does
// not reload the page). Everything else on the page is hx-* attributes. No inline code.
(function () {
  "use strict";

  // "Download PDF" submits the poster form as it stands, a plain form submit whose answer
  // is the file, so the PDF has exactly what the form shows, also a city typed a moment ago
  // whose save is still on its way. htmx, which sends the form's changes for the preview,
  // must not take this submit over: it never hears of it.
  document.addEventListener("submit", function (event) {
    if (event.submitter && event.submitter.hasAttribute("data-download")) { event.stopPropagation(); }
  }, true);

  function refreshHistory() {
    var history = document.getElementById("export-history");
    if (history) { history.dispatchEvent(new CustomEvent("refresh-history")); }
  }
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("[data-export]");
    if (!link) { return; }
    // The file is rendered and kept before it arrives; look again once it is likely done.
    window.setTimeout(refreshHistory, 2500);
    window.setTimeout(refreshHistory, 8000);
  });
})();
