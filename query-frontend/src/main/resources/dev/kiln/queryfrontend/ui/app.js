// Kiln's profiling explorer: query bar, time series, flame graph, top table, sandwich,
// comparison and diff. Every piece of view state lives in the URL, so a link reproduces the view.

import { Api } from './api.js';
import { SelectorAutocomplete } from './autocomplete.js';
import { DIFF_DECREASE, DIFF_INCREASE, NEUTRAL, css } from './colors.js';
import { download, fileStem, gzip, htmlPage } from './export.js';
import { FlameData, OTHER } from './flamedata.js';
import { FlameGraph } from './flamegraph.js';
import {
  describeRange, escapeHtml, formatDateTime, parseTime, percent, profileTypeParts, stepSeconds, valueFormatter,
} from './format.js';
import { TopTable } from './table.js';
import { SERIES_COLORS, Timeline } from './timeline.js';

const $ = sel => document.querySelector(sel);

/** URL parameters and their defaults; a default is left out of the URL. */
const DEFAULTS = {
  query: '', from: 'now-1h', until: 'now', groupBy: '', maxNodes: '', tenant: '',
  view: 'single', mode: 'both', orient: 'icicle', color: 'package', zoom: '', search: '', fn: '', sort: '', tfilter: '',
  leftQuery: '', leftFrom: '', leftUntil: '', rightQuery: '', rightFrom: '', rightUntil: '',
};
const CHOICES = {
  view: ['single', 'comparison', 'diff'], mode: ['both', 'flame', 'table', 'sandwich'],
  orient: ['icicle', 'flame'], color: ['package', 'value'],
};
/** Parameters that change what is fetched; the others only change how it is shown. */
const FETCH_KEYS = ['view', 'query', 'from', 'until', 'groupBy', 'maxNodes', 'tenant',
  'leftQuery', 'leftFrom', 'leftUntil', 'rightQuery', 'rightFrom', 'rightUntil'];
const PRESETS = [['5m', 'now-5m'], ['15m', 'now-15m'], ['1h', 'now-1h'], ['6h', 'now-6h'], ['24h', 'now-24h'], ['7d', 'now-7d'], ['30d', 'now-30d']];

function readUrl() {
  const p = new URLSearchParams(location.search);
  const s = { ...DEFAULTS };
  for (const k of Object.keys(DEFAULTS)) if (p.has(k)) s[k] = p.get(k);
  for (const [k, allowed] of Object.entries(CHOICES)) if (!allowed.includes(s[k])) s[k] = DEFAULTS[k];
  return s;
}

function writeUrl(state, push) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(state)) if (v !== DEFAULTS[k]) p.set(k, v);
  const qs = p.toString();
  const url = location.pathname + (qs ? `?${qs}` : '');
  if (url !== location.pathname + location.search) history[push ? 'pushState' : 'replaceState'](null, '', url);
}

/** A time as the inputs show it: relative as typed, absolute (stored as epoch ms) as a local date. */
function displayTime(t) {
  return /^\d+$/.test(t) ? formatDateTime(parseTime(t, Date.now())) : t;
}

/** A typed time as the URL keeps it: relative as typed, absolute as epoch ms; throws when invalid. */
function storedTime(text, now) {
  const t = text.trim();
  return t === '' || /^now/.test(t) ? t : String(parseTime(t, now));
}

/** "type{selector}" → {type, selector}. */
function splitQuery(q) {
  const i = q.indexOf('{');
  return i < 0 ? { type: q, selector: '{}' } : { type: q.slice(0, i), selector: q.slice(i) };
}

/** A search box text as a frame-name test: /regex/ or a case-insensitive substring. */
function searchTest(text) {
  if (!text) return null;
  const re = /^\/(.+)\/$/.exec(text);
  if (re) {
    const r = new RegExp(re[1], 'i');
    return s => r.test(s);
  }
  const t = text.toLowerCase();
  return s => s.toLowerCase().includes(t);
}

