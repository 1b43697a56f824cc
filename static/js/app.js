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

  // A live block (hx-get, refetched on the stream's "sse:…" events) that hears of a change
  // while its own refresh is on its way fetches once more when the answer is in. htmx queues
  // that second request on the old element, which the answer replaces (outerHTML), and then
  // drops it, so the newest state would wait for the next change. hx-sync cannot help: its
  // queue belongs to the replaced element too. (htmx-config's "defaultSettleDelay": 0 makes
  // the new element live in the same task as the swap, so no event falls in between.)
  var refreshing = {};  // block id → the element whose refresh is on its way
  var again = {};       // block id → a change came meanwhile
  function liveBlock(elt) {
    var trigger = elt && elt.id && elt.getAttribute && elt.getAttribute("hx-trigger");
    return trigger && /sse:|live-refresh/.test(trigger) && elt.hasAttribute("hx-get") ? elt : null;
  }
  document.addEventListener("htmx:beforeRequest", function (event) {
    var block = liveBlock(event.detail.elt);
    if (block) { refreshing[block.id] = block; }
  });
  document.addEventListener("htmx:confirm", function (event) {
    var block = liveBlock(event.detail.elt);
    if (block && refreshing[block.id] === block) { again[block.id] = true; }
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var block = event.detail.elt;
    if (!block || !block.id || refreshing[block.id] !== block) { return; }
    delete refreshing[block.id];
    delete again[block.id];  // still in place (no swap): htmx sends its queued request itself
  });
  document.addEventListener("htmx:load", function (event) {
    var root = event.detail.elt;
    Object.keys(again).forEach(function (id) {
      var block = liveBlock(document.getElementById(id));
      if (!block || !root.contains(block)) { return; }
      delete again[id];
      htmx.ajax("GET", block.getAttribute("hx-get"), { source: block });
    });
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

// ---------------------------------------------------------------------------------------
// The projector's pages: every item shown in full, fitted first, then paged.
//
// Contract (any list on the screen may use it):
//
//   <ul class="screen-cards" data-pages="screen-cards" data-pages-layout="masonry"
//       data-columns="1 2 3 4" data-fit-min="2.4" data-fit-max="7"
//       data-pages-status="screen-pages-status">
//     <li data-key="c12">…</li> …
//   </ul>
//
// - The container ([data-pages]) needs a box of its own size that does not grow with its
//   content (e.g. `flex: 1; min-height: 0` in a flex column, or a `minmax(0, 1fr)` grid
//   row). Its element children are the items. An item is never cut, clamped or hidden in
//   part: it shows whole, or (on another page) not at all. Name the container in
//   data-pages="…" (its page is kept across live refreshes by that name), and give
//   neither it nor its items an id: the engine styles them through the CSSOM, and htmx
//   would copy an old element's style attribute onto its new twin, which the CSP refuses.
// - Type: the engine sets --fit-size (in vh) on the container, and screen.css gives every
//   [data-pages] `font-size: max(2vh, var(--fit-size))`: items size their text in em, never
//   under 1em. The size is the largest from data-fit-max down to data-fit-min (vh; defaults
//   6 and 2.4; never under 2) at which every item fits, trying each column count of
//   data-columns (default "1"; a count whose columns would be narrower than data-column-em
//   em, default 12, is skipped; an earlier count wins a tie). --fit-columns says the count.
// - Layout, data-pages-layout:
//   "columns"  the engine places the items itself (absolutely, class "pages-placed"): down
//              the first column, then the next, in order; columns on a page are balanced.
//              With data-pages-fill a later item of the same group (up to the next
//              heading) may fill the space at the foot of a column.
//   "masonry"  placed too, each item into the shortest column; an item that does not fit
//              waits for the next page while later ones fill the gaps (no ranking).
//   "flow"     (default) the container's own CSS lays the items out (grid, flex, blocks;
//              var(--fit-columns) if it likes) so that overflow lands below or to the right
//              of the box; the engine only measures. CSS may balance multi-column lists
//              under [data-settled] (set once a page is laid out).
//   For "columns"/"masonry" the gaps come from the container's row-gap and column-gap.
// - On items (all optional): data-key="…" a stable id (default: the text), so a live
//   refresh keeps showing the page that held most of what was shown, its timer running
//   on; data-break="column" starts a column ("columns" layout; dropped when it would cost
//   a page or much type size); data-keep="next" never ends a column (a heading; it also
//   starts a group); data-group-label="…" shown above the item when it opens a page away
//   from its heading (class "opens-page"; screen.css draws it with ::before).
//   On the container ("flow" only): data-page-fit, once it takes pages, shows each page at
//   the largest size its own items fit (a short last page is not left at the smallest).
// - Pages: when nothing fits at data-fit-min, the items are split into pages in their
//   order (the column count with the fewest pages). Items off the page get class
//   "off-page" (visually hidden: screen readers still read every item). The container
//   gets data-page and data-page-count (from 1) and data-fitted-for="<width>x<height>".
//   Each page shows for data-page-seconds, or 10–20 s by the amount of text on it; after
//   the last comes the first. The facilitator's pause and steps (#screen-pages-state:
//   data-paused, data-step, a running sum of steps) apply to every paged container;
//   ↓ and ↑ turn them on this screen alone.
// - Status: the element named by data-pages-status (else a <p class="pages-status"> added
//   after the container) shows the nearest data-pages-label template, "Page {page} of
//   {pages}"; hidden when there is one page, and aria-hidden (a visual device only).
// - It re-fits on load, after fonts load, on resize, when a container's box changes size
//   and after every htmx swap. window.credoPages.refit() re-fits after other changes;
//   window.credoPages.step(n) turns every paged container n pages.
// ---------------------------------------------------------------------------------------
(function () {
  "use strict";
  if (!document.body || !document.body.classList.contains("screen")) { return; }
  var FLOOR = 2;           // vh: nothing in a paged list is smaller (2 % of the height)
  var SIZE_STEP = 0.93;    // each size tried is 7 % below the one before
  var memory = {};         // container id → { keys on the page shown, when it turns }
  var paused = false;
  var stepSeen = null;

  function number(value, fallback) {
    var parsed = parseFloat(value);
    return isNaN(parsed) ? fallback : parsed;
  }
  function containers() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-pages]"));
  }
  function itemsOf(box) {
    return Array.prototype.filter.call(box.children, function (el) {
      return !el.hidden && el.tagName !== "TEMPLATE" && el.tagName !== "SCRIPT";
    });
  }
  function keyOf(item) {
    return item.dataset.key || item.textContent.replace(/\s+/g, " ").trim().slice(0, 160);
  }
  function layoutOf(box) {
    var name = box.dataset.pagesLayout;
    return name === "columns" || name === "masonry" ? name : "flow";
  }
  function setSize(box, size, columns, breaks) {
    box.style.setProperty("--fit-size", size + "vh");
    box.style.setProperty("--fit-columns", String(columns));
    box.classList.toggle("pages-break", Boolean(breaks));
  }

  // --- "flow": the container's CSS lays out; the engine measures where items land ------
  function inside(item, box) {
    var r = item.getBoundingClientRect();
    if (item.getClientRects().length > 1) { return false; }  // split across columns
    if (item.scrollWidth > item.clientWidth + 1) { return false; }
    return r.top >= box.top - 1 && r.bottom <= box.bottom + 1 &&
      r.left >= box.left - 1 && r.right <= box.right + 1;
  }
  function firstOut(box, items, start) {
    items.forEach(function (item, i) { item.classList.toggle("off-page", i < start); });
    var rect = box.getBoundingClientRect();
    for (var i = start; i < items.length; i++) {
      if (!inside(items[i], rect)) { return i; }
    }
    return items.length;
  }
  function range(start, end, oversize) {
    var indices = [];
    for (var i = start; i < end; i++) { indices.push(i); }
    return { indices: indices, oversize: oversize };
  }
  function flowPages(box, items) {
    var pages = [];
    var start = 0;
    while (start < items.length) {
      var out = firstOut(box, items, start);
      pages.push(range(start, Math.max(out, start + 1), out === start));
      start = Math.max(out, start + 1);
    }
    return pages;
  }

  // --- "columns" and "masonry": the engine measures heights and places the items --------
  function measure(box, items, columns) {
    var style = getComputedStyle(box);
    var rowGap = parseFloat(style.rowGap) || 0;
    var columnGap = parseFloat(style.columnGap) || 0;
    var width = (box.clientWidth - columnGap * (columns - 1)) / columns;
    box.classList.add("pages-placed");
    box.style.setProperty("--pages-width", width + "px");
    items.forEach(function (item) {
      item.classList.remove("off-page", "opens-page");
      item.style.left = "0px";
      item.style.top = "0px";
    });
    var heights = items.map(function (item) { return item.getBoundingClientRect().height; });
    var labelled = heights.slice();
    var labels = items.filter(function (item) { return item.dataset.groupLabel; });
    if (labels.length) {
      labels.forEach(function (item) { item.classList.add("opens-page"); });
      items.forEach(function (item, i) {
        if (item.dataset.groupLabel) { labelled[i] = item.getBoundingClientRect().height; }
      });
      labels.forEach(function (item) { item.classList.remove("opens-page"); });
    }
    return { width: width, rowGap: rowGap, columnGap: columnGap, height: box.clientHeight,
             heights: heights, labelled: labelled, columns: columns };
  }
  // One page of m.columns columns of `limit` px from the items waiting (indices, in order):
  // down the first column, then the next. With `fill`, a later item of the same group
  // (up to the next heading) may fill the space an item too tall for it leaves.
  function packColumns(m, items, waiting, limit, breaks, fill) {
    var placed = [];
    var used = {};
    var column = 0;
    var y = 0;          // the bottom of the column's last item
    var empty = true;   // nothing in this column yet
    var pos = 0;
    var starts = function (i) {
      return items[i].dataset.break === "column" || items[i].dataset.keep === "next";
    };
    var put = function (i, top, height, opens) {
      placed.push({ index: i, column: column, top: top, opens: opens, oversize: height > limit + 0.5 });
      used[i] = true;
      y = top + height;
      empty = false;
    };
    while (pos < waiting.length && column < m.columns) {
      var i = waiting[pos];
      if (used[i]) { pos += 1; continue; }
      var item = items[i];
      if (breaks && item.dataset.break === "column" && !empty) {
        column += 1; y = 0; empty = true; continue;
      }
      var opens = !placed.length && Boolean(item.dataset.groupLabel);
      var height = opens ? m.labelled[i] : m.heights[i];
      var need = height;
      var next = waiting[pos + 1];
      if (item.dataset.keep === "next" && next !== undefined) { need += m.rowGap + m.heights[next]; }
      var top = empty ? 0 : y + m.rowGap;
      if (!empty && top + need > limit + 0.5) {
        var filled = false;
        for (var ahead = pos + 1; fill && ahead < waiting.length && !starts(waiting[ahead]); ahead++) {
          var j = waiting[ahead];
          if (!used[j] && top + m.heights[j] <= limit + 0.5) {
            put(j, top, m.heights[j], false);
            filled = true;
            break;
          }
        }
        if (!filled) { column += 1; y = 0; empty = true; }
        continue;
      }
      put(i, top, height, opens);
      pos += 1;
    }
    return {
      indices: placed.map(function (p) { return p.index; }),
      placed: placed,
      rest: waiting.filter(function (i) { return !used[i]; })
    };
  }
  // Each item in order into the shortest column; what does not fit there waits for the
  // next page, and later, shorter items fill the gap (a wall of answers has no ranking).
  function masonryPages(m, items) {
    var pages = [];
    var waiting = items.map(function (item, i) { return i; });
    while (waiting.length) {
      var bottoms = [];
      for (var c = 0; c < m.columns; c++) { bottoms.push(-1); }  // -1: empty
      var placed = [];
      var later = [];
      waiting.forEach(function (i) {
        var column = 0;
        for (var k = 1; k < m.columns; k++) { if (bottoms[k] < bottoms[column]) { column = k; } }
        var top = bottoms[column] < 0 ? 0 : bottoms[column] + m.rowGap;
        var height = m.heights[i];
        if (placed.length && top + height > m.height + 0.5) { later.push(i); return; }
        placed.push({ index: i, column: column, top: top, opens: false, oversize: height > m.height + 0.5 });
        bottoms[column] = top + height;
      });
      pages.push({ indices: placed.map(function (p) { return p.index; }), placed: placed });
      waiting = later;
    }
    return pages;
  }
  function placedPages(box, items, m, breaks) {
    if (layoutOf(box) === "masonry") { return masonryPages(m, items); }
    var fill = box.hasAttribute("data-pages-fill");
    var pages = [];
    var waiting = items.map(function (item, i) { return i; });
    while (waiting.length) {
      var page = packColumns(m, items, waiting, m.height, breaks, fill);
      if (m.columns > 1) { page = balance(m, items, page, breaks, fill); }
      pages.push(page);
      waiting = page.rest;
    }
    return pages;
  }
  // The same items in columns as even as they go: the lowest height that still holds them.
  function balance(m, items, page, breaks, fill) {
    var order = page.indices.slice().sort(function (a, b) { return a - b; });
    var low = 0;
    var high = m.height;
    var best = page;
    for (var round = 0; round < 12 && high - low > 2; round++) {
      var mid = (low + high) / 2;
      var tried = packColumns(m, items, order, mid, breaks, fill);
      if (!tried.rest.length && !tried.placed.some(function (p) { return p.oversize; })) {
        tried.rest = page.rest;
        best = tried;
        high = mid;
      } else {
        low = mid;
      }
    }
    return best;
  }
  function oversized(pages) {
    return pages.some(function (page) {
      return page.oversize || (page.placed && page.placed.some(function (p) { return p.oversize; }));
    });
  }

  // --- choosing the size and the columns ------------------------------------------------
  function paginate(box, items, size, columns, breaks) {
    setSize(box, size, columns, breaks);
    if (layoutOf(box) === "flow") { return { pages: flowPages(box, items) }; }
    var m = measure(box, items, columns);
    return { pages: placedPages(box, items, m, breaks), measured: m };
  }
  function sizesOf(box) {
    var least = Math.max(FLOOR, number(box.dataset.fitMin, 2.4));
    var most = Math.max(least, number(box.dataset.fitMax, 6));
    var sizes = [];
    for (var size = most; size > least + 0.01; size *= SIZE_STEP) {
      sizes.push(Math.round(size * 100) / 100);
    }
    sizes.push(least);
    return sizes;
  }
  function choose(box, items) {
    var sizes = sizesOf(box);
    var least = sizes[sizes.length - 1];
    var unit = window.innerHeight / 100;
    var columnEm = number(box.dataset.columnEm, 12);
    var width = box.clientWidth;
    var counts = (box.dataset.columns || "1").split(/[\s,]+/).map(Number).filter(function (n) {
      return n >= 1;
    });
    if (!counts.length) { counts = [1]; }
    var wideEnough = function (columns, size) { return width / columns >= columnEm * size * unit; };
    var canBreak = layoutOf(box) === "columns" &&
      items.some(function (item) { return item.dataset.break === "column"; });
    var onePage = function (size, columns, breaks) {
      var laid = paginate(box, items, size, columns, breaks);
      return laid.pages.length === 1 && !oversized(laid.pages) ? laid : null;
    };
    var bestOf = function (breaks) {
      var best = null;
      counts.forEach(function (columns, index) {
        var usable = sizes.filter(function (size) { return wideEnough(columns, size); });
        if (!usable.length) {
          if (index > 0) { return; }
          usable = [least];
        }
        if (best && usable[0] <= best.size) { return; }  // it cannot beat what we have
        var last = usable.length - 1;
        if (!onePage(usable[last], columns, breaks)) { return; }
        var found = last;
        var lo = 0;
        var hi = last - 1;
        while (lo <= hi) {
          var mid = (lo + hi) >> 1;
          if (onePage(usable[mid], columns, breaks)) { found = mid; hi = mid - 1; } else { lo = mid + 1; }
        }
        if (!best || usable[found] > best.size + 0.001) {
          best = { size: usable[found], columns: columns, breaks: breaks };
        }
      });
      return best;
    };
    var flowing = bestOf(false);
    var broken = canBreak ? bestOf(true) : null;
    var best = broken && (!flowing || broken.size >= flowing.size * 0.85) ? broken : flowing;
    if (best) {
      var laid = paginate(box, items, best.size, best.columns, best.breaks);
      return { size: best.size, columns: best.columns, breaks: best.breaks, pages: laid.pages, measured: laid.measured };
    }
    // Too much for one page even at the smallest size: pages, as few as possible.
    // An item too tall for the box at any column count is the last resort.
    var fewest = null;
    var score = function (pages) { return (oversized(pages) ? 1000 : 0) + pages.length; };
    [false, true].forEach(function (breaks) {
      if (breaks && !canBreak) { return; }
      counts.forEach(function (columns, index) {
        if (index > 0 && !wideEnough(columns, least)) { return; }
        var tried = paginate(box, items, least, columns, breaks);
        if (!fewest || score(tried.pages) < score(fewest.pages)) {
          fewest = { size: least, columns: columns, breaks: breaks, pages: tried.pages, measured: tried.measured };
        }
      });
    });
    var again = paginate(box, items, fewest.size, fewest.columns, fewest.breaks);
    fewest.pages = again.pages;
    fewest.measured = again.measured;
    return fewest;
  }

  // --- showing a page -------------------------------------------------------------------
  function secondsFor(box, items, page) {
    var fixed = number(box.dataset.pageSeconds, 0);
    if (fixed > 0) { return fixed; }
    var characters = 0;
    page.indices.forEach(function (i) { characters += items[i].textContent.trim().length; });
    return Math.min(20, Math.max(10, 6 + characters / 70));
  }
  function statusOf(box) {
    var named = box.dataset.pagesStatus;
    if (named) { return document.getElementById(named); }
    var next = box.nextElementSibling;
    if (next && next.classList.contains("pages-status") && next.dataset.pagesFor === "auto") {
      return next;
    }
    var made = document.createElement("p");
    made.className = "pages-status";
    made.dataset.pagesFor = "auto";
    made.hidden = true;
    box.after(made);
    return made;
  }
  function showStatus(box) {
    var status = statusOf(box);
    var layout = box.credoPages;
    if (!status || !layout) { return; }
    var count = layout.pages.length;
    var holder = status.closest("[data-pages-label]") || box.closest("[data-pages-label]");
    var template = holder ? holder.dataset.pagesLabel : "{page} / {pages}";
    status.hidden = count < 2;
    status.setAttribute("aria-hidden", "true");  // a visual device: readers get every item
    status.classList.toggle("paused", paused);
    status.textContent = template.replace("{page}", String(layout.page + 1))
      .replace("{pages}", String(count));
  }
  // data-page-fit ("flow" only): once it takes pages, each page is shown at the largest
  // size its own items fit, not all at the size the fullest page needs.
  function pageSizes(box, items, chosen) {
    if (!box.hasAttribute("data-page-fit") || layoutOf(box) !== "flow" || chosen.pages.length < 2) {
      return null;
    }
    var sizes = sizesOf(box);
    var sized = chosen.pages.map(function (page) {
      var own = page.indices.map(function (i) { return items[i]; });
      items.forEach(function (item, i) { item.classList.toggle("off-page", page.indices.indexOf(i) < 0); });
      for (var k = 0; k < sizes.length; k++) {
        setSize(box, sizes[k], chosen.columns, false);
        if (firstOut(box, own, 0) === own.length) { return sizes[k]; }
      }
      return chosen.size;
    });
    setSize(box, chosen.size, chosen.columns, false);
    return sized;
  }
  function showPage(box, page, keepTime) {
    var layout = box.credoPages;
    var count = layout.pages.length;
    layout.page = ((page % count) + count) % count;
    var range = layout.pages[layout.page];
    var m = layout.measured;
    var spots = {};
    var shown = {};
    range.indices.forEach(function (i, n) { shown[i] = n === 0 ? "first" : "on"; });
    if (range.placed) { range.placed.forEach(function (p) { spots[p.index] = p; }); }
    box.removeAttribute("data-settled");
    if (layout.sizes) { setSize(box, layout.sizes[layout.page], layout.columns, false); }
    layout.items.forEach(function (item, i) {
      var on = Boolean(shown[i]);
      item.classList.toggle("off-page", !on);
      var spot = spots[i];
      item.classList.toggle("opens-page", Boolean(on && (spot ? spot.opens :
        shown[i] === "first" && layout.page > 0 && item.dataset.groupLabel)));
      if (m && on && spot) {
        item.style.left = spot.column * (m.width + m.columnGap) + "px";
        item.style.top = spot.top + "px";
      }
    });
    box.dataset.page = String(layout.page + 1);
    box.dataset.pageCount = String(count);
    if (!m) {
      // Balanced columns (CSS, under data-settled) must still hold the page.
      box.setAttribute("data-settled", "");
      var rect = box.getBoundingClientRect();
      if (!range.indices.every(function (i) { return inside(layout.items[i], rect); })) {
        box.removeAttribute("data-settled");
      }
    }
    var keys = [];
    range.indices.forEach(function (i) { keys.push(keyOf(layout.items[i])); });
    // A live refresh keeps the page's time running (answers may arrive every few seconds).
    var remembered = memory[layout.name];
    var turnAt = keepTime && remembered && remembered.turnAt
      ? remembered.turnAt
      : Date.now() + secondsFor(box, layout.items, range) * 1000;
    memory[layout.name] = { keys: keys, turnAt: turnAt };
    showStatus(box);
  }
  function fit(box, index) {
    var items = itemsOf(box);
    var name = box.dataset.pages || "pages-" + index;
    box.credoFitted = box.clientWidth + "x" + box.clientHeight + "@" + window.innerHeight;
    if (!items.length) {
      box.credoPages = { name: name, items: items, pages: [{ indices: [] }], page: 0 };
      box.dataset.page = "1";
      box.dataset.pageCount = "1";
    } else {
      if (layoutOf(box) !== "flow") { box.classList.add("pages-placed"); }
      var chosen = choose(box, items);
      box.credoPages = { name: name, items: items, pages: chosen.pages, page: 0,
                         measured: chosen.measured, columns: chosen.columns,
                         sizes: pageSizes(box, items, chosen) };
      // After a live refresh, show the page that holds most of what was shown before.
      var page = 0;
      var remembered = memory[name];
      if (remembered && chosen.pages.length > 1) {
        var keys = items.map(keyOf);
        var held = chosen.pages.map(function () { return 0; });
        remembered.keys.forEach(function (key) {
          var at = keys.indexOf(key);
          chosen.pages.forEach(function (range, i) { if (range.indices.indexOf(at) >= 0) { held[i] += 1; } });
        });
        held.forEach(function (count, i) { if (count > held[page]) { page = i; } });
      }
      showPage(box, page, true);
    }
    showStatus(box);
    box.dataset.fittedFor = window.innerWidth + "x" + window.innerHeight;
  }
  function refit() {
    containers().forEach(function (box, index) {
      var status = box.dataset.pagesStatus ? null : statusOf(box);
      var wasHidden = status ? status.hidden : null;
      fit(box, index);
      if (status && status.hidden !== wasHidden) { fit(box, index); }  // it took or gave room
    });
  }
  var scheduled = false;
  function refitSoon() {
    if (scheduled) { return; }
    scheduled = true;
    window.requestAnimationFrame(function () { scheduled = false; refit(); });
  }
  function step(delta) {
    containers().forEach(function (box) {
      var layout = box.credoPages;
      if (layout && layout.pages.length > 1 && delta) { showPage(box, layout.page + delta, false); }
    });
  }
  function tick() {
    if (paused || document.hidden) { return; }
    var now = Date.now();
    containers().forEach(function (box) {
      var layout = box.credoPages;
      var remembered = layout && memory[layout.name];
      if (remembered && layout.pages.length > 1 && now >= remembered.turnAt) {
        showPage(box, layout.page + 1, false);
      }
    });
  }
  // The facilitator's controls: pause, and steps as a running sum (so none is lost).
  function readControls() {
    var held = document.getElementById("screen-pages-state");
    if (!held) { return; }
    var wasPaused = paused;
    paused = held.dataset.paused === "1";
    var sum = parseInt(held.dataset.step, 10) || 0;
    if (stepSeen !== null && sum !== stepSeen) { step(sum - stepSeen); }
    stepSeen = sum;
    if (wasPaused && !paused) {  // resumed: a full reading time for the page in view
      containers().forEach(function (box) {
        var layout = box.credoPages;
        if (layout && memory[layout.name]) {
          memory[layout.name].turnAt = Date.now() +
            secondsFor(box, layout.items, layout.pages[layout.page]) * 1000;
        }
      });
    }
    containers().forEach(showStatus);
  }

  // A box whose size follows its content would refit for ever: a few times a second at most.
  var recent = [];
  var late = null;
  var watcher = window.ResizeObserver ? new ResizeObserver(function (entries) {
    var changed = entries.some(function (entry) {
      var box = entry.target;
      return box.isConnected && box.credoFitted !==
        box.clientWidth + "x" + box.clientHeight + "@" + window.innerHeight;
    });
    var now = Date.now();
    recent = recent.filter(function (at) { return now - at < 1000; });
    if (!changed) { return; }
    if (recent.length < 4) { recent.push(now); refitSoon(); }
    else if (!late) { late = window.setTimeout(function () { late = null; refitSoon(); }, 1000); }
  }) : null;
  function watch() {
    if (!watcher) { return; }
    watcher.disconnect();
    containers().forEach(function (box) { watcher.observe(box); });
  }
  function start() {
    readControls();
    refit();
    watch();
  }
  document.addEventListener("htmx:afterSettle", function () { readControls(); refit(); watch(); });
  window.addEventListener("resize", refitSoon);
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    var help = document.getElementById("screen-help");
    if (help && help.open) { return; }
    if (event.key === "ArrowDown") { step(1); event.preventDefault(); }
    else if (event.key === "ArrowUp") { step(-1); event.preventDefault(); }
  });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
  if (document.fonts && document.fonts.ready) { document.fonts.ready.then(refitSoon); }
  window.setInterval(tick, 500);
  window.credoPages = { refit: refit, step: step };
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

