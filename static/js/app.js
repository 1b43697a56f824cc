// Credo's only script: what hx-* attributes cannot say. No inline code (strict CSP).
(function () {
  "use strict";

  var statusBox = function () { return document.getElementById("connection-status"); };
  var wasDisconnected = false;

  // Live connection: show "Reconnecting…" while the stream is down, catch up when back.
  document.addEventListener("htmx:sseError", function () {
    var box = statusBox();
    if (box) { box.hidden = false; }
    wasDisconnected = true;
  });
  document.addEventListener("htmx:sseOpen", function () {
    var box = statusBox();
    if (box) { box.hidden = true; }
    if (wasDisconnected) {
      wasDisconnected = false;
      document.body.dispatchEvent(new CustomEvent("live-refresh"));
    }
  });

  // Drafts: typed text survives a reload or a dropped request (sessionStorage only).
  function draftFields(form) {
    return form.querySelectorAll("textarea.draft, input.draft");
  }
  function restoreDrafts(root) {
    root.querySelectorAll("form[data-draft-key]").forEach(function (form) {
      var saved = sessionStorage.getItem(form.dataset.draftKey);
      if (!saved) { return; }
      var values = JSON.parse(saved);
      draftFields(form).forEach(function (field) {
        if (!field.value && values[field.name]) { field.value = values[field.name]; }
      });
    });
  }
  document.addEventListener("input", function (event) {
    var form = event.target.closest && event.target.closest("form[data-draft-key]");
    if (!form) { return; }
    var values = {};
    draftFields(form).forEach(function (field) { values[field.name] = field.value; });
    sessionStorage.setItem(form.dataset.draftKey, JSON.stringify(values));
  });
  // Clear a sent draft before the fresh form is swapped in (htmx:load would restore it).
  document.addEventListener("htmx:beforeSwap", function (event) {
    var source = event.detail.requestConfig && event.detail.requestConfig.elt;
    if (source && source.matches && source.matches("form[data-draft-key]") &&
        event.detail.xhr.status < 300) {
      sessionStorage.removeItem(source.dataset.draftKey);
    }
  });
  function reportNotSent(event) {
    var form = event.detail.elt;
    var stage = form.closest && form.closest("section");
    var box = stage && stage.querySelector(".status");
    if (box) {
      var message = document.createElement("p");
      message.className = "alert alert-error";
      message.textContent = document.body.dataset.notSent || "Not sent. Your text is kept.";
      box.replaceChildren(message);
    }
  }
  document.addEventListener("htmx:sendError", reportNotSent);
  document.addEventListener("htmx:timeout", reportNotSent);
  document.addEventListener("htmx:load", function (event) { restoreDrafts(event.detail.elt); });
  document.addEventListener("DOMContentLoaded", function () { restoreDrafts(document); });

  // Copy buttons next to read-only links.
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-copy]");
    if (!button) { return; }
    var field = document.querySelector(button.dataset.copy);
    field.select();
    if (navigator.clipboard) {
      navigator.clipboard.writeText(field.value).catch(function () {});
    }
  });
})();
