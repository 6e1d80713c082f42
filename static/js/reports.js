// The reports page: draw each report's chart (Chart.js, static/vendor/chartjs/) from the
// numbers the page carries in its json_script element #report-data. The tables beside the
// charts hold the same numbers, so without this script nothing is missing but the pictures.
"use strict";

(() => {
  const source = document.getElementById("report-data");
  if (!source || typeof window.Chart === "undefined") return;
  const data = JSON.parse(source.textContent);
  const BLUE = "#2456d6";
  const GREEN = "#16a34a";
  const TEXT = "#5b6577";
  window.Chart.defaults.color = TEXT;
  window.Chart.defaults.font.family = getComputedStyle(document.documentElement).fontFamily;
  const narrow = window.matchMedia("(max-width: 720px)").matches;
  const percent = (rate) => (rate === null ? null : Math.round(rate * 1000) / 10);
  // Rupees as the tables write them (₹1,00,00,000), on the won-value axis and in its tooltips.
  const inr = new Intl.NumberFormat("en-IN", { style: "currency", currency: "INR", maximumFractionDigits: 0 });
  const base = {
    responsive: true,
    maintainAspectRatio: false,
    animation: false,
    plugins: { legend: { display: false } },
  };

  const builders = {
    funnel: (d) => ({
      type: "bar",
      data: { labels: d.labels, datasets: [{ label: "Reached", data: d.reached, backgroundColor: BLUE }] },
      options: { ...base, indexAxis: "y", scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } },
    }),
    sources: (d) => ({
      type: "bar",
      data: {
        labels: d.labels,
        datasets: [
          { label: "Leads", data: d.leads, backgroundColor: BLUE, yAxisID: "y" },
          { label: "Win rate %", data: d.win_rate.map(percent), backgroundColor: GREEN, yAxisID: "y1" },
        ],
      },
      options: {
        ...base,
        plugins: { legend: { display: true, position: "bottom" } },
        scales: {
          y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: !narrow, text: "Leads" } },
          y1: { beginAtZero: true, max: 100, position: "right", grid: { drawOnChartArea: false },
                title: { display: !narrow, text: "Win rate %" } },
        },
      },
    }),
    daily: (d) => ({
      type: "bar",
      data: { labels: d.labels, datasets: [{ label: "Leads", data: d.leads, backgroundColor: BLUE }] },
      options: {
        ...base,
        scales: {
          x: { ticks: { maxRotation: 0, autoSkip: true, maxTicksLimit: narrow ? 4 : 10 } },
          y: { beginAtZero: true, ticks: { precision: 0 } },
        },
      },
    }),
    // Two scales: win rate (%, below) and won value (INR, above), one bar of each per rep.
    reps: (d) => ({
      type: "bar",
      data: {
        labels: d.labels,
        datasets: [
          { label: "Win rate %", data: d.win_rate.map(percent), backgroundColor: GREEN, xAxisID: "x" },
          { label: "Won value (INR)", data: d.won_value, backgroundColor: BLUE, xAxisID: "x1" },
        ],
      },
      options: {
        ...base,
        indexAxis: "y",
        plugins: {
          legend: { display: true, position: "bottom" },
          tooltip: {
            callbacks: {
              label: (item) => `${item.dataset.label}: ${
                item.dataset.xAxisID === "x1" ? inr.format(item.raw) : `${item.raw}%`}`,
            },
          },
        },
        scales: {
          x: { beginAtZero: true, max: 100, title: { display: !narrow, text: "Win rate %" } },
          x1: { beginAtZero: true, position: "top", grid: { drawOnChartArea: false },
                ticks: { maxTicksLimit: narrow ? 3 : 6, callback: (value) => inr.format(value) },
                title: { display: !narrow, text: "Won value (INR)" } },
        },
      },
    }),
  };

  for (const canvas of document.querySelectorAll("canvas[data-chart]")) {
    const name = canvas.dataset.chart;
    if (data[name] && builders[name]) new window.Chart(canvas, builders[name](data[name]));
  }
})();