/** The baseline and comparison controls, from one template. */
function buildSides() {
  for (const [side, title, defaultRange] of [['left', 'Baseline', 'first half'], ['right', 'Comparison', 'second half']]) {
    const el = $('#side-template').content.firstElementChild.cloneNode(true);
    el.dataset.side = side;
    el.querySelector('.side-name').textContent = title;
    el.querySelector('.side-name').classList.add(title.toLowerCase());
    el.querySelector('.side-from').placeholder = defaultRange;
    el.querySelector('.side-range').id = `compare-${side}-title`;
    el.querySelector('.side-timeline').id = `timeline-${side}`;
    $('#compare-panel').append(el);
  }
}

class App {
  constructor() {
    buildSides();
    this.multitenancy = $('meta[name="kiln-multitenancy"]').content === 'true';
    this.state = readUrl();
    this.api = new Api(() => this.state.tenant);
    this.result = null;
    this.runSeq = 0;
    this.applied = {};
    this.labelNameCache = new Map();
    this.labelValueCache = new Map();
    this.format = v => String(v);

    const graph = (id, name) => new FlameGraph($(id), {
      onZoom: node => this.zoomTo(name, node),
      onContext: (node, e) => this.showMenu(name, node, e),
    });
    this.graphs = {
      main: graph('#flame-main', 'main'), left: graph('#flame-left', 'left'), right: graph('#flame-right', 'right'),
      diff: graph('#flame-diff', 'diff'), callers: graph('#flame-callers', 'callers'), callees: graph('#flame-callees', 'callees'),
    };
    const tableEvents = {
      onSelect: name => this.update({ fn: name >= 0 ? this.tableData().names[name] : '' }, { push: true }),
      onSandwich: name => this.update({ fn: this.tableData().names[name], mode: 'sandwich' }, { push: true }),
      onSort: sort => this.update({ sort: sort === 'self' ? '' : sort }),
      onFilter: text => this.update({ tfilter: text }),
    };
    this.tables = { main: new TopTable($('#table-main'), tableEvents), diff: new TopTable($('#table-diff'), tableEvents) };
    const fmt = v => this.format(v);
    this.timelines = {
      main: new Timeline($('#timeline-main'), { format: fmt, onSelect: (a, b) => this.update({ from: String(a), until: String(b) }, { push: true }) }),
      left: new Timeline($('#timeline-left'), { format: fmt, onSelect: (a, b) => this.update({ leftFrom: String(a), leftUntil: String(b) }, { push: true }) }),
      right: new Timeline($('#timeline-right'), { format: fmt, onSelect: (a, b) => this.update({ rightFrom: String(a), rightUntil: String(b) }, { push: true }) }),
    };
    const labels = {
      names: () => this.labelNames(),
      values: label => this.labelValues(label),
    };
    for (const input of document.querySelectorAll('.selector-input')) new SelectorAutocomplete(input, labels);
    this.bindControls();
    window.addEventListener('popstate', () => {
      this.state = readUrl();
      this.run();
    });
  }

  // ---------------------------------------------------------------- state

  /** Changes state, records it in the URL, fetches when a query parameter changed, and redraws. */
  update(changes, { push = false, force = false } = {}) {
    Object.assign(this.state, changes);
    writeUrl(this.state, push);
    if (force || FETCH_KEYS.some(k => k in changes)) this.run(force);
    else this.render();
  }

  fetchKey() {
    return JSON.stringify(FETCH_KEYS.map(k => this.state[k]));
  }

  resolveRange(now) {
    const from = parseTime(this.state.from, now);
    const until = parseTime(this.state.until, now);
    if (from >= until) throw new Error(`the range starts (${formatDateTime(from)}) after it ends (${formatDateTime(until)})`);
    return { from, until };
  }

  /** Baseline and comparison selections; by default the two halves of the main range. */
  sides(range, now) {
    const mid = Math.round((range.from + range.until) / 2);
    const main = splitQuery(this.state.query).selector;
    const side = (q, f, u, df, du) => ({
      selector: q ? splitQuery(q).selector : main,
      from: f ? parseTime(f, now) : df,
      until: u ? parseTime(u, now) : du,
    });
    const s = this.state;
    return {
      left: side(s.leftQuery, s.leftFrom, s.leftUntil, range.from, mid),
      right: side(s.rightQuery, s.rightFrom, s.rightUntil, mid, range.until),
    };
  }

  // ---------------------------------------------------------------- fetching

