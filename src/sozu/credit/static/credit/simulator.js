// The simulator's chart: capital and interest (+ IVA) of each cuota as stacked bars and the
// balance left after it as a line, drawn with chart.js from the page's JSON data island
// (<script type="application/json">, which the Content-Security-Policy allows: it never runs).
(function () {
  "use strict";
  function numbers(list) { return list.map(Number); }
  function draw() {
    document.querySelectorAll("canvas[data-sim-chart]").forEach(function (canvas) {
      var source = document.getElementById(canvas.getAttribute("data-sim-chart"));
      if (!source || !window.Chart) return;
      var data = JSON.parse(source.textContent);
      var datasets = [
        { type: "bar", label: data.text.capital, data: numbers(data.capital),
          backgroundColor: "#0b5d4b", stack: "cuota", yAxisID: "y" },
        { type: "bar", label: data.text.interest, data: numbers(data.interest),
          backgroundColor: "#e0a530", stack: "cuota", yAxisID: "y" }
      ];
      if (data.fees.some(function (v) { return Number(v) > 0; })) {
        datasets.push({ type: "bar", label: data.text.fees, data: numbers(data.fees),
          backgroundColor: "#7a8799", stack: "cuota", yAxisID: "y" });
      }
      datasets.push({ type: "line", label: data.text.balance, data: numbers(data.balance),
        borderColor: "#3b6fb6", backgroundColor: "#3b6fb6", pointRadius: 0, yAxisID: "y2" });
      new window.Chart(canvas, {
        data: { labels: data.labels, datasets: datasets },
        options: {
          responsive: true, maintainAspectRatio: false, animation: false,
          interaction: { mode: "index", intersect: false },
          plugins: { legend: { position: "bottom" } },
          scales: {
            x: { stacked: true, ticks: { maxTicksLimit: 12 } },
            y: { stacked: true, beginAtZero: true, position: "left" },
            y2: { beginAtZero: true, position: "right", grid: { drawOnChartArea: false } }
          }
        }
      });
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
