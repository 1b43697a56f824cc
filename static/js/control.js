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
      post(dragged.dataset.themeUrl, { "answer-theme": target.dataset.theme });
    }
  });

  // A live refresh must not pull a form from under the facilitator's fingers: while focus
  // is inside a live block (or one of its confirmations is open), hold the refresh and run
  // it when focus leaves.
  var held = [];
  function liveBlock(elt) {
    return elt && (elt.id === "control-board" || elt.hasAttribute("data-hold-while-editing")) ? elt : null;
  }
  // Nor a form whose answer is on its way: the answer redraws the panels it changed, which
  // htmx finds from that form, so the form must still be on the page when the answer comes.
  var posting = [];
  document.addEventListener("htmx:beforeRequest", function (event) {
    var config = event.detail.requestConfig;
    if (config && config.verb === "post") { posting.push(event.detail.elt); }
  });
  function sending(block) {
    posting = posting.filter(function (elt) { return elt.isConnected && elt.classList.contains("htmx-request"); });
    return posting.some(function (elt) { return block.contains(elt); });
  }
  function busy(block) {
    var active = document.activeElement;
    return (block.contains(active) && active.matches("select, input, textarea, summary")) ||
      block.querySelector("details.confirm[open], details.revise[open], details.override[open]") ||
      sending(block);
  }
  document.addEventListener("htmx:confirm", function (event) {
    var block = liveBlock(event.detail.elt);
    if (!block || !busy(block)) { return; }
    event.preventDefault();
    if (held.indexOf(block) < 0) { held.push(block); }
  });
  // (A change that arrives while a block's refresh is on its way: app.js fetches again.)
  function refreshEvent(block) { return block.id === "control-board" ? "live-refresh-board" : "live-refresh-block"; }

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
  document.addEventListener("htmx:afterSettle", function () { setTimeout(release, 0); });
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
  function keepOpen(root) {
    var found = root.matches && root.matches("details[data-keep-open][id]") ? [root] : [];
    if (root.querySelectorAll) { found = found.concat(Array.prototype.slice.call(root.querySelectorAll("details[data-keep-open][id]"))); }
    found.forEach(function (details) {
      if (Object.prototype.hasOwnProperty.call(kept, details.id)) { details.open = kept[details.id]; }
    });
  }
  document.addEventListener("htmx:load", function (event) { keepOpen(event.detail.elt); });

  // After an action the page stays where the facilitator was: the panels it changed (or the
  // whole controls) are redrawn, so the control that was used (found again by its id, or by its form's action
  // and its place in that form) gets focus back and stays at the same height on screen.
  // A refusal is drawn once at the top (where a page without scripts starts); here it
  // moves next to the form that caused it.
  var FOCUSABLE = "button, input, select, textarea, summary, a[href]";
  var place = null;
  function describe(el) {
    if (!el || el === document.body || !el.closest) { return null; }
    if (el.id) { return { id: el.id }; }
    if (el.tagName === "FORM") { return el.getAttribute("action") ? { action: el.getAttribute("action") } : null; }
    var form = el.form || el.closest("form");
    if (form && form.getAttribute("action")) {
      var same = Array.prototype.slice.call(form.querySelectorAll(el.tagName));
      return { action: form.getAttribute("action"), tag: el.tagName, index: same.indexOf(el) };
    }
    var holder = el.parentElement && el.parentElement.closest("[id]");
    if (!holder) { return null; }
    var all = Array.prototype.slice.call(holder.querySelectorAll(FOCUSABLE));
    return { within: holder.id, index: all.indexOf(el) };
  }
  function formWithAction(action) {
    var forms = document.querySelectorAll("#control-main form[action]");
    for (var i = 0; i < forms.length; i++) {
      if (forms[i].getAttribute("action") === action) { return forms[i]; }
    }
    return null;
  }
  function find(what) {
    if (!what) { return null; }
    if (what.id) { return document.getElementById(what.id); }
    if (what.action) {
      var form = formWithAction(what.action);
      if (!form || !what.tag) { return form; }
      return form.querySelectorAll(what.tag)[what.index] || null;
    }
    var holder = document.getElementById(what.within);
    return holder && (holder.querySelectorAll(FOCUSABLE)[what.index] || null);
  }
  // The same control after a redraw, or its neighbour: a switch's form changes its action
  // (lock → unlock), so fall back to the control at the same place in the same section.
  function findAgain(saved) {
    return find(saved.control) || find(saved.neighbour);
  }
  function neighbour(el) {
    var holder = el && el.parentElement && el.parentElement.closest("[id]");
    if (!holder) { return null; }
    var all = Array.prototype.slice.call(holder.querySelectorAll(FOCUSABLE));
    return { within: holder.id, index: all.indexOf(el) };
  }
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    var config = event.detail.requestConfig;
    place = null;
    if (!target || target.id !== "control-main" || !config || config.verb === "get") { return; }
    // The answer says whether it refuses again; an earlier refusal, placed beside its form
    // in a panel this answer may not redraw, goes.
    target.querySelectorAll("[data-error-for]").forEach(function (box) { box.remove(); });
    var active = document.activeElement;
    var source = config.elt && config.elt.closest ? config.elt : null;
    var anchor = active && active !== document.body && target.contains(active) ? active : source;
    place = {
      y: window.scrollY,
      control: describe(anchor),
      neighbour: neighbour(anchor),
      focused: anchor === active,
      top: anchor && target.contains(anchor) ? box(anchor).getBoundingClientRect().top : null,
    };
  });
  // A form's top stays put while its inside changes (an error under a field, "Saved").
  function box(el) { return (el.closest && el.closest("form")) || el; }
  function placeRefusal() {
    var box = document.querySelector("#control-main [data-error-for]");
    if (!box) { return null; }
    var form = formWithAction(box.dataset.errorFor);
    if (!form) { return null; }
    if (form.classList.contains("inline-form")) {
      form.insertAdjacentElement("afterend", box);
    } else {
      form.appendChild(box);
    }
    box.classList.add("form-alert");
    // What the form already says beside its fields is not said twice.
    var shown = Array.prototype.map.call(form.querySelectorAll(".errors li"), function (li) {
      return li.textContent.trim();
    });
    var items = box.querySelectorAll("li");
    var repeated = Array.prototype.filter.call(items, function (li) {
      return shown.indexOf(li.textContent.trim()) >= 0;
    });
    if (items.length && repeated.length === items.length) { box.classList.add("visually-hidden"); }
    return form;
  }
  document.addEventListener("htmx:afterSwap", function (event) {
    // (An action that changed a few panels swaps each of them first, then ends here.)
    if (!place || !event.detail.elt || event.detail.elt.id !== "control-main") { return; }
    var saved = place;
    place = null;
    keepOpen(event.detail.elt);  // before measuring: the control may sit in a fold
    var refusedAt = placeRefusal();
    var control = findAgain(saved);
    if (control && saved.top !== null) {
      window.scrollTo(window.scrollX, window.scrollY + box(control).getBoundingClientRect().top - saved.top);
    } else {
      window.scrollTo(window.scrollX, saved.y);
    }
    var invalid = refusedAt && refusedAt.querySelector("[aria-invalid='true']");
    var focus = invalid || (saved.focused ? control : null);
    // A panel the answer swapped alone may already have put focus where it says (autofocus).
    var chosen = document.activeElement && document.activeElement.hasAttribute("autofocus");
    if (focus && document.activeElement !== focus && (invalid || !chosen)) { focus.focus({ preventScroll: true }); }
  });

  // A live refresh of a panel that holds the focus (the button just pressed, redrawn by its
  // answer, then again by the stream's news of the same change) gives it back to that control.
  var refocus = null;
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    var config = event.detail.requestConfig;
    var active = document.activeElement;
    refocus = null;
    if (!target || !config || config.verb !== "get" || !active || active === document.body ||
        !target.contains(active)) { return; }
    refocus = { control: describe(active), neighbour: neighbour(active) };
  });
  document.addEventListener("htmx:afterSwap", function () {
    var saved = refocus;
    refocus = null;
    var control = saved && findAgain(saved);
    if (control && document.activeElement !== control) { control.focus({ preventScroll: true }); }
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