  async run(force = false) {
    const key = this.fetchKey();
    if (!force && this.result && this.result.key === key) {
      this.render();
      return;
    }
    const seq = ++this.runSeq;
    document.body.dataset.status = 'loading';
    this.showError('');
    this.syncControls();
    try {
      const now = Date.now();
      const range = this.resolveRange(now);
      const types = await this.api.profileTypes(range.from, range.until);
      if (seq !== this.runSeq) return;
      this.fillTypes(types);
      if (!types.length) {
        this.result = null;
        document.body.dataset.status = 'empty';
        this.render();
        return;
      }
      let { type, selector } = splitQuery(this.state.query);
      if (!types.some(t => t.ID === type)) {
        type = (types.find(t => t.ID.startsWith('process_cpu:')) || types[0]).ID;
        Object.assign(this.state, { query: type + (this.state.query ? selector : '{}') });
        writeUrl(this.state, false);
        ({ selector } = splitQuery(this.state.query));
        this.syncControls();
      }
      this.format = valueFormatter(profileTypeParts(type).sampleUnit);
      const step = stepSeconds(range.from, range.until);
      const maxNodes = Number(this.state.maxNodes) || 0;
      const result = { key, type, selector, range, step };
      const series = sel => this.api.selectSeries({
        profileTypeID: type, labelSelector: sel, start: range.from, end: range.until, step, groupBy: this.state.view === 'single' ? this.state.groupBy : '',
      });
      if (this.state.view === 'single') {
        const [fg, s] = await Promise.all([
          this.api.flameGraph({ profileTypeID: type, labelSelector: selector, start: range.from, end: range.until, maxNodes }),
          series(selector), this.fillGroupBy()]);
        Object.assign(result, { main: FlameData.fromFlameGraph(fg), series: s });
      } else {
        const sides = this.sides(range, now);
        const req = side => ({ profileTypeID: type, labelSelector: side.selector, start: side.from, end: side.until });
        const graphs = this.state.view === 'diff'
          ? this.api.diff(req(sides.left), req(sides.right), maxNodes).then(g => ({ diff: FlameData.fromDiff(g) }))
          : Promise.all([this.api.flameGraph({ ...req(sides.left), maxNodes }), this.api.flameGraph({ ...req(sides.right), maxNodes })])
            .then(([l, r]) => ({ left: FlameData.fromFlameGraph(l), right: FlameData.fromFlameGraph(r) }));
        const [g, sl, sr] = await Promise.all([graphs, series(sides.left.selector), series(sides.right.selector)]);
        Object.assign(result, g, { sides, seriesLeft: sl, seriesRight: sr });
      }
      if (seq !== this.runSeq) return;
      this.result = result;
      this.setData();
      this.render();
      document.body.dataset.status = 'ready';
    } catch (e) {
      if (seq !== this.runSeq) return;
      this.showError(e.message);
      document.body.dataset.status = 'error';
    }
  }

  async labelNames() {
    const { type } = splitQuery(this.state.query);
    const range = this.resolveRange(Date.now());
    const key = JSON.stringify([this.state.tenant, type, this.state.from, this.state.until]);
    if (!this.labelNameCache.has(key)) {
      this.labelNameCache.set(key, this.api.labelNames([`{__profile_type__="${type}"}`], range.from, range.until));
    }
    return this.labelNameCache.get(key);
  }

  async labelValues(label) {
    const { type } = splitQuery(this.state.query);
    const range = this.resolveRange(Date.now());
    const key = JSON.stringify([this.state.tenant, type, this.state.from, this.state.until, label]);
    if (!this.labelValueCache.has(key)) {
      this.labelValueCache.set(key, this.api.labelValues(label, [`{__profile_type__="${type}"}`], range.from, range.until));
    }
    return this.labelValueCache.get(key);
  }

  fillTypes(types) {
    const select = $('#profile-type');
    const current = splitQuery(this.state.query).type;
    select.innerHTML = types.map(t => `<option value="${escapeHtml(t.ID)}">${escapeHtml(`${t.name} · ${t.sampleType} (${t.sampleUnit})`)}</option>`).join('');
    if (types.some(t => t.ID === current)) select.value = current;
  }

