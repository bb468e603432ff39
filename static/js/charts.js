// Charts from data the page embeds with json_script; loaded after chart.umd.min.js.
(function () {
  function data(id) {
    var element = document.getElementById(id);
    return element ? JSON.parse(element.textContent) : null;
  }

  // One time axis for every chart ("moments"); each series has a value in base units (cores,
  // bytes) for the index of each moment measured, none for a gap, drawn in its chart's unit
  // (cores, GiB, MiB per 15 min...: divided by the chart's divisor) to three decimals. A chart
  // with no measurement has no canvas (the page says so instead of drawing empty axes).
  function seriesValues(points, count, divisor) {
    var values = new Array(count).fill(null);
    Object.keys(points).forEach(function (index) {
      values[Number(index)] = Math.round((points[index] / divisor) * 1000) / 1000;
    });
    return values;
  }

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
            var values = seriesValues(s.points, labels.length, chart.divisor);
            return {label: s.label, data: values, spanGaps: false, pointRadius: 0};
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
