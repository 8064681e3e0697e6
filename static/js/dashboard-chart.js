// The dashboard's daily chart (Chart.js, vendored): data from the page's json_script.
(function () {
  var canvas = document.getElementById("daily-chart");
  if (!canvas) { return; }
  var data = JSON.parse(document.getElementById("chart-data").textContent);
  var num = function (values) { return values.map(Number); };
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
})();
