// Money charts (Chart.js, vendored): every canvas.money-chart draws the json_script named by
// its data-source: {labels, revenue, platform_cost, margin} (the dashboard's days, the
// statement's periods).
(function () {
  var num = function (values) { return values.map(Number); };
  document.querySelectorAll("canvas.money-chart").forEach(function (canvas) {
    var data = JSON.parse(document.getElementById(canvas.dataset.source).textContent);
    new Chart(canvas, {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: [
          {label: "Revenue", data: num(data.revenue), backgroundColor: "#2f6fed"},
          {label: "Platform cost", data: num(data.platform_cost), backgroundColor: "#98a2b3"},
          {label: "Margin", data: num(data.margin), type: "line", borderColor: "#067647", backgroundColor: "#067647"}
        ]
      },
      options: {responsive: true, maintainAspectRatio: false, animation: false,
                interaction: {mode: "index", intersect: false}}
    });
  });
})();