  async fillGroupBy() {
    const names = (await this.labelNames().catch(() => [])).filter(n => !n.startsWith('__'));
    const select = $('#group-by');
    select.innerHTML = `<option value="">none</option>${names.map(n => `<option value="${escapeHtml(n)}">${escapeHtml(n)}</option>`).join('')}`;
    select.value = names.includes(this.state.groupBy) ? this.state.groupBy : '';
  }

  // ---------------------------------------------------------------- rendering

  /** Hands freshly fetched data to the widgets (once per fetch). */
  setData() {
    const r = this.result;
    const fmt = this.format;
    this.applied = {};
    if (r.main) {
      this.tables.main.setData(r.main.topTable(), false, fmt, { total: r.main.rootTotal });
      const labelOf = s => Object.entries(s.labels).map(([k, v]) => `${k}=${v}`).join(', ');
      const series = r.series.map(s => ({ label: labelOf(s), labels: s.labels, points: s.points }));
      this.timelines.main.setData(series, r.range.from, r.range.until, r.step * 1000);
      this.renderLegend(series);
      $('#series-title').textContent = `${profileTypeParts(r.type).sampleType} per ${r.step}s`;
    }
    if (r.diff) {
      this.tables.diff.setData(r.diff.topTable(), true, fmt, { left: r.diff.leftTicks, right: r.diff.rightTicks });
    }
    if (r.sides) {
      const marks = [
        { from: r.sides.left.from, until: r.sides.left.until, color: 'rgba(87,148,242,0.18)' },
        { from: r.sides.right.from, until: r.sides.right.until, color: 'rgba(242,166,90,0.18)' },
      ];
      const only = s => [{ label: '', points: s.length ? s[0].points : [] }];
      this.timelines.left.setData(only(r.seriesLeft), r.range.from, r.range.until, r.step * 1000);
      this.timelines.right.setData(only(r.seriesRight), r.range.from, r.range.until, r.step * 1000);
      this.timelines.left.setMarks([marks[0]]);
      this.timelines.right.setMarks([marks[1]]);
    }
  }

  renderLegend(series) {
    const legend = $('#legend');
    legend.hidden = series.length < 2 && !this.state.groupBy;
    legend.innerHTML = series.map((s, k) => `<button class="legend-item" data-k="${k}" title="Add to the selector"><span class="swatch" style="background:${SERIES_COLORS[k % SERIES_COLORS.length]}"></span>${escapeHtml(s.label || 'no labels')}</button>`).join('');
    legend.onclick = e => {
      const b = e.target.closest('.legend-item');
      if (!b) return;
      const labels = series[Number(b.dataset.k)].labels;
      const { type, selector } = splitQuery(this.state.query);
      const inner = selector.replace(/^\{|\}$/g, '').trim();
      const extra = Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(', ');
      this.update({ query: `${type}{${[inner, extra].filter(Boolean).join(', ')}}`, groupBy: '' }, { push: true });
    };
  }

  tableData() {
    return this.state.view === 'diff' ? this.result.diff : this.result.main;
  }

  /** Applies the view state to a graph, skipping work when nothing it shows has changed. */
  applyGraph(name, data, view) {
    const next = { data, search: this.state.search, ...view };
    const prev = this.applied[name];
    if (prev && Object.keys(next).every(k => prev[k] === next[k])) return;
    this.applied[name] = next;
    const g = this.graphs[name];
    if (g.data !== data) g.setData(data, this.format);
    const searchChanged = !prev || prev.search !== next.search || prev.data !== data;
    g.set({ focus: view.focus, orientation: view.orientation, scheme: view.scheme, highlight: view.highlight, ...(searchChanged ? { search: this.matcher } : {}) });
  }

