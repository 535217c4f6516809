/* Implementation board: drag & drop between status columns. A drop is allowed only where the
   workflow allows (the card's data-allowed); the move is sent as the card's own form (with its
   CSRF token), answered in JSON, and undone on refusal. Without JavaScript the forms work. */
(function () {
  "use strict";

  function init() {
    var board = document.querySelector(".kanban[data-move-url]");
    if (!board || !window.fetch) { return; }
    var status = document.getElementById("board-status");
    var dragged = null;

    function allowed(card, target) {
      return (card.getAttribute("data-allowed") || "").split(" ").indexOf(target) >= 0;
    }

    function recount() {
      board.querySelectorAll(".kanban-col").forEach(function (col) {
        var badge = col.querySelector("[data-count]");
        if (badge) { badge.textContent = String(col.querySelectorAll(".kcard").length); }
      });
    }

    board.addEventListener("dragstart", function (ev) {
      var card = ev.target.closest ? ev.target.closest(".kcard[draggable=true]") : null;
      if (!card) { return; }
      dragged = card;
      card.classList.add("dragging");
      ev.dataTransfer.effectAllowed = "move";
      ev.dataTransfer.setData("text/plain", card.getAttribute("data-id"));
    });
    board.addEventListener("dragend", function () {
      if (dragged) { dragged.classList.remove("dragging"); }
      board.querySelectorAll(".kanban-col").forEach(function (c) {
        c.classList.remove("drop-ok", "drop-no");
      });
      dragged = null;
    });
    board.querySelectorAll(".kanban-col").forEach(function (col) {
      col.addEventListener("dragover", function (ev) {
        if (!dragged) { return; }
        var ok = allowed(dragged, col.getAttribute("data-status"));
        col.classList.toggle("drop-ok", ok);
        col.classList.toggle("drop-no", !ok && col !== dragged.parentNode);
        if (ok) { ev.preventDefault(); ev.dataTransfer.dropEffect = "move"; }
      });
      col.addEventListener("dragleave", function () { col.classList.remove("drop-ok", "drop-no"); });
      col.addEventListener("drop", function (ev) {
        ev.preventDefault();
        col.classList.remove("drop-ok", "drop-no");
        var card = dragged;
        var target = col.getAttribute("data-status");
        if (!card || !allowed(card, target)) {
          status.textContent = board.getAttribute("data-error");
          return;
        }
        var form = card.querySelector("form");
        var data = new FormData(form);
        data.set("status", target);
        var origin = card.parentNode;
        col.appendChild(card);
        recount();
        fetch(form.action, {
          method: "POST", body: data, credentials: "same-origin",
          headers: { "Accept": "application/json" }
        }).then(function (res) {
          return res.json().then(function (body) { return { ok: res.ok, body: body }; });
        }).then(function (r) {
          if (!r.ok) { throw new Error(r.body && r.body.detail ? r.body.detail : "error"); }
          // the page is the source of truth for the new allowed moves: reload it
          status.textContent = board.getAttribute("data-saved");
          window.location.reload();
        }).catch(function (err) {
          origin.appendChild(card);
          recount();
          status.textContent = board.getAttribute("data-error") + " " + err.message;
        });
      });
    });
  }

  document.addEventListener("DOMContentLoaded", init);
})();
