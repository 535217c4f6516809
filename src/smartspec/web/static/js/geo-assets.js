/* Plotly.js downloads a world base-map topology from its CDN for every geo subplot. The maps of
   smartspec draw only the shipped NUTS boundaries, so empty topologies are registered before
   plotly.min.js loads: no request leaves the machine and the maps work offline. */
(function () {
  "use strict";
  var empty = { type: "Topology", objects: {}, arcs: [] };
  window.PlotlyGeoAssets = { topojson: { world_110m: empty, world_50m: empty,
                                         europe_110m: empty, europe_50m: empty } };
})();