  render() {
    const s = this.state;
    this.syncControls();
    const r = this.result;
    $('#empty').hidden = document.body.dataset.status !== 'empty';
    const tenantHeader = this.multitenancy ? ` -H 'X-Scope-OrgID: ${s.tenant || 'my-tenant'}'` : '';
    $('#empty-curl').textContent = `curl -X POST${tenantHeader} --data-binary 'main;work;hash 30' '${location.origin}/ingest?name=my-app.cpu'`;
    for (const id of ['#single-panel', '#compare-panel', '#toolbar', '#views']) $(id).hidden = !r;
    if (!r) return;
    const single = s.view === 'single';
    $('#single-panel').hidden = !single;
    $('#compare-panel').hidden = single;
    $('#view-single').hidden = !single;
    $('#view-comparison').hidden = s.view !== 'comparison';
    $('#view-diff').hidden = s.view !== 'diff';
    $('#view-single').dataset.mode = s.mode;
    $('#modes').hidden = !single;
    $('#color-scheme').hidden = s.view === 'diff';
    $('#export').hidden = s.view === 'comparison';
    for (const b of document.querySelectorAll('#export [data-only-single]')) b.disabled = s.view !== 'single';

    let searchError = '';
    try {
      this.matcher = searchTest(s.search);
    } catch (e) {
      this.matcher = null;
      searchError = e.message;
    }
    const path = s.zoom ? s.zoom.split(';') : [];
    const focusIn = d => (path.length ? Math.max(0, d.findPath(path)) : 0);
    const common = { orientation: s.orient, scheme: s.color };
    const readouts = [];
    const shown = [];

    if (single) {
      const d = r.main;
      const fn = s.fn ? d.nameIndex(s.fn) : -1;
      if (s.mode !== 'table' && s.mode !== 'sandwich') {
        this.applyGraph('main', d, { ...common, focus: focusIn(d), highlight: fn });
        shown.push(d);
      }
      if (s.mode !== 'flame') {
        this.tables.main.setState({ sort: s.sort || 'self', filter: s.tfilter, selected: fn });
      }
      this.renderSandwich(d, fn);
      if (this.matcher) {
        const m = d.match(this.matcher);
        readouts.push(`${m.count} frame${m.count === 1 ? '' : 's'} · ${percent(m.total, d.rootTotal)} of total`);
      }
    } else if (s.view === 'comparison') {
      for (const [name, label] of [['left', 'baseline'], ['right', 'comparison']]) {
        const d = r[name];
        this.applyGraph(name, d, { ...common, focus: focusIn(d), highlight: -1 });
        shown.push(d);
        if (this.matcher) readouts.push(`${label}: ${percent(d.match(this.matcher).total, d.rootTotal)}`);
      }
      $('#compare-left-title').textContent = describeRange(String(r.sides.left.from), String(r.sides.left.until), Date.now());
      $('#compare-right-title').textContent = describeRange(String(r.sides.right.from), String(r.sides.right.until), Date.now());
    } else {
      const d = r.diff;
      const fn = s.fn ? d.nameIndex(s.fn) : -1;
      this.applyGraph('diff', d, { ...common, scheme: 'diff', focus: focusIn(d), highlight: fn });
      this.tables.diff.setState({ sort: s.sort || 'diff', filter: s.tfilter, selected: fn });
      shown.push(d);
      if (this.matcher) {
        const m = d.match(this.matcher);
        readouts.push(`${m.count} frames · baseline ${percent(m.lTotal, d.leftTicks)} · comparison ${percent(m.rTotal, d.rightTicks)}`);
      }
    }
    $('#search-readout').textContent = searchError || readouts.join(' | ');
    $('#search-readout').classList.toggle('bad', !!searchError);
    this.renderTruncation(shown);
    this.renderZoomPill(path);
    document.title = `Kiln · ${s.query}`;
  }

  renderSandwich(d, fn) {
    const s = this.state;
    const on = s.mode === 'sandwich';
    $('#sandwich').hidden = !on;
    $('#flame-main').hidden = on;
    if (!on) return;
    $('#sandwich-hint').hidden = fn >= 0;
    $('#sandwich-graphs').hidden = fn < 0;
    if (fn < 0) return;
    for (const el of document.querySelectorAll('.sandwich-fn')) el.textContent = s.fn;
    if (!this.sandwich || this.sandwich.of !== d || this.sandwich.fn !== fn) this.sandwich = { of: d, fn, ...d.sandwich(fn) };
    // Zooming inside the sandwich is local to it (not in the URL): keep the graph's own focus.
    const focus = name => (this.graphs[name].data === this.sandwich[name] ? this.graphs[name].focus : 0);
    this.applyGraph('callers', this.sandwich.callers, { orientation: 'flame', scheme: s.color, focus: focus('callers'), highlight: -1 });
    this.applyGraph('callees', this.sandwich.callees, { orientation: 'icicle', scheme: s.color, focus: focus('callees'), highlight: -1 });
  }

