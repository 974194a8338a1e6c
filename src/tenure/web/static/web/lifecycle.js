/* Draws the Lifecycle pages' charts with Chart.js from the JSON block the server wrote
   (json_script "lifecycle-data"), as analytics.js does for the Analytics page: the numbers
   never pass through HTML, and the tables beside the charts carry the same figures. */
(function () {
  "use strict";
  var PALETTE = ["#6366f1", "#0ea5e9", "#10b981", "#8b5cf6", "#f59e0b", "#f97316", "#ef4444",
    "#14b8a6", "#64748b", "#ec4899", "#84cc16", "#a855f7"];
  var STAGE_COLOURS = { at_risk: "#f59e0b", churned: "#ef4444", won_back: "#10b981" };
  var SLATE = "#94a3b8", RED = "#ef4444";

  function colour(key, i) { return STAGE_COLOURS[key] || PALETTE[i % PALETTE.length]; }

  /* The current period is not over: its line is dashed and its bars faded ("so far"). */
  function dashedLast(partial, count) {
    return { borderDash: function (ctx) {
      return partial && ctx.p1DataIndex === count - 1 ? [6, 4] : undefined; } };
  }
  function fadedLast(partial, base) {
    return partial.map(function (p) { return p ? base + "66" : base; });
  }

  /* Clicking a point or bar opens the customers behind it: each URL comes from the server. */
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

  document.addEventListener("DOMContentLoaded", function () {
    var source = document.getElementById("lifecycle-data");
    if (!source) return;
    var data = JSON.parse(source.textContent);

    if (data.funnel) {
      draw("chart-funnel", {
        type: "bar",
        data: { labels: data.funnel.labels, datasets: [{
          label: "Customers", data: data.funnel.counts, borderRadius: 4,
          backgroundColor: data.funnel.keys.map(colour) }] },
        options: { indexAxis: "y", plugins: { legend: { display: false } },
          scales: { x: { beginAtZero: true, ticks: { precision: 0 } } },
          onClick: function (event, elements) {
            if (!elements.length) return;
            var key = data.funnel.keys[elements[0].index];
            window.location.href = data.funnel.url.replace("__key__", encodeURIComponent(key));
          } }
      });
    }

    if (data.flow && data.flow.labels.length) {
      draw("chart-flow", {
        type: "line",
        data: { labels: data.flow.labels, datasets: data.flow.series.map(function (s, i) {
          var c = colour(s.key, i);
          return { label: s.name, data: s.counts, borderColor: c, backgroundColor: c + "33",
            fill: true, tension: 0.25, pointRadius: 2,
            segment: dashedLast(data.flow.partial, data.flow.labels.length) };
        }) },
        options: Object.assign({ interaction: { mode: "nearest", intersect: false },
          scales: { y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } },
          opensCustomers(data.flow.series.map(function (s) { return s.urls; })))
      });
    }

    if (data.buckets && data.buckets.labels.length) {
      draw("chart-buckets", {
        type: "bar",
        data: { labels: data.buckets.labels, datasets: [
          { label: "New", data: data.buckets.new, stack: "s",
            backgroundColor: fadedLast(data.buckets.partial, "#6366f1") },
          { label: "Returning", data: data.buckets.returning, stack: "s",
            backgroundColor: fadedLast(data.buckets.partial, "#10b981") },
          { label: "Resurrecting", data: data.buckets.resurrecting, stack: "s",
            backgroundColor: fadedLast(data.buckets.partial, "#0ea5e9") },
          { label: "Dormant", data: data.buckets.dormant, stack: "s",
            backgroundColor: fadedLast(data.buckets.partial, RED) }
        ] },
        options: Object.assign({ interaction: { mode: "nearest", intersect: true },
          scales: { x: { stacked: true }, y: { stacked: true, ticks: { precision: 0 } } } },
          opensCustomers([data.buckets.new_urls, data.buckets.returning_urls,
            data.buckets.resurrecting_urls, data.buckets.dormant_urls]))
      });
    }

    if (data.audit && data.audit.labels.length) {
      draw("chart-audit", {
        type: "bar",
        data: { labels: data.audit.labels, datasets: [{
          label: "Effect size", data: data.audit.effects, borderRadius: 4,
          backgroundColor: data.audit.significant.map(function (s) { return s ? "#6366f1" : SLATE + "88"; }) }] },
        /* A bar opens the churned customers it stands for (its finding's category). */
        options: Object.assign({ indexAxis: "y", plugins: { legend: { display: false },
          tooltip: { callbacks: {
          afterLabel: function (item) {
            return data.audit.measures[item.dataIndex] +
              (data.audit.significant[item.dataIndex] ? ", significant" : ", not significant") +
              "; " + data.audit.customers[item.dataIndex] + " churned customers";
          } } } },
          scales: { x: { min: -1, max: 1 } } }, opensCustomers([data.audit.urls]))
      });
    }
  });
})();
