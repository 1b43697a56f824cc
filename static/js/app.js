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
  // A field still holding what the server sent (empty, or the wording to change) gets the
  // saved text back; a form folded into <details> opens to show it.
  function restoreDrafts(root) {
    root.querySelectorAll("form[data-draft-key]").forEach(function (form) {
      var saved = sessionStorage.getItem(form.dataset.draftKey);
      if (!saved) { return; }
      var values = JSON.parse(saved);
      var restored = false;
      draftFields(form).forEach(function (field) {
        var value = values[field.name];
        if (value && value !== field.value && field.value === field.defaultValue) {
          field.value = value;
          restored = true;
        }
      });
      var fold = form.closest("details");
      if (restored && fold) { fold.open = true; }
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
  // The facilitator moved on while someone was typing: carry the unsent text into the new
  // question's form and say so, rather than leaving it behind under the old question.
  var carried = null;
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    if (!target || target.id !== "phone-stage") { return; }
    var form = target.querySelector("form.answer-form[data-draft-key]");
    carried = null;
    if (!form || event.detail.requestConfig.elt === form) { return; }
    var values = {};
    var typed = false;
    draftFields(form).forEach(function (field) {
      values[field.name] = field.value;
      typed = typed || field.value.trim() !== "";
    });
    if (typed) { carried = { key: form.dataset.draftKey, values: values }; }
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    if (!carried || event.detail.target.id !== "phone-stage") { return; }
    var from = carried;
    carried = null;
    var stage = document.getElementById("phone-stage");  // outerHTML: the target is gone
    var form = stage && stage.querySelector("form.answer-form[data-draft-key]");
    if (!form || form.dataset.draftKey === from.key) { return; }
    var fields = Array.prototype.slice.call(draftFields(form));
    if (fields.some(function (field) { return field.value !== ""; })) { return; }
    fields.forEach(function (field) { field.value = from.values[field.name] || ""; });
    sessionStorage.setItem(form.dataset.draftKey, JSON.stringify(from.values));
    sessionStorage.removeItem(from.key);
    var box = stage.querySelector(".status");
    if (box) {
      var message = document.createElement("p");
      message.className = "alert alert-info";
      message.textContent = form.dataset.movedNotice;
      box.replaceChildren(message);
    }
  });
  function reportNotSent(event) {
    var form = event.detail.elt;
    var stage = form.closest && form.closest("section");
    var box = stage && (stage.querySelector(":scope > .status") || stage.querySelector(".status"));
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

  // Timers: count down from the server's data-seconds-left, measured from when each timer
  // arrived (so a wrong clock on the phone or projector does not matter).
  function startTimers(root) {
    var found = root.matches && root.matches(".timer[data-seconds-left]") ? [root] : [];
    root.querySelectorAll(".timer[data-seconds-left]").forEach(function (el) { found.push(el); });
    found.forEach(function (el) {
      if (el.credoStart) { return; }
      el.credoStart = Date.now();
      el.credoSeconds = parseInt(el.dataset.secondsLeft, 10) || 0;
      el.credoDone = el.credoSeconds <= 0;  // arrived already at zero: no signal, no refetch
    });
  }
  function showTime(el, left) {
    var digits = el.querySelector(".timer-digits") || el;
    var seconds = left % 60;
    digits.textContent = Math.floor(left / 60) + ":" + (seconds < 10 ? "0" : "") + seconds;
    el.classList.toggle("soon", left > 0 && left <= 10);
    el.classList.toggle("ended", left === 0);
  }
  var audio = null;
  function chime() {
    try {
      var Context = window.AudioContext || window.webkitAudioContext;
      if (!Context) { return; }
      audio = audio || new Context();
      if (audio.state === "suspended") { audio.resume().catch(function () {}); }
      [523.25, 783.99].forEach(function (pitch, index) {
        var start = audio.currentTime + index * 0.35;
        var tone = audio.createOscillator();
        var gain = audio.createGain();
        tone.type = "sine";
        tone.frequency.value = pitch;
        gain.gain.setValueAtTime(0.0001, start);
        gain.gain.exponentialRampToValueAtTime(0.18, start + 0.05);
        gain.gain.exponentialRampToValueAtTime(0.0001, start + 1.4);
        tone.connect(gain).connect(audio.destination);
        tone.start(start);
        tone.stop(start + 1.5);
      });
    } catch (ignored) { /* no sound is fine */ }
  }
  function signalEnd() {
    if (document.body.classList.contains("screen")) {
      chime();
    } else if (navigator.vibrate) {
      try { navigator.vibrate([120, 80, 120]); } catch (ignored) { /* not allowed */ }
    }
    document.body.dispatchEvent(new CustomEvent("timer-ended"));
  }
  function tick() {
    var ended = false;
    document.querySelectorAll(".timer[data-seconds-left]").forEach(function (el) {
      if (!el.credoStart) { startTimers(el); }
      var elapsed = Math.floor((Date.now() - el.credoStart) / 1000);
      var left = Math.max(0, el.credoSeconds - elapsed);
      showTime(el, left);
      if (left === 0 && !el.credoDone) {
        el.credoDone = true;
        ended = true;
      }
    });
    if (ended) { signalEnd(); }
  }
  // Browsers let a page make sound only after a click or a key: the first one unlocks it.
  function unlockAudio() {
    if (!document.body.classList.contains("screen")) { return; }
    try {
      var Context = window.AudioContext || window.webkitAudioContext;
      audio = audio || (Context && new Context());
      if (audio && audio.state === "suspended") { audio.resume().catch(function () {}); }
    } catch (ignored) { /* no sound is fine */ }
  }
  document.addEventListener("pointerdown", unlockAudio, { once: true });
  document.addEventListener("keydown", unlockAudio, { once: true });
  document.addEventListener("htmx:load", function (event) { startTimers(event.detail.elt); });
  document.addEventListener("DOMContentLoaded", function () {
    startTimers(document);
    window.setInterval(tick, 1000);
  });

  // The projector cannot scroll. Long texts (drafts, the wording a round decides) step their type down through the
  // classes fit-0 … fit-4 (4.5vh at the smallest) until they fit their box; what still
  // does not fit fades out (.overflows).
  var FIT_STEPS = 5;
  function setFitStep(box, step) {
    for (var i = 0; i < FIT_STEPS; i++) { box.classList.toggle("fit-" + i, i === step); }
  }
  function fits(box) {
    return box.scrollHeight <= box.clientHeight + 1 && box.scrollWidth <= box.clientWidth + 1;
  }
  function shrinkTexts() {
    document.querySelectorAll("[data-shrink]").forEach(function (box) {
      var step = 0;
      setFitStep(box, step);
      while (!fits(box) && step < FIT_STEPS - 1) { setFitStep(box, ++step); }
      box.classList.toggle("overflows", !fits(box));
    });
  }
  // Then hide the list items that would be cut off at the bottom (newest answers and top
  // results come first, so what goes is the least important).
  function fitLists() {
    if (!document.body.classList.contains("screen")) { return; }
    shrinkTexts();
    document.querySelectorAll("[data-fit]").forEach(function (list) {
      var items = Array.prototype.slice.call(list.children);
      items.forEach(function (item) { item.classList.remove("does-not-fit"); });
      var bottom = list.getBoundingClientRect().bottom + 1;
      items.forEach(function (item) {
        if (item.getBoundingClientRect().bottom > bottom) { item.classList.add("does-not-fit"); }
      });
    });
  }
  document.addEventListener("htmx:afterSettle", fitLists);
  window.addEventListener("resize", fitLists);
  document.addEventListener("DOMContentLoaded", function () {
    fitLists();
    if (document.fonts && document.fonts.ready) { document.fonts.ready.then(fitLists); }
  });

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

// The projector: clicker keys move the stages (when this browser is also the facilitator's),
// B or . blanks the screen, F goes full screen, ? shows the keys. Single-character
// shortcuts can be switched off (WCAG 2.1.4); the laptop is kept awake while the screen shows.
(function () {
  "use strict";
  if (!document.body || !document.body.classList.contains("screen")) { return; }
  var storageKey = "credo:single-key-shortcuts";
  var help = document.getElementById("screen-help");
  var blackout = document.querySelector(".blackout");

  function shortcutsOn() { return localStorage.getItem(storageKey) !== "off"; }
  function showShortcutState() {
    var state = help && help.querySelector(".shortcut-state");
    var toggle = help && help.querySelector("[data-screen-action=toggle-shortcuts]");
    var key = shortcutsOn() ? "on" : "off";
    if (state) { state.textContent = state.dataset[key]; }
    if (toggle) { toggle.textContent = toggle.dataset[key]; }
  }
  function step(direction) {
    var form = document.getElementById("screen-" + direction);
    if (form && window.htmx) { htmx.ajax("POST", form.action, { source: form, swap: "none" }); }
  }
  function toggleBlank() { if (blackout) { blackout.hidden = !blackout.hidden; } }
  function fullscreen() {
    if (document.fullscreenElement) { document.exitFullscreen(); }
    else if (document.documentElement.requestFullscreen) {
      document.documentElement.requestFullscreen().catch(function () {});
    }
  }
  function openHelp() { if (help && !help.open) { showShortcutState(); help.showModal(); } }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (help && help.open) { return; }
    var key = event.key;
    if (key === "ArrowRight" || key === "PageDown" || key === " ") { step("next"); }
    else if (key === "ArrowLeft" || key === "PageUp") { step("previous"); }
    else if (!shortcutsOn()) { return; }
    else if (key === "b" || key === "B" || key === ".") { toggleBlank(); }
    else if (key === "f" || key === "F") { fullscreen(); }
    else if (key === "?") { openHelp(); }
    else { return; }
    event.preventDefault();
  });
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-screen-action]");
    if (blackout && !blackout.hidden && event.target === blackout) { toggleBlank(); return; }
    if (!button) { return; }
    var action = button.dataset.screenAction;
    if (action === "help") { openHelp(); }
    else if (action === "close-help") { help.close(); }
    else if (action === "blank") { help.close(); toggleBlank(); }
    else if (action === "fullscreen") { help.close(); fullscreen(); }
    else if (action === "toggle-shortcuts") {
      localStorage.setItem(storageKey, shortcutsOn() ? "off" : "on");
      showShortcutState();
    }
  });

  // Keep the laptop awake while the screen is shown (where the browser allows it).
  var lock = null;
  function keepAwake() {
    if (!navigator.wakeLock || document.visibilityState !== "visible") { return; }
    navigator.wakeLock.request("screen").then(function (sentinel) { lock = sentinel; }).catch(function () {});
  }
  document.addEventListener("visibilitychange", keepAwake);
  keepAwake();
  window.credoWakeLock = function () { return lock; };
})();