  /** A visible warning when the server merged frames into "other" (max nodes reached). */
  renderTruncation(datas) {
    let frames = 0;
    let share = 0;
    for (const d of datas) {
      const other = d.nameIndex(OTHER);
      if (other < 0) continue;
      let t = 0;
      for (let i = 1; i < d.n; i++) {
        if (d.name[i] === other) {
          frames++;
          t += d.total[i];
        }
      }
      share = Math.max(share, t / d.rootTotal);
    }
    const banner = $('#truncated');
    banner.hidden = frames === 0;
    if (frames) {
      banner.textContent = `Truncated by the server: small frames were merged into ${frames} "other" frame${frames === 1 ? '' : 's'} (hatched, ${
        (share * 100).toFixed(2)}% of the total). Raise "Max nodes" to see them.`;
    }
  }

  renderZoomPill(path) {
    const pill = $('#zoom-pill');
    pill.hidden = !path.length;
    pill.querySelector('span').textContent = path.length ? `Zoom: ${path[path.length - 1]}` : '';
    pill.title = path.join(' → ');
  }

  /** Puts the state into the controls (after a URL change or a fetch). */
  syncControls() {
    const s = this.state;
    const { type, selector } = splitQuery(s.query);
    if ($('#profile-type').value !== type && [...$('#profile-type').options].some(o => o.value === type)) $('#profile-type').value = type;
    setIfIdle($('#selector'), selector);
    setIfIdle($('#search'), s.search);
    setIfIdle($('#max-nodes'), s.maxNodes);
    setIfIdle($('#tenant'), s.tenant);
    $('#range-btn').textContent = describeRange(s.from, s.until, Date.now());
    $('#range-from').value = displayTime(s.from);
    $('#range-until').value = displayTime(s.until);
    $('#color-scheme').value = s.color;
    for (const b of document.querySelectorAll('#tabs [data-view]')) b.classList.toggle('active', b.dataset.view === s.view);
    for (const b of document.querySelectorAll('#modes [data-mode]')) b.classList.toggle('active', b.dataset.mode === s.mode);
    for (const b of document.querySelectorAll('#orient [data-orient]')) b.classList.toggle('active', b.dataset.orient === s.orient);
    for (const side of ['left', 'right']) {
      const el = $(`#compare-panel [data-side="${side}"]`);
      setIfIdle(el.querySelector('.side-selector'), s[`${side}Query`] ? splitQuery(s[`${side}Query`]).selector : selector);
      setIfIdle(el.querySelector('.side-from'), displayTime(s[`${side}From`]));
      setIfIdle(el.querySelector('.side-until'), displayTime(s[`${side}Until`]));
    }
    const legend = $('#diff-legend');
    legend.style.setProperty('--dec', css(DIFF_DECREASE));
    legend.style.setProperty('--mid', css(NEUTRAL));
    legend.style.setProperty('--inc', css(DIFF_INCREASE));
  }

  showError(message) {
    $('#error').hidden = !message;
    $('#error').textContent = message;
  }

  // ---------------------------------------------------------------- interaction

  zoomTo(name, node) {
    const g = this.graphs[name];
    if (name === 'callers' || name === 'callees') {
      this.applied[name].focus = node;
      g.set({ focus: node });
      return;
    }
    this.update({ zoom: g.data.pathOf(node).join(';') }, { push: true });
  }

  showMenu(name, node, e) {
    const menu = $('#ctx-menu');
    const data = this.graphs[name].data;
    const label = node === 0 ? '' : data.label(node);
    menu.querySelector('.ctx-title').textContent = label || 'total';
    for (const b of menu.querySelectorAll('[data-needs-name]')) b.disabled = !label || label === OTHER;
    menu.querySelector('[data-act="sandwich"]').disabled = !label || this.state.view !== 'single' || label === OTHER;
    menu.hidden = false;
    menu.style.left = `${Math.min(e.pageX, window.innerWidth - menu.offsetWidth - 8)}px`;
    menu.style.top = `${e.pageY}px`;
    menu.onclick = ev => {
      const act = ev.target.closest('button')?.dataset.act;
      if (!act) return;
      menu.hidden = true;
      if (act === 'zoom') this.zoomTo(name, node);
      else if (act === 'sandwich') this.update({ fn: label, mode: 'sandwich' }, { push: true });
      else if (act === 'select') this.update({ fn: label }, { push: true });
      else if (act === 'search') this.update({ search: label }, { push: true });
      else if (act === 'copy') navigator.clipboard?.writeText(label);
    };
  }

