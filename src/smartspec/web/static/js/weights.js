/* Discovery: live weights. Moving a slider asks the JSON API for the candidates ranked with the
   new weights and redraws the table (rank changes against the default weights are marked).
   Without JavaScript the sliders are a plain GET form. All text goes through textContent. */
(function () {
  "use strict";

  function json(id, fallback) {
    var node = document.getElementById(id);
    if (!node) { return fallback; }
    try { return JSON.parse(node.textContent); } catch (e) { return fallback; }
  }

  function init() {
    var form = document.getElementById("weights-form");
    var table = document.getElementById("candidates-table");
    var tpl = document.getElementById("candidate-row");
    if (!form || !table || !tpl || !window.fetch) { return; }
    var tbody = table.querySelector("tbody");
    var api = form.getAttribute("data-api");
    var base = form.getAttribute("data-base");
    var rows = parseInt(form.getAttribute("data-rows"), 10) || 20;
    var status = document.getElementById("weights-status");
    var vocab = json("vocabulary", {});
    var selected = new Set(json("selected-tas", []));
    var defaults = json("default-ranks", {});
    var labels = json("activity-labels", {});
    var lang = document.documentElement.lang || "en";
    var fmt = new Intl.NumberFormat(lang, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    var sliders = Array.prototype.slice.call(form.querySelectorAll("input[type=range]"));
    var timer = null;
    var controller = null;
    var subscores = ["feasibility", "value", "advantage", "momentum",
                     "transformative_potential", "capability_gap"];

    function number(v) { return (v === null || v === undefined) ? "–" : fmt.format(v); }

    function weights() {
      var out = {};
      sliders.forEach(function (s) { out[s.getAttribute("data-key")] = s.value; });
      return out;
    }

    function setText(root, selector, text) {
      var el = root.querySelector(selector);
      if (el) { el.textContent = text; }
      return el;
    }

    function render(cands, w) {
      var frag = document.createDocumentFragment();
      cands.forEach(function (c) {
        var row = tpl.content.firstElementChild.cloneNode(true);
        row.setAttribute("data-id", c.activity);
        if (selected.has(c.activity)) { row.classList.add("selected-row"); }
        setText(row, '[data-col="rank"]', String(c.rank));
        setText(row, '[data-part="code"]', c.activity);
        setText(row, '[data-part="label"]', labels[c.activity] || c.label || "");
        var move = row.querySelector('[data-part="move"]');
        var before = defaults[c.activity];
        if (move && before !== undefined && before !== c.rank) {
          var delta = before - c.rank;
          move.textContent = (delta > 0 ? "▲" : "▼") + Math.abs(delta);
          move.classList.add(delta > 0 ? "rank-up" : "rank-down");
          move.title = "#" + before;
        }
        setText(row, '[data-col="score"]', number(c.score));
        subscores.forEach(function (k) { setText(row, '[data-col="' + k + '"]', number(c[k])); });
        setText(row, '[data-col="p_top_k"]', number(c.p_top_k));
        var mode = (c.mode || "").replace(/ /g, "_");
        setText(row, '[data-col="mode"]', vocab[mode] || c.mode || "");
        var partners = row.querySelector('[data-col="partners"]');
        (c.partners || []).forEach(function (p) {
          var badge = document.createElement("span");
          badge.className = "badge";
          badge.textContent = p;
          partners.appendChild(badge);
          partners.appendChild(document.createTextNode(" "));
        });
        var details = row.querySelector('[data-part="details"]');
        details.href = base + "/ta/" + encodeURIComponent(c.activity);
        var select = row.querySelector('[data-part="select"]');
        if (selected.has(c.activity)) {
          if (select) { select.remove(); }
          row.querySelector('[data-part="selected"]').hidden = false;
        } else if (select) {
          select.action = base + "/ta/" + encodeURIComponent(c.activity) + "/select";
          select.querySelectorAll(".weight-copy").forEach(function (input) {
            input.value = w[input.getAttribute("data-key")];
          });
        }
        frag.appendChild(row);
      });
      tbody.replaceChildren(frag);
    }

    function syncLinks(w) {
      var params = new URLSearchParams();
      Object.keys(w).forEach(function (k) { params.set("w_" + k, w[k]); });
      params.set("n", String(rows));
      var query = params.toString();
      if (window.history && window.history.replaceState) {
        window.history.replaceState(null, "", form.getAttribute("action") + "?" + query);
      }
      document.querySelectorAll("#table-candidates .table-tools a[href]").forEach(function (a) {
        a.href = a.getAttribute("href").split("?")[0] + "?" + query;
      });
      document.querySelectorAll("form .weight-copy").forEach(function (input) {
        input.value = w[input.getAttribute("data-key")];
      });
    }

    function update() {
      var w = weights();
      var params = new URLSearchParams(w);
      params.set("limit", String(rows));
      if (controller) { controller.abort(); }
      controller = window.AbortController ? new AbortController() : null;
      status.textContent = form.getAttribute("data-loading");
      fetch(api + "?" + params.toString(), {
        credentials: "same-origin", headers: { "Accept": "application/json" },
        signal: controller ? controller.signal : undefined
      }).then(function (res) {
        if (!res.ok) { throw new Error(String(res.status)); }
        return res.json();
      }).then(function (body) {
        render(body.candidates || [], w);
        syncLinks(w);
        status.textContent = form.getAttribute("data-done");
        table.setAttribute("data-updated", String(Date.now()));
      }).catch(function (err) {
        if (err && err.name === "AbortError") { return; }
        status.textContent = form.getAttribute("data-failed");
      });
    }

    sliders.forEach(function (s) {
      s.addEventListener("input", function () {
        var out = document.getElementById("o-" + s.getAttribute("data-key"));
        if (out) { out.textContent = Number(s.value).toFixed(2); }
        window.clearTimeout(timer);
        timer = window.setTimeout(update, 200);
      });
    });
  }

  document.addEventListener("DOMContentLoaded", init);
})();
