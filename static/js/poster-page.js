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

  // A logo over its limit is refused here, before it is sent: the rest of the form and the
  // preview stay as they are (htmx, listening for the form's change, never hears of it),
  // and the limit is named next to the field, as the server would name it.
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("input[type=file][data-max-bytes]")) { return; }
    var file = input.files && input.files[0];
    if (!file || file.size <= Number(input.dataset.maxBytes)) { return; }
    event.stopPropagation();
    input.value = "";
    var errors = document.getElementById(input.id + "-errors");
    if (!errors) {
      errors = document.createElement("ul");
      errors.className = "errors";
      errors.id = input.id + "-errors";
      input.insertAdjacentElement("afterend", errors);
    }
    var item = document.createElement("li");
    item.textContent = input.dataset.tooLarge;
    errors.replaceChildren(item);
    input.closest(".field").classList.add("has-error");
    input.setAttribute("aria-invalid", "true");
    var described = (input.getAttribute("aria-describedby") || "").split(" ");
    if (described.indexOf(errors.id) < 0) { described.push(errors.id); }
    input.setAttribute("aria-describedby", described.join(" ").trim());
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
