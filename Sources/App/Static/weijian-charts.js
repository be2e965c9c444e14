// Draws the charts of a page: each <canvas data-chart="ID"> takes its Chart.js configuration from the JSON in
// <script type="application/json" id="ID">, written by the server. No inline script: the pages' CSP forbids it.
(function () {
  "use strict";
  function draw() {
    if (typeof Chart === "undefined") { return; }
    Chart.defaults.font.family = "system-ui, -apple-system, 'Noto Sans CJK SC', 'PingFang SC', sans-serif";
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var source = document.getElementById(canvas.getAttribute("data-chart"));
      if (!source) { return; }
      var config = JSON.parse(source.textContent);
      config.options = Object.assign({ responsive: true, maintainAspectRatio: false, animation: false }, config.options || {});
      new Chart(canvas, config);
      canvas.setAttribute("data-drawn", "true");
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
