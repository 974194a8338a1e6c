/* The command palette (⌘K / Ctrl K), the keyboard map (?) and the "g" + key jumps.
 * The palette is a <dialog> whose input asks /search/ through htmx for the results (records,
 * actions and pages the user's role may use); the arrows move the selection, Enter opens it.
 * Without script the "Search" link of the navigation opens the search page instead. */
(function () {
  "use strict";
  var GO_WAIT_MS = 1200;
  var goPending = false;
  var goTimer = null;
  var openWhenSettled = false;  // Enter pressed before the results of what was typed arrived

  function palette() { return document.getElementById("palette"); }
  function input() { return document.getElementById("palette-input"); }
  function options() {
    return Array.prototype.slice.call(document.querySelectorAll("#palette-results [role=option]"));
  }

  function typing(target) {
    if (!target || !target.closest) return false;
    return !!target.closest("input, textarea, select, [contenteditable=''], [contenteditable=true]");
  }

  function select(index) {
    var all = options();
    var field = input();
    all.forEach(function (option, i) { option.setAttribute("aria-selected", i === index ? "true" : "false"); });
    if (index >= 0 && index < all.length) {
      field.setAttribute("aria-activedescendant", all[index].id);
      all[index].scrollIntoView({ block: "nearest" });
    } else {
      field.removeAttribute("aria-activedescendant");
    }
  }

  function selected() {
    return options().findIndex(function (option) { return option.getAttribute("aria-selected") === "true"; });
  }

  function openPalette() {
    var dialog = palette();
    if (!dialog || dialog.open) return;
    var keymap = document.getElementById("keymap");
    if (keymap && keymap.open) keymap.close();
    dialog.showModal();
    dialog.dataset.state = "loading";
    var field = input();
    field.focus();
    field.select();
    if (window.htmx) window.htmx.trigger(field, "palette:open");
  }

  function openKeymap() {
    var dialog = document.getElementById("keymap");
    if (dialog && !dialog.open) dialog.showModal();
  }

  document.addEventListener("keydown", function (event) {
    var key = event.key;
    if ((event.metaKey || event.ctrlKey) && !event.altKey && (key === "k" || key === "K")) {
      if (!palette()) return;
      event.preventDefault();
      openPalette();
      return;
    }
    if (event.metaKey || event.ctrlKey || event.altKey || typing(event.target)) return;
    if (document.querySelector("dialog[open]")) return;
    if (key === "?") {
      event.preventDefault();
      openKeymap();
    } else if (key === "/") {
      var search = document.querySelector("main input[type=search], main input[name=q]");
      if (search) { event.preventDefault(); search.focus(); search.select(); }
    } else if (goPending) {
      goPending = false;
      clearTimeout(goTimer);
      var link = document.querySelector('#keymap a[data-go="' + key.toLowerCase() + '"]');
      if (link) { event.preventDefault(); window.location.assign(link.href); }
    } else if (key === "g") {
      goPending = true;
      goTimer = setTimeout(function () { goPending = false; }, GO_WAIT_MS);
    }
  });

  // Inside the palette: the arrows move through the results, Enter opens the one selected.
  document.addEventListener("keydown", function (event) {
    if (event.target !== input()) return;
    var all = options();
    var current = selected();
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      if (!all.length) return;
      var step = event.key === "ArrowDown" ? 1 : -1;
      select((current + step + all.length) % all.length);
    } else if (event.key === "Enter" && palette().dataset.state === "loading") {
      event.preventDefault();
      openWhenSettled = true;
    } else if (event.key === "Enter" && current >= 0) {
      event.preventDefault();
      window.location.assign(all[current].href);
    }
  });

  // What is shown answers what is typed only once the request for it came back: until then
  // the palette is "loading", and Enter waits for the answer rather than opening a stale line.
  document.addEventListener("input", function (event) {
    if (event.target === input()) palette().dataset.state = "loading";
  });

  // Fresh results: the first is selected, so Enter opens the best match at once.
  document.addEventListener("htmx:afterSwap", function (event) {
    if (!event.detail.target || event.detail.target.id !== "palette-results") return;
    var xhr = event.detail.xhr;
    var asked = xhr && xhr.responseURL ? new URL(xhr.responseURL).searchParams.get("q") || "" : null;
    if (asked !== null && asked !== input().value.trim().slice(0, 200) && asked !== input().value) return;  // stale
    palette().dataset.state = "settled";
    select(0);
    if (openWhenSettled) {
      openWhenSettled = false;
      var first = options()[0];
      if (first) window.location.assign(first.href);
    }
  });

  document.addEventListener("click", function (event) {
    var opener = event.target.closest && event.target.closest("[data-palette-open]");
    if (opener && palette() && !event.metaKey && !event.ctrlKey && !event.shiftKey) {
      event.preventDefault();
      openPalette();
      return;
    }
    // A click on the backdrop (the dialog itself, outside its content) closes it.
    var dialog = event.target;
    if (dialog && dialog.tagName === "DIALOG" && dialog.open) dialog.close();
  });
})();
