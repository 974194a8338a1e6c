/* The theme a person chose (light or dark; none: the system's), applied before the page is
 * painted, so a dark page never flashes white. Loaded without defer in <head>: the
 * Content-Security-Policy allows no inline script. The button is handled in tenure.js. */
(function () {
  "use strict";
  try {
    var theme = window.localStorage.getItem("tenure-theme");
    if (theme === "light" || theme === "dark") {
      document.documentElement.setAttribute("data-theme", theme);
    }
  } catch (error) {
    // storage refused (private mode): the system's theme
  }
})();
