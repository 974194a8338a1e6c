/* Draws the Analytics page's charts with Chart.js from the JSON block the server wrote
   (json_script): the numbers never pass through HTML. The tables beside the charts carry the
   same figures for readers without JavaScript or a screen. */
(function () {
  "use strict";
  var INDIGO = "#6366f1", RED = "#ef4444", SLATE = "#94a3b8", GREEN = "#10b981";

  function draw(id, config) {
    var canvas = document.getElementById(id);
    if (!canvas || !window.Chart) return;
    config.options = Object.assign(
      { responsive: true, maintainAspectRatio: false, animation: false,
        plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } } } },
      config.options || {}
    );
    new window.Chart(canvas, config);
  }

  function percentAxis(max) {
    return { beginAtZero: true, max: max, ticks: { callback: function (v) { return v + " %"; } } };
  }

  document.addEventListener("DOMContentLoaded", function () {
    var source = document.getElementById("analytics-data");
    if (!source) return;
    var data = JSON.parse(source.textContent);

    draw("chart-retention", {
      type: "line",
      data: { labels: data.retention.labels, datasets: [
        { label: "Retention", data: data.retention.retention, borderColor: INDIGO,
          backgroundColor: INDIGO, tension: 0.25, spanGaps: true },
        { label: "Churn", data: data.retention.churn, borderColor: RED,
          backgroundColor: RED, tension: 0.25, spanGaps: true }
      ] },
      options: { scales: { y: percentAxis(100) } }
    });

    draw("chart-clv", {
      type: "bar",
      data: { labels: data.clv.labels, datasets: [
        { label: "Customers", data: data.clv.counts, backgroundColor: INDIGO }
      ] },
      options: { plugins: { legend: { display: false } },
        scales: { x: { ticks: { maxRotation: 60, autoSkip: true } }, y: { beginAtZero: true } } }
    });

    draw("chart-recency", {
      type: "bar",
      data: { labels: data.recency.labels, datasets: [
        { label: "Mean P(alive)", data: data.recency.p_alive, backgroundColor: GREEN }
      ] },
      options: { plugins: { legend: { display: false }, tooltip: { callbacks: {
        afterLabel: function (item) { return data.recency.customers[item.dataIndex] + " customers"; }
      } } }, scales: { y: { beginAtZero: true, max: 1 } } }
    });

    if (data.survival) {
      draw("chart-survival", {
        type: "line",
        data: { labels: data.survival.labels, datasets: [
          { label: "Observed", data: data.survival.observed, borderColor: SLATE,
            backgroundColor: SLATE, spanGaps: false },
          { label: "Projected (sBG)", data: data.survival.projected, borderColor: INDIGO,
            backgroundColor: INDIGO, borderDash: [6, 4] }
        ] },
        options: { scales: { y: percentAxis(100),
          x: { title: { display: true, text: "renewals" } } } }
      });
    }

    if (data.fit) {
      draw("chart-fit", {
        type: "bar",
        data: { labels: data.fit.labels, datasets: [
          { label: "Actual", data: data.fit.actual, backgroundColor: SLATE },
          { label: "Expected (BG/NBD)", data: data.fit.expected, backgroundColor: INDIGO }
        ] },
        options: { scales: { x: { title: { display: true, text: "repeat purchases" } },
          y: { beginAtZero: true, title: { display: true, text: "customers" } } } }
      });
    }
  });
})();
