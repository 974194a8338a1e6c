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

  /* The period not over is drawn dashed: its figures are so far, not the period's. */
  function dashedPartial(partial) {
    return { borderDash: function (ctx) {
      return partial && partial[ctx.p1DataIndex] ? [6, 4] : undefined; } };
  }

  /* Clicking a point opens the customers behind it: the URL of each point comes from the
     server (the same settings as the figure), the table under the chart links them too. */
  function opensCustomers(urlsByDataset) {
    return {
      onClick: function (event, elements) {
        if (!elements.length) return;
        var urls = urlsByDataset[elements[0].datasetIndex];
        var url = urls && urls[elements[0].index];
        if (url) window.location.href = url;
      },
      onHover: function (event, elements) {
        event.native.target.style.cursor = elements.length ? "pointer" : "default";
      }
    };
  }

  function percentAxis(max) {
    return { beginAtZero: true, max: max, ticks: { callback: function (v) { return v + " %"; } } };
  }

  document.addEventListener("DOMContentLoaded", function () {
    var source = document.getElementById("analytics-data");
    if (!source) return;
    var data = JSON.parse(source.textContent);

    var partial = data.retention.partial;
    draw("chart-retention", {
      type: "line",
      data: { labels: data.retention.labels, datasets: [
        { label: "Retention", data: data.retention.retention, borderColor: INDIGO,
          backgroundColor: INDIGO, tension: 0.25, spanGaps: true, pointRadius: 4,
          pointHoverRadius: 7, segment: dashedPartial(partial) },
        { label: "Churn", data: data.retention.churn, borderColor: RED,
          backgroundColor: RED, tension: 0.25, spanGaps: true, pointRadius: 4,
          pointHoverRadius: 7, segment: dashedPartial(partial) }
      ] },
      options: Object.assign({ scales: { y: percentAxis(100) } },
        opensCustomers([data.retention.retained_urls, data.retention.lost_urls]))
    });

    draw("chart-clv", {
      type: "bar",
      data: { labels: data.clv.labels, datasets: [
        { label: "Customers", data: data.clv.counts, backgroundColor: INDIGO }
      ] },
      options: Object.assign({ plugins: { legend: { display: false } },
        scales: { x: { ticks: { maxRotation: 60, autoSkip: true } }, y: { beginAtZero: true } } },
        opensCustomers([data.clv.urls]))
    });

    draw("chart-recency", {
      type: "bar",
      data: { labels: data.recency.labels, datasets: [
        { label: "Mean P(alive)", data: data.recency.p_alive, backgroundColor: GREEN }
      ] },
      options: Object.assign({ plugins: { legend: { display: false }, tooltip: { callbacks: {
        afterLabel: function (item) { return data.recency.customers[item.dataIndex] + " customers"; }
      } } }, scales: { y: { beginAtZero: true, max: 1 } } }, opensCustomers([data.recency.urls]))
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
        /* An observed point opens the subscribers it counts; the projection is the model's. */
        options: Object.assign({ scales: { y: percentAxis(100),
          x: { title: { display: true, text: "renewals" } } },
          plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } },
            tooltip: { callbacks: { afterLabel: function (item) {
              var n = data.survival.customers[item.dataIndex];
              return item.datasetIndex === 0 && n !== undefined ? n + " subscriptions" : "";
            } } } } },
          opensCustomers([data.survival.urls, null]))
      });
    }

    if (data.fit) {
      draw("chart-fit", {
        type: "bar",
        data: { labels: data.fit.labels, datasets: [
          { label: "Actual", data: data.fit.actual, backgroundColor: SLATE },
          { label: "Expected (BG/NBD)", data: data.fit.expected, backgroundColor: INDIGO }
        ] },
        /* An Actual bar opens its customers; the Expected one is the model's. */
        options: Object.assign({ scales: { x: { title: { display: true, text: "repeat purchases" } },
          y: { beginAtZero: true, title: { display: true, text: "customers" } } } },
          opensCustomers([data.fit.urls, null]))
      });
    }
  });
})();
