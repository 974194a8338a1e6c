/* The little behaviour the pages need beyond htmx. Every page works without it.
 * The Content-Security-Policy allows no inline script: pages ask for behaviour with data-
 * attributes (data-confirm, data-autosubmit, data-open, data-copy, data-nav-toggle, data-theme-toggle) handled here. */
(function () {
  "use strict";
  var CASE_KINDS = ["complaint", "ticket"];
  document.documentElement.classList.add("js");

  // Complaints and tickets have a status; the field shows only for them.
  function syncForm(form) {
    var kind = form && form.querySelector(".js-kind");
    if (!kind) return;
    var isCase = CASE_KINDS.indexOf(kind.value) !== -1;
    form.querySelectorAll(".js-case-only").forEach(function (field) {
      field.hidden = !isCase;
    });
  }

  function syncAll() {
    document.querySelectorAll("form").forEach(syncForm);
  }

  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches(".js-kind")) syncForm(event.target.form);
  });

  // Close the user menu on a click elsewhere.
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details.user-menu[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) menu.removeAttribute("open");
    });
  });

  // Filters left empty stay out of the URL that htmx pushes: /customers/?q=ada, not
  // /customers/?q=ada&category=&channel=&owner=&account=.
  document.addEventListener("htmx:configRequest", function (event) {
    if (event.detail.verb !== "get") return;
    var parameters = event.detail.parameters;
    Object.keys(parameters).forEach(function (name) {
      if (parameters[name] === "") delete parameters[name];
    });
  });

  // A button with data-copy="ID" copies the value of the field ID (a new API token).
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-copy]");
    if (!button) return;
    var field = document.getElementById(button.getAttribute("data-copy"));
    if (!field) return;
    field.select();
    var done = function () { button.textContent = "Copied"; };
    if (navigator.clipboard) navigator.clipboard.writeText(field.value).then(done);
    else if (document.execCommand("copy")) done();
  });

  // <form data-confirm="Question?">: ask before sending it.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  });

  // <select data-autosubmit>: choosing applies the form (a button does it without script).
  document.addEventListener("change", function (event) {
    var field = event.target;
    if (field.matches && field.matches("[data-autosubmit]") && field.form) field.form.submit();
  });

  // <a data-open="ID">: open the <details> ID (and follow the link to it).
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("[data-open]");
    if (!link) return;
    var target = document.getElementById(link.getAttribute("data-open"));
    if (target) target.open = true;
  });

  // The menu button of narrow screens (<button data-nav-toggle aria-controls=...>) opens and
  // closes the navigation; Escape closes it and gives the focus back to the button.
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-nav-toggle]");
    if (!button) return;
    var open = button.getAttribute("aria-expanded") !== "true";
    button.setAttribute("aria-expanded", open ? "true" : "false");
    document.getElementById("sidebar").classList.toggle("nav-open", open);
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var sidebar = document.querySelector(".sidebar.nav-open");
    if (!sidebar) return;
    sidebar.classList.remove("nav-open");
    var button = sidebar.querySelector("[data-nav-toggle]");
    button.setAttribute("aria-expanded", "false");
    button.focus();
  });

  // The theme button cycles the system's theme, light and dark, and remembers the choice in
  // this browser (theme.js applies it before the next page is painted).
  var THEMES = ["system", "light", "dark"];
  var THEME_NAMES = { system: "System", light: "Light", dark: "Dark" };
  function themeNow() {
    return document.documentElement.getAttribute("data-theme") || "system";
  }
  function themeShow() {
    document.querySelectorAll("[data-theme-toggle] .theme-name").forEach(function (name) {
      name.textContent = THEME_NAMES[themeNow()];
    });
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-theme-toggle]");
    if (!button) return;
    var next = THEMES[(THEMES.indexOf(themeNow()) + 1) % THEMES.length];
    if (next === "system") document.documentElement.removeAttribute("data-theme");
    else document.documentElement.setAttribute("data-theme", next);
    try {
      if (next === "system") window.localStorage.removeItem("tenure-theme");
      else window.localStorage.setItem("tenure-theme", next);
    } catch (error) {
      // storage refused: the choice lasts for this page
    }
    themeShow();
  });
  document.addEventListener("DOMContentLoaded", themeShow);

  // Charts take their text and grid colours from the theme (Chart.js draws on a canvas, which
  // CSS does not reach). Registered before the pages' chart scripts, so it runs before them.
  document.addEventListener("DOMContentLoaded", function () {
    if (!window.Chart) return;
    var probe = document.createElement("span");
    probe.className = "muted card";
    document.body.appendChild(probe);
    var style = window.getComputedStyle(probe);
    window.Chart.defaults.color = style.color;
    window.Chart.defaults.borderColor = style.borderTopColor;
    probe.remove();
  });

  // A table wider than its box scrolls sideways: the keyboard can reach it (tabindex) and a
  // screen reader names it after its table's caption or its card's heading.
  function markScrollers() {
    document.querySelectorAll(".table-wrap").forEach(function (wrap) {
      if (wrap.scrollWidth > wrap.clientWidth + 1) {
        if (wrap.getAttribute("tabindex") === null) {
          var card = wrap.closest("section, .card");
          var heading = card && card.querySelector("h2, h3");
          wrap.setAttribute("tabindex", "0");
          wrap.setAttribute("role", "region");
          wrap.setAttribute("aria-label", (heading ? heading.textContent.trim() + ": " : "") + "table");
          wrap.setAttribute("data-scroller", "");
        }
      } else if (wrap.hasAttribute("data-scroller")) {
        ["tabindex", "role", "aria-label", "data-scroller"].forEach(function (name) {
          wrap.removeAttribute(name);
        });
      }
    });
  }
  var resizing = null;
  window.addEventListener("resize", function () {
    clearTimeout(resizing);
    resizing = setTimeout(markScrollers, 100);
  });

  document.addEventListener("DOMContentLoaded", syncAll);
  document.addEventListener("DOMContentLoaded", markScrollers);
  window.addEventListener("load", markScrollers);
  document.addEventListener("htmx:afterSettle", syncAll);
  document.addEventListener("htmx:afterSettle", markScrollers);
})();
