/**
 * The page's script for its tables: a click on a column's header sorts by
 * it (again: the other way), and a filter box keeps the rows that match what
 * is typed. Cells sort by `data-v` where they have it (a rounded number's
 * whole value), else by their text; cells with no value sort last either way.
 *
 * Filter words: `origin:llm` (the column's text holds it), `origin=llm`
 * (is it), `val>90`, `flops<=100`, `iteration!=1` (numbers); a column is
 * named by its header's `data-key`. Any other word is looked for anywhere in
 * the row; a row is kept when every word matches.
 *
 * What the reader chose is kept by table id, so `collmReport.initTables()`
 * applies it again to a served page's new tables after an update.
 */
export const TABLE_SCRIPT = `(function () {
  'use strict';
  var report = (window.collmReport = window.collmReport || {});
  var chosen = {};

  function valueOf(cell) {
    if (!cell) return '';
    var v = cell.getAttribute('data-v');
    return v === null ? cell.textContent.trim() : v;
  }
  function isNumber(v) { return v !== '' && !isNaN(Number(v)); }
  function compare(a, b) {
    if (isNumber(a) && isNumber(b)) return Number(a) - Number(b);
    return a.localeCompare(b, undefined, { numeric: true });
  }
  function headers(table) { return Array.prototype.slice.call(table.tHead.rows[0].cells); }
  function rows(table) { return Array.prototype.slice.call(table.tBodies[0].rows); }

  function sort(table, column, direction) {
    var sign = direction === 'descending' ? -1 : 1;
    var keyed = rows(table).map(function (row, i) { return { row: row, v: valueOf(row.cells[column]), i: i }; });
    keyed.sort(function (p, q) {
      if (p.v === '' || q.v === '') return (p.v === '' ? 1 : 0) - (q.v === '' ? 1 : 0) || p.i - q.i;
      return sign * compare(p.v, q.v) || p.i - q.i;
    });
    var body = table.tBodies[0];
    keyed.forEach(function (k) { body.appendChild(k.row); });
    headers(table).forEach(function (th, i) { th.setAttribute('aria-sort', i === column ? direction : 'none'); });
  }

  function matcher(word, keys) {
    var m = /^([A-Za-z]+)(:|>=|<=|!=|=|>|<)(.+)$/.exec(word);
    var column = m ? keys.indexOf(m[1].toLowerCase()) : -1;
    if (column < 0) {
      var text = word.toLowerCase();
      return function (row) { return row.textContent.toLowerCase().indexOf(text) >= 0; };
    }
    var op = m[2];
    var want = m[3].toLowerCase();
    return function (row) {
      var cell = row.cells[column];
      var have = valueOf(cell).toLowerCase();
      if (op === ':') return cell.textContent.toLowerCase().indexOf(want) >= 0;
      var numbers = isNumber(have) && isNumber(want);
      var d = numbers ? Number(have) - Number(want) : NaN;
      if (op === '=') return numbers ? d === 0 : have === want;
      if (op === '!=') return numbers ? d !== 0 : have !== want;
      if (!numbers) return false;
      return op === '>' ? d > 0 : op === '<' ? d < 0 : op === '>=' ? d >= 0 : d <= 0;
    };
  }

  function filter(table, text) {
    var keys = headers(table).map(function (th) { return (th.getAttribute('data-key') || '').toLowerCase(); });
    var tests = text.trim().split(/\\s+/).filter(Boolean).map(function (w) { return matcher(w, keys); });
    var all = rows(table);
    var shown = 0;
    all.forEach(function (row) {
      var keep = tests.every(function (t) { return t(row); });
      row.hidden = !keep;
      if (keep) shown++;
    });
    var counter = document.querySelector('[data-count-for="' + table.id + '"]');
    if (counter) counter.textContent = shown + ' of ' + all.length + ' shown';
  }

  function state(id) { return (chosen[id] = chosen[id] || {}); }

  report.initTables = function () {
    Array.prototype.forEach.call(document.querySelectorAll('table.sortable'), function (table) {
      var own = state(table.id);
      headers(table).forEach(function (th, column) {
        var button = th.querySelector('button.sort');
        if (!button) return;
        button.addEventListener('click', function () {
          own.direction = own.column === column && own.direction === 'ascending' ? 'descending' : 'ascending';
          own.column = column;
          sort(table, column, own.direction);
        });
      });
      if (own.column !== undefined) sort(table, own.column, own.direction);
    });
    Array.prototype.forEach.call(document.querySelectorAll('input[data-filter-for]'), function (input) {
      var table = document.getElementById(input.getAttribute('data-filter-for'));
      if (!table) return;
      var own = state(table.id);
      if (own.filter !== undefined) input.value = own.filter;
      input.addEventListener('input', function () {
        own.filter = input.value;
        filter(table, input.value);
      });
      filter(table, input.value);
    });
  };
  report.initTables();
})();`;
