/* The lifecycle board: drag a card to a column (or press its Move button) to open the move
 * dialog with that stage chosen; the reason is asked, then the move is posted through htmx and
 * the board comes back. Without script every Move button is a link to the move page. */
(function () {
  "use strict";
  var dragged = null;

  function dialog() { return document.getElementById("stage-move"); }

  function openMove(card, stage) {
    var box = dialog();
    if (!box || !card) return;
    var form = box.querySelector("form[data-stage-move-form]");
    form.action = card.getAttribute("data-move-url");
    form.querySelector("[data-stage-move-who]").textContent = card.getAttribute("data-customer-name");
    form.querySelector("select[name=stage]").value = stage;
    var reason = form.querySelector("textarea[name=reason]");
    reason.value = "";
    box.showModal();
    reason.focus();
  }

  document.addEventListener("dragstart", function (event) {
    var card = event.target.closest && event.target.closest(".board-card[draggable=true]");
    if (!card) return;
    dragged = card;
    card.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.getAttribute("data-move-url"));
  });

  document.addEventListener("dragend", function () {
    if (dragged) dragged.classList.remove("dragging");
    document.querySelectorAll(".board-column.drop-target").forEach(function (c) { c.classList.remove("drop-target"); });
  });

  document.addEventListener("dragover", function (event) {
    var column = event.target.closest && event.target.closest(".board-column");
    if (!column || !dragged) return;
    event.preventDefault();
    document.querySelectorAll(".board-column.drop-target").forEach(function (c) {
      if (c !== column) c.classList.remove("drop-target");
    });
    column.classList.add("drop-target");
  });

  document.addEventListener("drop", function (event) {
    var column = event.target.closest && event.target.closest(".board-column");
    if (!column || !dragged) return;
    event.preventDefault();
    column.classList.remove("drop-target");
    var card = dragged;
    dragged = null;
    card.classList.remove("dragging");
    if (card.closest(".board-column") === column) return;  // dropped where it was
    openMove(card, column.getAttribute("data-stage"));
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-stage-move]");
    if (!button || !dialog()) return;
    event.preventDefault();
    openMove(button.closest(".board-card"), button.getAttribute("data-current"));
  });

  // The dialog's form goes through htmx: the board comes back, or the form with its errors.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("#stage-move form[data-stage-move-form]") || !window.htmx) return;
    event.preventDefault();
    window.htmx.ajax("POST", form.action, { source: form, target: "#board", swap: "outerHTML" });
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var box = dialog();
    if (box && box.open && event.detail.target && event.detail.target.id === "board") box.close();
  });
})();
