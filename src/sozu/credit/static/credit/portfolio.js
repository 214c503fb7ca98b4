// The indicators page's charts (chart.js), drawn from JSON data islands
// (<script type="application/json">, allowed by the CSP because it never runs).
(function () {
  "use strict";
  var COLORS = ["#0b5d4b", "#c77d00", "#3b6fb6", "#9b2c2c"];
  function draw() {
    document.querySelectorAll("canvas[data-portfolio-chart]").forEach(function (canvas) {
      var source = document.getElementById(canvas.getAttribute("data-portfolio-chart"));
      if (!source || !window.Chart) return;
      var data = JSON.parse(source.textContent);
      new window.Chart(canvas, {
        type: "bar",
        data: {
          labels: data.labels,
          datasets: data.series.map(function (s, i) {
            return { label: s.label, data: s.values.map(Number), backgroundColor: COLORS[i % COLORS.length] };
          })
        },
        options: {
          responsive: true, maintainAspectRatio: false, animation: false,
          plugins: { legend: { display: data.series.length > 1 } },
          scales: { x: { ticks: { maxTicksLimit: 12 } }, y: { beginAtZero: true } }
        }
      });
      canvas.setAttribute("data-drawn", "1");
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
