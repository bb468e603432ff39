// Charts from data the page embeds with json_script; loaded after chart.umd.min.js.
(function () {
  function data(id) {
    var element = document.getElementById(id);
    return element ? JSON.parse(element.textContent) : null;
  }

  // Values arrive in each chart's unit (cores, GiB, MiB per 15 min...); a chart with no
  // measurement has no canvas (the page says so instead of drawing empty axes).
  // One time axis for every chart ("moments"); each series has a value or null per moment.
  function usageCharts() {
    var usage = data("usage-charts");
    if (!usage) return;
    var labels = usage.moments.map(function (m) { return m.slice(0, 16).replace("T", " "); });
    var narrow = window.matchMedia("(max-width: 720px)").matches;
    usage.charts.forEach(function (chart, i) {
      var canvas = document.getElementById("chart-" + (i + 1));
      if (!canvas) return;
      new Chart(canvas, {
        type: "line",
        data: {
          labels: labels,
          datasets: chart.series.map(function (s) {
            return {label: s.label, data: s.values, spanGaps: false, pointRadius: 0};
          })
        },
        options: {
          animation: false,
          responsive: true,
          // On a phone a taller chart keeps its lines readable under a legend of four entries.
          aspectRatio: narrow ? 1.1 : 2,
          plugins: {legend: {position: "bottom", labels: {boxWidth: 12, font: {size: narrow ? 11 : 12}}}},
          scales: {
            x: {ticks: {maxTicksLimit: narrow ? 4 : 8, maxRotation: 0}},
            y: {beginAtZero: true, title: {display: Boolean(chart.unit), text: chart.unit}}
          }
        }
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