  bindControls() {
    $('#tenant-wrap').hidden = !this.multitenancy;
    $('#querybar').addEventListener('submit', e => {
      e.preventDefault();
      const type = $('#profile-type').value || splitQuery(this.state.query).type;
      this.update({ query: type + ($('#selector').value.trim() || '{}') }, { push: true, force: true });
    });
    $('#profile-type').addEventListener('change', () => {
      const type = $('#profile-type').value;
      const retype = q => (q ? type + splitQuery(q).selector : q);
      this.update({ query: type + ($('#selector').value.trim() || '{}'), leftQuery: retype(this.state.leftQuery), rightQuery: retype(this.state.rightQuery), zoom: '' }, { push: true });
    });
    $('#tenant').addEventListener('change', () => this.update({ tenant: $('#tenant').value.trim() }, { push: true }));
    $('#group-by').addEventListener('change', () => this.update({ groupBy: $('#group-by').value }, { push: true }));
    $('#max-nodes').addEventListener('change', () => this.update({ maxNodes: $('#max-nodes').value.trim() }, { push: true }));
    $('#search').addEventListener('input', () => this.update({ search: $('#search').value }));
    $('#color-scheme').addEventListener('change', () => this.update({ color: $('#color-scheme').value }));
    $('#zoom-pill button').addEventListener('click', () => this.update({ zoom: '' }, { push: true }));
    $('#tabs').addEventListener('click', e => {
      const v = e.target.closest('[data-view]')?.dataset.view;
      if (v) this.update({ view: v, zoom: '' }, { push: true });
    });
    $('#modes').addEventListener('click', e => {
      const m = e.target.closest('[data-mode]')?.dataset.mode;
      if (m) this.update({ mode: m }, { push: true });
    });
    $('#orient').addEventListener('click', e => {
      const o = e.target.closest('[data-orient]')?.dataset.orient;
      if (o) this.update({ orient: o }, { push: true });
    });
    $('#range-btn').addEventListener('click', () => {
      $('#range-pop').hidden = !$('#range-pop').hidden;
    });
    $('#range-presets').innerHTML = PRESETS.map(([label, from]) => `<button type="button" data-from="${from}">Last ${label}</button>`).join('');
    $('#range-presets').addEventListener('click', e => {
      const from = e.target.closest('[data-from]')?.dataset.from;
      if (!from) return;
      $('#range-pop').hidden = true;
      this.update({ from, until: 'now' }, { push: true });
    });
    for (const [picker, field] of [['#range-from-picker', '#range-from'], ['#range-until-picker', '#range-until']]) {
      $(picker).addEventListener('change', () => {
        const ms = new Date($(picker).value).getTime();
        if (!Number.isNaN(ms)) $(field).value = formatDateTime(ms);
      });
    }
    $('#range-apply').addEventListener('click', () => {
      try {
        const now = Date.now();
        const changes = { from: storedTime($('#range-from').value, now) || DEFAULTS.from, until: storedTime($('#range-until').value, now) || DEFAULTS.until };
        $('#range-pop').hidden = true;
        this.update(changes, { push: true });
      } catch (e) {
        this.showError(e.message);
      }
    });
    for (const side of ['left', 'right']) {
      const el = $(`#compare-panel [data-side="${side}"]`);
      el.querySelector('form').addEventListener('submit', e => {
        e.preventDefault();
        const { type } = splitQuery(this.state.query);
        try {
          const now = Date.now();
          this.update({
            [`${side}Query`]: type + (el.querySelector('.side-selector').value.trim() || '{}'),
            [`${side}From`]: storedTime(el.querySelector('.side-from').value, now),
            [`${side}Until`]: storedTime(el.querySelector('.side-until').value, now),
          }, { push: true, force: true });
        } catch (err) {
          this.showError(err.message);
        }
      });
    }
    $('#export').addEventListener('click', async e => {
      const kind = e.target.closest('[data-export]')?.dataset.export;
      if (!kind) return;
      $('#export').open = false;
      try {
        const f = await this.exportFile(kind);
        download(f.name, f.content, f.type);
      } catch (err) {
        this.showError(`export failed: ${err.message}`);
      }
    });
    $('#theme').addEventListener('click', () => {
      const theme = document.documentElement.dataset.theme === 'light' ? 'dark' : 'light';
      document.documentElement.dataset.theme = theme;
      localStorage.setItem('kiln.theme', theme);
      this.applied = {};
      this.render();
      for (const t of Object.values(this.timelines)) t.draw();
    });
    document.addEventListener('click', e => {
      if (!e.target.closest('#ctx-menu')) $('#ctx-menu').hidden = true;
      if (!e.target.closest('.range')) $('#range-pop').hidden = true;
    });
    document.addEventListener('keydown', e => {
      const typing = /^(INPUT|SELECT|TEXTAREA)$/.test(document.activeElement?.tagName);
      if (e.key === '/' && !typing) {
        e.preventDefault();
        $('#search').focus();
      } else if (e.key === 'Escape') {
        $('#ctx-menu').hidden = true;
        $('#range-pop').hidden = true;
        if (!typing && this.state.zoom) this.update({ zoom: '' }, { push: true });
      }
    });
  }

