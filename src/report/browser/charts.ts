/**
 * The page's script that draws the charts from their configs (the inert JSON
 * in #report-data). A point's `tip` lines are its tooltip, after the
 * series' name. `collmReport.drawCharts()` draws them again (a served page
 * does after each update).
 */
export const CHARTS_SCRIPT = `(function () {
  'use strict';
  var report = (window.collmReport = window.collmReport || {});
  var defaults = Chart.defaults.plugins.tooltip.callbacks;
  var defaultLabel = defaults && defaults.label;

  function label(ctx) {
    var raw = ctx.raw;
    if (raw && typeof raw === 'object' && Array.isArray(raw.tip)) return [ctx.dataset.label].concat(raw.tip);
    return defaultLabel ? defaultLabel.call(this, ctx) : ctx.formattedValue;
  }

  report.drawCharts = function () {
    Object.keys(Chart.instances).forEach(function (k) { Chart.instances[k].destroy(); });
    var specs = JSON.parse(document.getElementById('report-data').textContent).charts;
    Object.keys(specs).forEach(function (id) {
      var canvas = document.getElementById(id);
      if (!canvas) return;
      var config = specs[id];
      var plugins = (config.options.plugins = config.options.plugins || {});
      plugins.tooltip = Object.assign({}, plugins.tooltip, { callbacks: { label: label } });
      new Chart(canvas, config);
    });
  };
  report.drawCharts();
})();`;
