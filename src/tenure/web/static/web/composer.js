/* The composer of the customer and account pages: typing "@" in the notes offers the team's
 * active members (the list the page rendered); choosing one writes "@username ". The
 * resolution's complaint field shows only for a resolution. After the toast's Undo of what was
 * logged, the timeline is asked again (its kinds kept). Without script, "@username" typed by
 * hand works the same. */
(function () {
  "use strict";

  function syncResolution(form) {
    var kind = form && form.querySelector(".js-kind");
    if (!kind) return;
    form.querySelectorAll(".js-resolution-only").forEach(function (field) {
      field.hidden = kind.value !== "resolution";
    });
  }

  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches(".js-kind")) syncResolution(event.target.form);
  });

  // The word being typed when it starts with "@": its start and what follows the "@".
  function mentionAt(area) {
    var before = area.value.slice(0, area.selectionStart);
    var match = /(^|[\s(])@([\w.+-]*)$/.exec(before);
    return match ? { start: before.length - match[2].length - 1, query: match[2].toLowerCase() } : null;
  }

  function optionsOf(area) {
    return document.getElementById(area.getAttribute("aria-controls"));
  }

  function close(area) {
    var list = optionsOf(area);
    if (list) list.hidden = true;
  }

  function choose(area, option) {
    var at = mentionAt(area);
    if (!at) return close(area);
    var end = area.selectionStart;
    var text = "@" + option.getAttribute("data-username") + " ";
    area.value = area.value.slice(0, at.start) + text + area.value.slice(end);
    var caret = at.start + text.length;
    area.setSelectionRange(caret, caret);
    close(area);
    area.focus();
  }

  function suggest(area) {
    var list = optionsOf(area);
    var at = mentionAt(area);
    if (!list || !at) return close(area);
    var shown = 0;
    list.querySelectorAll("[role=option]").forEach(function (option) {
      var words = (option.textContent + " " + option.getAttribute("data-username")).toLowerCase();
      var match = words.indexOf(at.query) !== -1 && shown < 8;
      option.hidden = !match;
      option.setAttribute("aria-selected", "false");
      if (match) shown += 1;
    });
    var first = list.querySelector("[role=option]:not([hidden])");
    if (first) first.setAttribute("aria-selected", "true");
    list.hidden = !shown;
  }

  document.addEventListener("input", function (event) {
    if (event.target.matches && event.target.matches(".js-mention")) suggest(event.target);
  });

  document.addEventListener("keydown", function (event) {
    var area = event.target;
    if (!(area.matches && area.matches(".js-mention"))) return;
    var list = optionsOf(area);
    if (!list || list.hidden) return;
    var options = Array.prototype.slice.call(list.querySelectorAll("[role=option]:not([hidden])"));
    var current = options.findIndex(function (o) { return o.getAttribute("aria-selected") === "true"; });
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      var next = (current + (event.key === "ArrowDown" ? 1 : options.length - 1)) % options.length;
      options.forEach(function (o, i) { o.setAttribute("aria-selected", i === next ? "true" : "false"); });
    } else if ((event.key === "Enter" || event.key === "Tab") && current !== -1) {
      event.preventDefault();
      choose(area, options[current]);
    } else if (event.key === "Escape") {
      close(area);
    }
  });

  document.addEventListener("mousedown", function (event) {
    var option = event.target.closest && event.target.closest(".mention-options [role=option]");
    if (!option) return;
    event.preventDefault(); // keep the focus in the notes
    var area = document.querySelector("[aria-controls='" + option.parentNode.id + "']");
    if (area) choose(area, option);
  });

  // The Undo's answer triggers "tenure-list-changed": the entry it took away leaves the timeline
  // and the composer's "Logged." goes.
  document.addEventListener("tenure-list-changed", function () {
    var logged = document.querySelector("#interaction-form > .alert-success");
    if (logged) logged.remove();
    var filters = document.querySelector("#timeline form.timeline-filters[hx-get]");
    if (!filters || !window.htmx) return;
    window.htmx.ajax("GET", filters.getAttribute("hx-get"), {
      source: filters, target: "#timeline-entries", swap: "innerHTML", push: "false"
    });
  });

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form").forEach(syncResolution);
  });
  document.addEventListener("htmx:afterSettle", function () {
    document.querySelectorAll("form").forEach(syncResolution);
  });
})();
