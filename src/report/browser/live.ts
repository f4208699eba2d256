/**
 * The served page's script: while the search runs it asks the server for
 * the report's version every few seconds and, when it has changed, fetches
 * the page again and puts its content in place of the old: no reload, so
 * the reader keeps the scroll position, the sections they opened or closed,
 * the sort, the filter and the focus. It stops once the page says the search has
 * ended. The new page is parsed with DOMParser, which runs none of its
 * scripts; its chart data is inert JSON, read by the charts script.
 */
export const LIVE_SCRIPT = `(function () {
  'use strict';
  var report = (window.collmReport = window.collmReport || {});
  if (!document.getElementById('live')) return;
  var failures = 0;

  function live() { return document.getElementById('live'); }
  function say(id, text) {
    var el = document.getElementById(id);
    if (el) el.textContent = text;
  }

  function swap(html) {
    var next = new DOMParser().parseFromString(html, 'text/html');
    var content = next.getElementById('report');
    var data = next.getElementById('report-data');
    if (!content || !data) throw new Error('the server sent no report');
    // Only what the reader opened or closed is kept; the rest follows the new page.
    var open = {};
    Array.prototype.forEach.call(document.querySelectorAll('details[id]'), function (d) {
      if (d.open !== d.hasAttribute('data-open-default')) open[d.id] = d.open;
    });
    var active = document.activeElement;
    var focused = active && active.id ? { id: active.id, at: active.selectionStart, end: active.selectionEnd } : null;
    var here = document.getElementById('report');
    here.replaceChildren.apply(here, Array.prototype.slice.call(content.childNodes).map(function (n) { return document.adoptNode(n); }));
    document.getElementById('report-data').textContent = data.textContent;
    document.title = next.title;
    Array.prototype.forEach.call(document.querySelectorAll('details[id]'), function (d) {
      if (Object.prototype.hasOwnProperty.call(open, d.id)) d.open = open[d.id];
    });
    report.drawCharts();
    report.initTables();
    if (focused) {
      var el = document.getElementById(focused.id);
      if (el) {
        el.focus();
        if (typeof focused.at === 'number' && el.setSelectionRange) el.setSelectionRange(focused.at, focused.end);
      }
    }
  }

  function later() {
    if (live().getAttribute('data-status') !== 'running') return;
    var every = Number(live().getAttribute('data-interval')) || 2000;
    setTimeout(poll, Math.min(every * Math.pow(2, failures), 30000));
  }

  function poll() {
    fetch('/state.json', { cache: 'no-store' })
      .then(function (r) {
        if (!r.ok) throw new Error('HTTP ' + r.status);
        return r.json();
      })
      .then(function (state) {
        failures = 0;
        if (String(state.version) === live().getAttribute('data-version')) {
          say('live-checked', new Date(state.checkedAt).toISOString().replace('T', ' ').replace(/\\.\\d+Z$/, 'Z'));
          say('live-note', state.readError ? 'The last read of the history failed (' + state.readError + '); trying again.' : '');
          return;
        }
        return fetch('/', { cache: 'no-store' })
          .then(function (r) {
            if (!r.ok) throw new Error('HTTP ' + r.status);
            return r.text();
          })
          .then(swap);
      })
      .then(later, function (err) {
        failures++;
        say('live-note', 'The report server does not answer (' + err.message + '); trying again.');
        later();
      });
  }

  later();
})();`;
