/* The customers, accounts, tasks and orders lists' bulk bar and their cells edited in place (see
 * web/bulk/_bar.html, _cell.html and _record_cell.html). The bar counts the chosen rows and keeps its "query" equal to the filters shown,
 * so the server applies the same filters (and the person's scope) when the run starts. A cell's
 * input opens on click or Enter (its button), saves on Enter (its form), and Esc cancels. */
(function () {
  "use strict";

  function bar() { return document.getElementById("bulk-form"); }
  // The bar names its rows and its list's filter form (the accounts list's: data-bulk-*).
  function noun() { var form = bar(); return (form && form.getAttribute("data-bulk-noun")) || "customer"; }
  function filterForm() {
    var form = bar();
    return document.getElementById((form && form.getAttribute("data-bulk-filters")) || "customer-filters");
  }

  function chosen() {
    return Array.prototype.slice.call(document.querySelectorAll('input[name="ids"][form="bulk-form"]'));
  }

  function sync() {
    var form = bar();
    if (!form) return;
    var all = form.querySelector("[data-bulk-all]");
    var count = form.querySelector("[data-bulk-count]");
    var table = document.querySelector("[data-list-total]");
    var total = table ? table.getAttribute("data-list-total") : "";
    var span = form.querySelector("[data-bulk-total]");
    if (span) span.textContent = total ? " (" + total + ")" : "";
    var n = chosen().filter(function (box) { return box.checked; }).length;
    if (all && all.checked) count.textContent = "Every " + noun() + " matching the filters" + (total ? " (" + total + ")" : "");
    else count.textContent = n === 0 ? "No " + noun() + " chosen" : n + " chosen on this page";
    form.classList.toggle("bulk-bar-active", n > 0 || (all && all.checked));
    var operation = form.querySelector("[data-bulk-operation]");
    var current = operation ? operation.value : "";
    form.querySelectorAll("[data-bulk-for]").forEach(function (field) {
      field.hidden = field.getAttribute("data-bulk-for").split(" ").indexOf(current) === -1;
    });
    var filters = filterForm();
    var query = form.querySelector("[data-bulk-query]");
    if (filters && query) {
      var params = new URLSearchParams(new FormData(filters));
      Array.from(params.keys()).forEach(function (key) { if (!params.get(key)) params.delete(key); });
      query.value = params.toString();
    }
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches && target.matches("[data-select-page]")) {
      chosen().forEach(function (box) { box.checked = target.checked; });
    }
    var filters = filterForm();
    if (target.closest && (target.closest("#bulk-form") || target.matches('input[name="ids"]') ||
        target.matches("[data-select-page]") || (filters && filters.contains(target)))) sync();
  });

  // A delete asks first; the trash keeps it 30 days.
  document.addEventListener("htmx:confirm", function (event) {
    var form = bar();
    var source = event.detail.elt;
    if (!form || !form.contains(source) || source.getAttribute("hx-post") === null) return;
    sync();
    var operation = form.querySelector("[data-bulk-operation]");
    if (operation && operation.value === "delete") {
      event.preventDefault();
      if (window.confirm("Delete the chosen " + noun() + "s? They are kept 30 days in the trash.")) event.detail.issueRequest(true);
    }
  });

  // The rows changed (a filter, a page, an undo): count again; an undo of a bulk change
  // refreshes the rows through the filters' own form.
  document.addEventListener("htmx:afterSettle", function (event) {
    sync();
    var input = event.target.querySelector && event.target.querySelector("[data-cell-input]");
    if (input) { input.focus(); if (input.select) input.select(); return; }
    // Saved or cancelled: the keyboard goes back to the cell's button.
    var source = event.detail.requestConfig && event.detail.requestConfig.elt;
    var target = event.detail.target;
    if (source && source.closest && source.closest("[data-cell-form]") && target && target.id) {
      var cell = document.getElementById(target.id);
      var button = cell && cell.querySelector("[data-cell-open]");
      if (button) button.focus();
    }
  });
  document.addEventListener("DOMContentLoaded", function () {
    document.body.addEventListener("tenure-list-changed", refresh);
    sync();
  });
  function refresh() {
    var filters = filterForm();
    if (filters && window.htmx) window.htmx.trigger(filters, "submit");
  }

  // Esc in a cell's input cancels: the cell shows its value again.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var form = event.target.closest && event.target.closest("[data-cell-form]");
    if (!form) return;
    event.preventDefault();
    var cancel = form.querySelector("[data-cell-cancel]");
    if (cancel) cancel.click();
  });
})();
