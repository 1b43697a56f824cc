// The poster page: refresh the list of earlier exports after a download (a download does
// not reload the page). Everything else on the page is hx-* attributes. No inline code.
(function () {
  "use strict";

  function refreshHistory() {
    var history = document.getElementById("export-history");
    if (history) { history.dispatchEvent(new CustomEvent("refresh-history")); }
  }
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-export]");
    if (!link) { return; }
    // The file is rendered and kept before it arrives; look again once it is likely done.
    window.setTimeout(refreshHistory, 2500);
    window.setTimeout(refreshHistory, 8000);
  });
})();
