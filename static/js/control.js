// The facilitator's board: drag an answer onto another to merge, onto a theme to group.
// Every action also has a plain form (Edit, merge, theme…), so the keyboard does it all too.
(function () {
  "use strict";

  var dragged = null;

  function post(url, values) {
    var main = document.getElementById("control-main");
    htmx.ajax("POST", url, { source: main, target: "#control-main", values: values });
  }
  function dropTarget(node) {
    return node.closest && (node.closest(".answer-card") || node.closest("[data-theme]"));
  }

  document.addEventListener("dragstart", function (event) {
    var card = event.target.closest && event.target.closest(".answer-card[data-card]");
    if (!card) { return; }
    dragged = card;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.dataset.card);
  });
  document.addEventListener("dragover", function (event) {
    var target = dragged && dropTarget(event.target);
    if (!target || target === dragged) { return; }
    event.preventDefault();
    document.querySelectorAll(".drop-target").forEach(function (el) { el.classList.remove("drop-target"); });
    target.classList.add("drop-target");
  });
  document.addEventListener("dragend", function () {
    dragged = null;
    document.querySelectorAll(".drop-target").forEach(function (el) { el.classList.remove("drop-target"); });
  });
  document.addEventListener("drop", function (event) {
    var target = dragged && dropTarget(event.target);
    if (!target || target === dragged) { return; }
    event.preventDefault();
    if (target.matches(".answer-card")) {
      post(dragged.dataset.mergeUrl, { target: target.dataset.card });
    } else {
      post(dragged.dataset.themeUrl, { "card-theme": target.dataset.theme });
    }
  });

  // A live refresh must not pull a form from under the facilitator's fingers:
  // while focus is inside the board, hold the refresh and run it when focus leaves.
  var pending = false;
  document.addEventListener("htmx:confirm", function (event) {
    var board = document.getElementById("control-board");
    if (event.detail.elt !== board || !board.contains(document.activeElement)) { return; }
    if (document.activeElement.matches("select, input, textarea, summary") ||
        board.querySelector("details.confirm[open]")) {
      event.preventDefault();
      pending = true;
    }
  });
  document.addEventListener("focusout", function () {
    var board = document.getElementById("control-board");
    if (!pending || !board) { return; }
    setTimeout(function () {
      if (!board.contains(document.activeElement) && !board.querySelector("details.confirm[open]")) {
        pending = false;
        htmx.trigger(board, "live-refresh-board");
      }
    }, 0);
  });
})();
