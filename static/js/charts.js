// Charts from data the page embeds with json_script; loaded after chart.umd.min.js.
(function () {
  function data(id) {
    var element = document.getElementById(id);
    return element ? JSON.parse(element.textContent) : null;
  }

  function usageCharts() {
    var charts = data("usage-charts");
    if (!charts) return;
    charts.forEach(function (chart, i) {
      var canvas = document.getElementById("chart-" + (i + 1));
      if (!canvas) return;
      new Chart(canvas, {
        type: "line",
        data: {
          labels: chart.series[0].points.map(function (p) { return p[0].slice(0, 16).replace("T", " "); }),
          datasets: chart.series.map(function (s) {
            return {label: s.label, data: s.points.map(function (p) { return p[1]; }), spanGaps: false, pointRadius: 0};
          })
        },
        options: {animation: false, responsive: true, scales: {y: {beginAtZero: true}}}
      });
    });
  }

  function dailyCost() {
    var daily = data("daily-data");
    var canvas = document.getElementById("daily-chart");
    if (!daily || !canvas) return;
    new Chart(canvas, {
      type: "bar",
      data: {labels: daily.labels, datasets: [{label: canvas.dataset.label, data: daily.amounts.map(Number)}]}
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (!window.Chart) return;
    usageCharts();
    dailyCost();
  });
})();
