// Charts for the report page, drawn with the vendored ECharts from the figures the
// page carries in its JSON data block; the tables below show the same figures.
(function () {
  var box = document.getElementById("report-charts");
  var data = document.getElementById("report-data");
  if (!box || !data || !window.echarts) return;
  var figures = JSON.parse(data.textContent);
  function chart(option) {
    var el = document.createElement("div");
    el.className = "chart";
    box.appendChild(el);
    window.echarts.init(el).setOption(option);
  }
  if (figures.trend && figures.trend.length > 1) {
    chart({
      title: { text: "受理量走势", textStyle: { fontSize: 14 } },
      animation: false,
      grid: { left: 10, right: 20, top: 40, bottom: 20, containLabel: true },
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: figures.trend.map(function (p) { return p[0]; }) },
      yAxis: { type: "value", minInterval: 1 },
      series: [{ type: "line", data: figures.trend.map(function (p) { return p[1]; }) }]
    });
  }
  figures.sections.forEach(function (s) {
    if (!s.rows.length) return;
    var rows = s.rows.slice(0, 10);
    chart({
      title: { text: s.title, textStyle: { fontSize: 14 } },
      animation: false,
      grid: { left: 10, right: 20, top: 40, bottom: 20, containLabel: true },
      tooltip: {},
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", inverse: true, data: rows.map(function (r) { return r[0]; }) },
      series: [{ type: "bar", data: rows.map(function (r) { return r[1]; }) }]
    });
  });
  var sat = figures.satisfaction.filter(function (r) { return r[1] > 0; });
  if (sat.length) {
    chart({
      animation: false,
      title: { text: "满意度", textStyle: { fontSize: 14 } },
      tooltip: {},
      series: [{ type: "pie", radius: "60%", data: sat.map(function (r) { return { name: r[0], value: r[1] }; }) }]
    });
  }
})();
