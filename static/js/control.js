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

  // A live refresh must not pull a form from under the facilitator's fingers: while focus
  // is inside a live block (or one of its confirmations is open), hold the refresh and run
  // it when focus leaves.
  var held = [];
  function liveBlock(elt) {
    return elt && (elt.id === "control-board" || elt.hasAttribute("data-hold-while-editing")) ? elt : null;
  }
  function busy(block) {
    var active = document.activeElement;
    return (block.contains(active) && active.matches("select, input, textarea, summary")) ||
      block.querySelector("details.confirm[open], details.revise[open], details.override[open]");
  }
  document.addEventListener("htmx:confirm", function (event) {
    var block = liveBlock(event.detail.elt);
    if (!block || !busy(block)) { return; }
    event.preventDefault();
    if (held.indexOf(block) < 0) { held.push(block); }
  });
  // A change that arrives while a block's refresh is on its way needs one more refresh:
  // htmx queues it on the old element, which the answer then replaces, and drops it.
  var loading = [];
  var again = {};
  function refreshEvent(block) { return block.id === "control-board" ? "live-refresh-board" : "live-refresh-block"; }
  document.addEventListener("htmx:beforeRequest", function (event) {
    var block = liveBlock(event.detail.elt);
    if (block && loading.indexOf(block) < 0) { loading.push(block); }
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var at = loading.indexOf(event.detail.elt);
    if (at >= 0) { loading.splice(at, 1); }
  });
  document.addEventListener("htmx:confirm", function (event) {
    var block = liveBlock(event.detail.elt);
    if (block && block.id && loading.indexOf(block) >= 0) { again[block.id] = true; }
  });
  document.addEventListener("htmx:load", function (event) {
    var block = liveBlock(event.detail.elt);
    if (!block || !again[block.id]) { return; }
    delete again[block.id];
    htmx.trigger(block, refreshEvent(block));
  });

  // A refresh already on its way when the facilitator started editing is held too.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var block = liveBlock(event.detail.target);
    var config = event.detail.requestConfig;
    if (!block || !config || config.verb !== "get" || !busy(block)) { return; }
    event.detail.shouldSwap = false;
    if (held.indexOf(block) < 0) { held.push(block); }
  });
  function release() {
    held.slice().forEach(function (block) {
      if (!document.body.contains(block)) { held.splice(held.indexOf(block), 1); return; }
      if (busy(block)) { return; }
      held.splice(held.indexOf(block), 1);
      htmx.trigger(block, refreshEvent(block));
    });
  }
  document.addEventListener("focusout", function () { setTimeout(release, 0); });
  document.addEventListener("toggle", function () { setTimeout(release, 0); }, true);

  // The statement builder: an answer's "to … / for … / by …" buttons fill that part.
  function showInsertButtons(root) {
    if (!document.getElementById("builder-form")) { return; }
    root.querySelectorAll("button.insert[hidden]").forEach(function (button) { button.hidden = false; });
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button[data-insert-slot]");
    if (!button) { return; }
    var field = document.getElementById(button.dataset.insertSlot);
    if (!field) { return; }
    field.value = button.dataset.insertText.trim().replace(/[.!]+$/, "");
    field.dispatchEvent(new Event("input", { bubbles: true }));
    field.focus();
  });
  document.addEventListener("htmx:load", function (event) { showInsertButtons(event.detail.elt); });
  document.addEventListener("DOMContentLoaded", function () { showInsertButtons(document); });

  // Folded tools (themes, frequent words, "show all answers") stay as the facilitator left
  // them when a live refresh or an action redraws the page around them.
  var kept = {};
  document.addEventListener("click", function (event) {
    var summary = event.target.closest && event.target.closest("details[data-keep-open][id] > summary");
    if (!summary) { return; }
    var details = summary.parentElement;
    setTimeout(function () { kept[details.id] = details.open; }, 0);
  });
  document.addEventListener("htmx:load", function (event) {
    var root = event.detail.elt;
    var found = root.matches && root.matches("details[data-keep-open][id]") ? [root] : [];
    if (root.querySelectorAll) { found = found.concat(Array.prototype.slice.call(root.querySelectorAll("details[data-keep-open][id]"))); }
    found.forEach(function (details) {
      if (Object.prototype.hasOwnProperty.call(kept, details.id)) { details.open = kept[details.id]; }
    });
  });

  // The list of all stages is a menu: Escape or a click elsewhere closes it.
  function closeStageMenu(focus) {
    var menu = document.querySelector("details.stage-menu[open]");
    if (!menu) { return; }
    menu.open = false;
    if (focus) { menu.querySelector("summary").focus(); }
  }
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && document.querySelector("details.stage-menu[open]")) { closeStageMenu(true); }
  });
  document.addEventListener("click", function (event) {
    if (!(event.target.closest && event.target.closest("details.stage-menu"))) { closeStageMenu(false); }
  });
})();
