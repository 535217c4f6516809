/* smartspec: progressive enhancement shared by every page.
   Without JavaScript every page still works: charts show their caption and the tables, forms
   submit normally. With it: Plotly charts (PNG and SVG download in the mode bar, offline),
   confirmation of destructive forms, auto-submitting selects. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  var SVG_ICON = {
    width: 1000, height: 1000,
    path: "M500 80l-60 0 0 470-160-160-42 42 232 232 232-232-42-42-160 160 0-470zM150 820l700 0 0 80-700 0z"
  };

  function chartConfig(filename) {
    return {
      displaylogo: false,
      responsive: true,
      showSendToCloud: false,  // plotly.js 4 "Share chart..." would upload to Plotly Cloud
      modeBarButtonsToRemove: ["sendDataToCloud", "sendChartToCloud", "lasso2d", "select2d"],
      toImageButtonOptions: { format: "png", filename: filename, scale: 2 },
      modeBarButtonsToAdd: [{
        name: "svg",
        title: document.documentElement.getAttribute("data-svg-label") || "Download SVG",
        icon: SVG_ICON,
        click: function (gd) { window.Plotly.downloadImage(gd, { format: "svg", filename: filename }); }
      }]
    };
  }

  function readJSON(node) {
    try { return JSON.parse(node.textContent); } catch (e) { return null; }
  }

  function draw(figureEl, fig) {
    var plot = figureEl.querySelector(".plot");
    if (!plot || !window.Plotly || !fig) { return; }
    var name = figureEl.getAttribute("data-filename") || plot.id || "chart";
    window.Plotly.react(plot, fig.data || [], fig.layout || {}, chartConfig(name));
  }

  function drawAll(root) {
    (root || document).querySelectorAll("figure[data-chart]").forEach(function (el) {
      var data = el.querySelector("script.chart-data");
      if (data) { draw(el, readJSON(data)); }
    });
  }

  function enhanceForms(root) {
    (root || document).querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (ev) {
        if (!window.confirm(form.getAttribute("data-confirm"))) { ev.preventDefault(); }
      });
    });
    (root || document).querySelectorAll("select[data-autosubmit]").forEach(function (sel) {
      sel.addEventListener("change", function () {
        if (sel.form) { sel.form.requestSubmit ? sel.form.requestSubmit() : sel.form.submit(); }
      });
      var btn = sel.form && sel.form.querySelector("[data-autosubmit-button]");
      if (btn) { btn.hidden = true; }
    });
  }

  window.smartspec = { drawChart: draw, drawCharts: drawAll, enhanceForms: enhanceForms,
                       csrf: function () {
                         var m = document.querySelector('meta[name="csrf-token"]');
                         return m ? m.getAttribute("content") : "";
                       } };

  document.addEventListener("DOMContentLoaded", function () {
    drawAll(document);
    enhanceForms(document);
  });
})();
