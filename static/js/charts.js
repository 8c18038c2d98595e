// Charts of the public pages, drawn with Apache ECharts from the data embedded in the page.
// Every chart has its data table on the page as the accessible alternative.
(function () {
  "use strict";
  if (!window.echarts) return;
  const chinese = document.documentElement.lang.indexOf("zh") === 0;
  const palette = ["#b3261e", "#0b57a4", "#1a7f37", "#9a6700", "#8250df", "#bf3989", "#0a7f89", "#57606a"];
  const charts = [];

  function numberAxis(unit) {
    return { type: "value", name: unit, nameTextStyle: { color: "#59636e" }, axisLabel: { color: "#1f2328" } };
  }

  function labelFor(series, index) {
    return series.labels && series.labels[index] != null ? series.labels[index] : "—";
  }

  function optionFor(spec) {
    const base = {
      color: palette,
      animation: false,
      aria: { enabled: true },
      textStyle: { fontFamily: getComputedStyle(document.body).fontFamily },
      grid: { left: 8, right: 24, top: 40, bottom: 8, containLabel: true },
      tooltip: {
        trigger: spec.type === "bar" ? "item" : "axis",
        formatter: function (params) {
          const list = Array.isArray(params) ? params : [params];
          const head = list.length ? list[0].name : "";
          return [head].concat(list.map(function (p) {
            return p.marker + p.seriesName + ": " + labelFor(spec.series[p.seriesIndex], p.dataIndex) + " " + spec.unit;
          })).join("<br>");
        }
      },
      toolbox: { right: 8, feature: { saveAsImage: { title: chinese ? "保存为图片" : "Save as image", name: spec.title, pixelRatio: 2, backgroundColor: "#fff" } } }
    };
    if (spec.type === "bar") {
      return Object.assign(base, {
        xAxis: numberAxis(spec.unit),
        yAxis: { type: "category", data: spec.categories, inverse: true, axisLabel: { color: "#1f2328" } },
        series: spec.series.map(function (s) {
          return {
            type: "bar", name: s.name, data: s.data, barMaxWidth: 28,
            label: { show: true, position: "right", color: "#1f2328", formatter: function (p) { return labelFor(s, p.dataIndex); } }
          };
        })
      });
    }
    return Object.assign(base, {
      legend: { top: 0, left: 0, type: "scroll", textStyle: { color: "#1f2328" } },
      grid: { left: 8, right: 24, top: 48, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: spec.categories, boundaryGap: false, axisLabel: { color: "#1f2328" } },
      yAxis: numberAxis(spec.unit),
      // A missing year is a gap in the line, never a zero.
      series: spec.series.map(function (s) {
        return { type: "line", name: s.name, data: s.data, connectNulls: false, symbolSize: 7, showAllSymbol: true };
      })
    });
  }

  document.querySelectorAll(".chart[data-chart]").forEach(function (element) {
    const source = document.getElementById(element.dataset.chart);
    if (!source) return;
    const spec = JSON.parse(source.textContent);
    if (spec.type === "bar") {
      element.style.height = Math.max(160, 48 + 34 * spec.categories.length) + "px";
    }
    const chart = echarts.init(element, null, { renderer: "canvas", locale: chinese ? "ZH" : "EN" });
    chart.setOption(optionFor(spec));
    charts.push(chart);
  });

  document.querySelectorAll(".save-png").forEach(function (button) {
    button.addEventListener("click", function () {
      const chart = echarts.getInstanceByDom(document.getElementById(button.dataset.chartTarget));
      if (!chart) return;
      const link = document.createElement("a");
      link.href = chart.getDataURL({ type: "png", pixelRatio: 2, backgroundColor: "#fff" });
      link.download = (button.dataset.filename || "chart") + ".png";
      document.body.appendChild(link);
      link.click();
      link.remove();
    });
  });

  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  window.addEventListener("beforeprint", function () { charts.forEach(function (c) { c.resize(); }); });
})();