// Live counts while typing: a mission draft (data-max-words) shows its words and the limit;
// a short field (data-count-chars, with maxlength) shows its characters once near the limit.
// The words come from <body data-count-…>; the server refuses what is over at save.
(function () {
  "use strict";

  function words(text) { return text.trim() ? text.trim().split(/\s+/).length : 0; }
  function say(key, num, max) {
    var text = document.body.dataset[key] || "{num} / {max}";
    return text.replace("{num}", num).replace("{max}", max);
  }
  function counterFor(field) {
    var id = field.id + "-count";
    var counter = document.getElementById(id);
    if (counter) { return counter; }
    counter = document.createElement("p");
    counter.id = id;
    counter.className = "live-count";
    counter.setAttribute("aria-live", "polite");
    field.insertAdjacentElement("afterend", counter);
    var described = (field.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
    described.push(id);
    field.setAttribute("aria-describedby", described.join(" "));
    return counter;
  }
  function update(field) {
    if (!field.id) { return; }
    var text = "";
    var over = false;
    var maxWords = parseInt(field.dataset.maxWords || "0", 10);
    var maxChars = parseInt(field.getAttribute("maxlength") || "0", 10);
    if (maxWords > 0) {
      var count = words(field.value);
      over = count > maxWords;
      text = say(over ? "countWordsOver" : "countWords", count, maxWords);
    } else if (field.hasAttribute("data-count-chars") && maxChars > 0) {
      var length = field.value.length;
      if (length < maxChars * 0.8) {
        var quiet = document.getElementById(field.id + "-count");
        if (quiet) { quiet.textContent = ""; }
        return;
      }
      text = say("countChars", length, maxChars);
    } else {
      return;
    }
    var counter = counterFor(field);
    if (counter.textContent !== text) { counter.textContent = text; }
    counter.classList.toggle("over", over);
  }
  var SELECTOR = "textarea[data-max-words], input[data-count-chars], textarea[data-count-chars]";
  function updateAll(root) {
    if (!root.querySelectorAll) { return; }
    root.querySelectorAll(SELECTOR).forEach(update);
  }
  document.addEventListener("input", function (event) {
    if (event.target.matches && event.target.matches(SELECTOR)) { update(event.target); }
  });
  document.addEventListener("htmx:load", function (event) { updateAll(event.detail.elt); });
  document.addEventListener("DOMContentLoaded", function () { updateAll(document); });
})();