  // ---------------------------------------------------------------- export

  /** The file for an export kind: {name, content, type}. */
  async exportFile(kind) {
    const r = this.result;
    const diff = this.state.view === 'diff';
    const data = diff ? r.diff : r.main;
    const graph = this.graphs[diff ? 'diff' : 'main'];
    const stem = fileStem(r.type, r.selector, Date.now()) + (diff ? '-diff' : '');
    const title = `${r.type}${r.selector}`;
    const subtitle = diff
      ? `baseline ${formatDateTime(r.sides.left.from)} → ${formatDateTime(r.sides.left.until)}, comparison ${formatDateTime(r.sides.right.from)} → ${formatDateTime(r.sides.right.until)}`
      : `${formatDateTime(r.range.from)} → ${formatDateTime(r.range.until)}${this.state.zoom ? `, zoomed into ${this.state.zoom}` : ''}${this.state.search ? `, search "${this.state.search}"` : ''}`;
    if (kind === 'pprof') {
      const bytes = await this.api.pprof({ profileTypeID: r.type, labelSelector: r.selector, start: r.range.from, end: r.range.until });
      return { name: `${stem}.pb.gz`, content: new Blob([await gzip(bytes)]), type: 'application/octet-stream' };
    }
    if (kind === 'json') return { name: `${stem}.json`, content: JSON.stringify(data.toFlamebearer(profileTypeParts(r.type), diff ? null : this.timelineJson())), type: 'application/json' };
    if (kind === 'folded') return { name: `${stem}.folded.txt`, content: data.folded(), type: 'text/plain' };
    if (kind === 'svg') return { name: `${stem}.svg`, content: graph.toSvg(1200, `${title} — ${subtitle}`), type: 'image/svg+xml' };
    if (kind === 'html') return { name: `${stem}.html`, content: htmlPage(title, subtitle, graph.toSvg(1200)), type: 'text/html' };
    throw new Error(`unknown export ${kind}`);
  }

  /** The flamebearer timeline: one value per step over the range, like /pyroscope/render. */
  timelineJson() {
    const r = this.result;
    if (r.series.length !== 1 || this.state.groupBy) return null;
    const stepMs = r.step * 1000;
    const start = Math.floor(r.range.from / stepMs) * stepMs;
    const samples = new Array(Math.max(0, Math.ceil((r.range.until - start) / stepMs))).fill(0);
    for (const [t, v] of r.series[0].points) {
      const slot = Math.min(samples.length - 1, Math.max(0, Math.floor((t - start) / stepMs) - 1));
      samples[slot] += Math.round(v);
    }
    return { startTime: start / 1000, samples, durationDelta: r.step, watermarks: null };
  }
}

/** Sets an input's value unless the user is typing in it. */
function setIfIdle(input, value) {
  if (document.activeElement !== input && input.value !== value) input.value = value;
}

document.documentElement.dataset.theme = localStorage.getItem('kiln.theme') || 'dark';
window.kilnUi = new App();
window.kilnUi.run();
