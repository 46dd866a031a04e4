// The top table: one row per function with self and total (or baseline / comparison / change for
// a diff), sortable by any column, filterable by name. Only the first rows are put in the DOM,
// so a profile with tens of thousands of functions stays responsive.

import { css, diffColor, diffRatio, packageColor } from './colors.js';
import { escapeHtml, percent, signedPercent } from './format.js';

const MAX_ROWS = 500;

const COLUMNS = {
  single: [['name', 'Symbol'], ['self', 'Self'], ['total', 'Total']],
  diff: [['name', 'Symbol'], ['baseline', 'Baseline'], ['comparison', 'Comparison'], ['diff', 'Change']],
};

export function parseSort(sort) {
  const [key, dir] = (sort || 'self').split(':');
  return { key, asc: dir === 'asc' };
}

function shareChange(r, t) {
  const l = t.left > 0 ? r.lTotal / t.left : 0;
  const rr = t.right > 0 ? r.rTotal / t.right : 0;
  return l > 0 ? (rr - l) / l : rr > 0 ? Infinity : 0;
}

export class TopTable {
  /** @param opts {onSelect(nameIdx), onSandwich(nameIdx), onSort(sort), onFilter(text)} */
  constructor(host, opts) {
    this.host = host;
    this.opts = opts;
    host.classList.add('toptable');
    host.innerHTML = `<div class="toptable-head"><input type="search" class="table-filter" placeholder="Filter functions…" spellcheck="false"><span class="table-count"></span></div>
      <div class="toptable-scroll"><table><thead><tr></tr></thead><tbody></tbody></table><div class="table-more"></div></div>`;
    this.filterInput = host.querySelector('.table-filter');
    this.filterInput.addEventListener('input', () => this.opts.onFilter(this.filterInput.value));
    host.querySelector('thead').addEventListener('click', e => {
      const th = e.target.closest('th');
      if (!th) return;
      const key = th.dataset.key;
      const cur = parseSort(this.sort);
      const asc = cur.key === key ? !cur.asc : key === 'name';
      this.opts.onSort(asc ? `${key}:asc` : key);
    });
    host.querySelector('tbody').addEventListener('click', e => {
      const tr = e.target.closest('tr');
      if (!tr) return;
      const name = Number(tr.dataset.name);
      if (e.target.closest('.sandwich-btn')) this.opts.onSandwich(name);
      else this.opts.onSelect(name === this.selected ? -1 : name);
    });
    this.rows = [];
    this.sort = 'self';
    this.filter = '';
    this.selected = -1;
  }

  /** @param totals {total} for a single profile, {left, right} for a diff */
  setData(rows, diff, format, totals) {
    this.rows = rows;
    this.diff = diff;
    this.format = format;
    this.totals = totals;
  }

  setState({ sort, filter, selected }) {
    if (sort !== undefined) this.sort = sort;
    if (filter !== undefined) this.filter = filter;
    if (selected !== undefined) this.selected = selected;
    if (this.filterInput.value !== this.filter) this.filterInput.value = this.filter;
    this.render();
  }

  sortedRows() {
    const { key, asc } = parseSort(this.sort);
    const t = this.totals;
    const value = {
      name: r => r.label, self: r => r.self, total: r => r.total,
      baseline: r => r.lTotal, comparison: r => r.rTotal, diff: r => shareChange(r, t),
    }[key] || (r => r.self);
    const f = this.filter.toLowerCase();
    const rows = f ? this.rows.filter(r => r.label.toLowerCase().includes(f)) : this.rows.slice();
    const dir = asc ? 1 : -1;
    rows.sort((a, b) => {
      const va = value(a);
      const vb = value(b);
      if (va < vb) return -dir;
      if (va > vb) return dir;
      return a.label < b.label ? -1 : a.label > b.label ? 1 : 0;
    });
    return rows;
  }

  render() {
    const { key, asc } = parseSort(this.sort);
    const cols = COLUMNS[this.diff ? 'diff' : 'single'];
    this.host.querySelector('thead tr').innerHTML = cols.map(([k, title]) =>
      `<th data-key="${k}" class="${k === key ? (asc ? 'sorted asc' : 'sorted desc') : ''}">${title}${k === key ? (asc ? ' ▲' : ' ▼') : ''}</th>`).join('');
    const rows = this.sortedRows();
    const shown = rows.slice(0, MAX_ROWS);
    const t = this.totals;
    const swatch = r => (this.diff
      ? diffColor(diffRatio(t.left > 0 ? r.lTotal / t.left : 0, t.right > 0 ? r.rTotal / t.right : 0))
      : packageColor(r.label));
    const html = shown.map(r => {
      const sym = `<td class="sym" title="${escapeHtml(r.label)}">${this.diff ? '' : '<button class="sandwich-btn" title="Sandwich view: callers and callees">⇅</button>'}<span class="swatch" style="background:${css(swatch(r))}"></span>${escapeHtml(r.label)}</td>`;
      const cells = this.diff
        ? `<td>${this.format(r.lTotal)} <small>${percent(r.lTotal, t.left)}</small></td><td>${this.format(r.rTotal)} <small>${percent(r.rTotal, t.right)}</small></td>${this.changeCell(shareChange(r, t))}`
        : `<td class="bar" style="--share:${((r.self / t.total) * 100).toFixed(2)}%">${this.format(r.self)} <small>${percent(r.self, t.total)}</small></td>`
          + `<td class="bar" style="--share:${((r.total / t.total) * 100).toFixed(2)}%">${this.format(r.total)} <small>${percent(r.total, t.total)}</small></td>`;
      return `<tr data-name="${r.name}"${r.name === this.selected ? ' class="selected"' : ''}>${sym}${cells}</tr>`;
    });
    this.host.querySelector('tbody').innerHTML = html.join('');
    this.host.querySelector('.table-count').textContent = `${rows.length} function${rows.length === 1 ? '' : 's'}`;
    this.host.querySelector('.table-more').textContent = rows.length > MAX_ROWS ? `Showing the first ${MAX_ROWS} of ${rows.length}: filter to narrow down.` : '';
  }

  changeCell(change) {
    const cls = change > 0.005 ? 'grew' : change < -0.005 ? 'shrank' : '';
    return `<td class="${cls}">${signedPercent(change)}</td>`;
  }
}
