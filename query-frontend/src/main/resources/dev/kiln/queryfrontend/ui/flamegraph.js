// The canvas flame graph. Only frames inside the focused node's range and at least a third of a
// pixel wide are visited (a binary search per level finds the first one), so drawing cost follows
// what is on screen, not the size of the profile.

import { OTHER } from './flamedata.js';
import * as colors from './colors.js';
import { escapeHtml, percent, signedPercent } from './format.js';

export const ROW_HEIGHT = 18;
const FONT = '12px "DejaVu Sans Mono", Menlo, Consolas, monospace';
const MIN_WIDTH_PX = 0.35;
const MIN_LABEL_PX = 24;

/** The first node of level L whose range ends after x (nodes of a level are sorted and disjoint). */
function firstEndingAfter(data, L, x) {
  let a = data.levelStart[L];
  let b = data.levelStart[L + 1];
  while (a < b) {
    const m = (a + b) >> 1;
    if (data.start[m] + data.total[m] <= x) a = m + 1;
    else b = m;
  }
  return a;
}

/** The focus and its ancestors, root first: they are drawn across the whole width. */
function chainOf(data, focus) {
  const chain = [];
  for (let p = focus; p >= 0; p = data.parent[p]) chain.push(p);
  return chain.reverse();
}

/**
 * Calls visit(node, x, width, level, isAncestor) for every frame visible when `focus` spans
 * `width` pixels, level by level, left to right.
 */
export function layout(data, focus, width, visit) {
  const chain = chainOf(data, focus);
  for (const a of chain) visit(a, 0, width, data.level[a], a !== focus);
  const x0 = data.start[focus];
  const span = data.total[focus];
  if (!(span > 0)) return;
  const scale = width / span;
  const eps = span * 1e-9;
  const xEnd = x0 + span - eps;
  for (let L = data.level[focus] + 1; L < data.depth; L++) {
    const end = data.levelStart[L + 1];
    let i = firstEndingAfter(data, L, x0 + eps);
    if (i >= end || data.start[i] >= xEnd) break; // nothing deeper can be inside the focus either
    for (; i < end && data.start[i] < xEnd; i++) {
      const w = data.total[i] * scale;
      if (w >= MIN_WIDTH_PX) visit(i, (data.start[i] - x0) * scale, w, L, false);
    }
  }
}

/** Rows needed to show the focus, its ancestors and its deepest descendant. */
function rowsFor(data, focus) {
  const x0 = data.start[focus];
  const span = data.total[focus];
  const eps = span * 1e-9;
  let L = data.level[focus] + 1;
  for (; L < data.depth; L++) {
    const i = firstEndingAfter(data, L, x0 + eps);
    if (i >= data.levelStart[L + 1] || data.start[i] >= x0 + span - eps) break;
  }
  return L;
}

/** "com.acme.shop.Cart.total" shortened in the middle to fit `chars` characters; too few → none. */
function fitLabel(text, chars) {
  if (text.length <= chars) return text;
  if (chars < 8) return '';
  const keep = chars - 1;
  const head = Math.ceil(keep / 2);
  return `${text.slice(0, head)}…${text.slice(text.length - (keep - head))}`;
}

export class FlameGraph {
  /**
   * @param host element the graph fills (its width is the graph's width)
   * @param opts {onZoom(node), onContext(node, event)}
   */
  constructor(host, opts = {}) {
    this.host = host;
    this.opts = opts;
    host.classList.add('flame');
    this.canvas = document.createElement('canvas');
    this.hoverBox = document.createElement('div');
    this.hoverBox.className = 'flame-hover';
    this.tip = document.createElement('div');
    this.tip.className = 'tooltip';
    this.tip.hidden = true;
    this.hoverBox.hidden = true;
    host.append(this.canvas, this.hoverBox, this.tip);
    this.data = null;
    this.focus = 0;
    this.orientation = 'icicle';
    this.scheme = 'package';
    this.matched = null;
    this.highlight = -1;
    this.format = v => String(v);
    this.frame = null;
    this.lastDrawMs = 0;
    this.lastInteractionMs = 0;
    this.lastPaintMs = 0;
    this.canvas.addEventListener('mousemove', e => this.onMove(e));
    this.canvas.addEventListener('mouseleave', () => this.hideTip());
    this.canvas.addEventListener('click', e => this.onClick(e));
    this.canvas.addEventListener('contextmenu', e => {
      const node = this.nodeAtEvent(e);
      if (node >= 0 && this.opts.onContext) {
        e.preventDefault();
        this.opts.onContext(node, e);
      }
    });
    let lastWidth = 0;
    new ResizeObserver(() => {
      if (this.host.clientWidth !== lastWidth && this.data) {
        lastWidth = this.host.clientWidth;
        this.draw();
      }
    }).observe(host);
  }

  setData(data, format) {
    this.data = data;
    this.format = format;
    this.focus = 0;
    this.matched = null;
    this.highlight = -1;
    this.colorCache = new Array(data.names.length);
    this.hideTip();
  }

  /** Applies any of {focus, orientation, scheme, search (a name test or null), highlight} and redraws. */
  set(view) {
    if (!this.data) return;
    if (view.focus !== undefined && view.focus !== this.focus) {
      this.focus = view.focus >= 0 && view.focus < this.data.n ? view.focus : 0;
      this.hideTip(); // the frame under the pointer moved
    }
    if (view.orientation) this.orientation = view.orientation;
    if (view.scheme && view.scheme !== this.scheme) {
      this.scheme = view.scheme;
      this.colorCache = new Array(this.data.names.length);
    }
    if (view.search !== undefined) this.matched = view.search ? this.data.match(view.search).matched : null;
    if (view.highlight !== undefined) this.highlight = view.highlight;
    this.draw();
  }

  baseColor(i) {
    const d = this.data;
    if (i === 0) return colors.ROOT;
    if (d.label(i) === OTHER) return colors.NEUTRAL;
    if (d.diff) {
      const l = d.leftTicks > 0 ? d.lTotal[i] / d.leftTicks : 0;
      const r = d.rightTicks > 0 ? d.rTotal[i] / d.rightTicks : 0;
      return colors.diffColor(colors.diffRatio(l, r));
    }
    if (this.scheme === 'value') return colors.valueColor(d.total[i] / d.rootTotal);
    const nm = d.name[i];
    return this.colorCache[nm] || (this.colorCache[nm] = colors.packageColor(d.names[nm]));
  }

  /** The fill of node i as drawn: dimmed when a search or a selected function leaves it out. */
  colorOf(i, isAncestor) {
    const rgb = this.baseColor(i);
    const miss = i > 0 && ((this.matched && !this.matched[i]) || (this.highlight >= 0 && this.data.name[i] !== this.highlight));
    if (miss) return colors.mix(rgb, this.background, 0.75);
    return isAncestor ? colors.mix(rgb, this.background, 0.35) : rgb;
  }

  draw() {
    const d = this.data;
    if (!d) return;
    const t0 = performance.now();
    const width = Math.max(100, this.host.clientWidth);
    const rows = rowsFor(d, this.focus);
    const height = rows * ROW_HEIGHT;
    const dpr = window.devicePixelRatio || 1;
    if (this.canvas.width !== Math.round(width * dpr) || this.canvas.height !== Math.round(height * dpr)) {
      this.canvas.width = Math.round(width * dpr);
      this.canvas.height = Math.round(height * dpr);
      this.canvas.style.width = `${width}px`;
      this.canvas.style.height = `${height}px`;
    }
    this.background = parseRgb(getComputedStyle(this.host).getPropertyValue('--bg')) || [255, 255, 255];
    const ctx = this.canvas.getContext('2d');
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, width, height);
    ctx.font = FONT;
    ctx.textBaseline = 'middle';
    const charW = ctx.measureText('mmmmmmmmmm').width / 10;
    const labels = [];
    const others = [];
    layout(d, this.focus, width, (i, x, w, L, isAncestor) => {
      const y = this.rowY(L, rows);
      const rgb = this.colorOf(i, isAncestor);
      ctx.fillStyle = colors.css(rgb);
      ctx.fillRect(x, y, w > 2 ? w - 0.5 : w, ROW_HEIGHT - 1);
      if (i > 0 && d.label(i) === OTHER) others.push([x, y, w]);
      if (w >= MIN_LABEL_PX) {
        const text = fitLabel(i === 0 && d.diff ? 'total (baseline + comparison)' : d.label(i), Math.floor((w - 6) / charW));
        if (text) labels.push({ node: i, text, x, y, w, color: colors.textColorFor(rgb) });
      }
    });
    if (others.length) {
      ctx.fillStyle = this.hatch(ctx);
      for (const [x, y, w] of others) ctx.fillRect(x, y, w, ROW_HEIGHT - 1);
    }
    for (const l of labels) {
      ctx.fillStyle = l.color;
      ctx.fillText(l.text, l.x + 3, l.y + ROW_HEIGHT / 2);
    }
    this.frame = { rows, width, labels, chain: chainOf(d, this.focus), x0: d.start[this.focus], scale: width / (d.total[this.focus] || 1) };
    this.lastDrawMs = performance.now() - t0;
  }

  /** Diagonal stripes marking frames the server merged into "other". */
  hatch(ctx) {
    if (!this.hatchPattern) {
      const c = document.createElement('canvas');
      c.width = c.height = 8;
      const g = c.getContext('2d');
      g.strokeStyle = 'rgba(40,40,40,0.55)';
      g.lineWidth = 2;
      g.beginPath();
      g.moveTo(0, 8);
      g.lineTo(8, 0);
      g.stroke();
      this.hatchPattern = ctx.createPattern(c, 'repeat');
    }
    return this.hatchPattern;
  }

  rowY(level, rows) {
    return (this.orientation === 'icicle' ? level : rows - 1 - level) * ROW_HEIGHT;
  }

  nodeAt(x, y) {
    const f = this.frame;
    const d = this.data;
    if (!f || x < 0 || x >= f.width) return -1;
    const row = Math.floor(y / ROW_HEIGHT);
    const L = this.orientation === 'icicle' ? row : f.rows - 1 - row;
    if (L < 0 || L >= f.rows) return -1;
    if (L < f.chain.length) return f.chain[L];
    const xv = f.x0 + x / f.scale;
    const i = firstEndingAfter(d, L, xv);
    return i < d.levelStart[L + 1] && d.start[i] <= xv ? i : -1;
  }

  nodeAtEvent(e) {
    const r = this.canvas.getBoundingClientRect();
    return this.nodeAt(e.clientX - r.left, e.clientY - r.top);
  }

  /** Where node i is drawn, in CSS pixels relative to the canvas, or null when it is not drawn. */
  rectOf(i) {
    const f = this.frame;
    if (!f || i < 0) return null;
    const d = this.data;
    const L = d.level[i];
    if (L >= f.rows) return null;
    const y = this.rowY(L, f.rows);
    if (L < f.chain.length) return f.chain[L] === i ? { x: 0, y, w: f.width, h: ROW_HEIGHT - 1 } : null;
    const x = (d.start[i] - f.x0) * f.scale;
    const w = d.total[i] * f.scale;
    if (x + w <= 0 || x >= f.width || w < MIN_WIDTH_PX) return null;
    return { x, y, w, h: ROW_HEIGHT - 1 };
  }

  visibleLabels() {
    return this.frame ? this.frame.labels.map(l => l.text) : [];
  }

  onMove(e) {
    const node = this.nodeAtEvent(e);
    if (node < 0) {
      this.hideTip();
      return;
    }
    const rect = this.rectOf(node);
    if (rect) {
      Object.assign(this.hoverBox.style, { left: `${rect.x}px`, top: `${rect.y}px`, width: `${rect.w}px`, height: `${rect.h}px` });
      this.hoverBox.hidden = false;
    }
    this.tip.innerHTML = this.describe(node);
    this.tip.dataset.node = String(node);
    this.tip.hidden = false;
    const hostRect = this.host.getBoundingClientRect();
    const x = e.clientX - hostRect.left;
    const y = e.clientY - hostRect.top;
    const left = x + 16 + this.tip.offsetWidth > hostRect.width ? Math.max(0, x - 16 - this.tip.offsetWidth) : x + 16;
    this.tip.style.left = `${left}px`;
    this.tip.style.top = `${y + 16}px`;
  }

  hideTip() {
    this.tip.hidden = true;
    this.hoverBox.hidden = true;
  }

  /** Tooltip HTML: value, share of the total and of the parent; both sides and the change for a diff. */
  describe(i) {
    const d = this.data;
    const name = `<div class="tt-name">${escapeHtml(i === 0 ? 'total' : d.label(i))}</div>`;
    if (d.diff) {
      const ls = d.leftTicks > 0 ? d.lTotal[i] / d.leftTicks : 0;
      const rs = d.rightTicks > 0 ? d.rTotal[i] / d.rightTicks : 0;
      const change = ls > 0 ? (rs - ls) / ls : rs > 0 ? Infinity : 0;
      return `${name}<table>
        <tr><th>Baseline</th><td>${this.format(d.lTotal[i])}</td><td>${percent(d.lTotal[i], d.leftTicks)}</td><td>self ${this.format(d.lSelf[i])}</td></tr>
        <tr><th>Comparison</th><td>${this.format(d.rTotal[i])}</td><td>${percent(d.rTotal[i], d.rightTicks)}</td><td>self ${this.format(d.rSelf[i])}</td></tr>
        <tr><th>Change</th><td colspan="3">${signedPercent(change)} of its share</td></tr></table>`;
    }
    const p = d.parent[i];
    const ofParent = p >= 0 ? `, ${percent(d.total[i], d.total[p])} of parent` : '';
    return `${name}<table>
      <tr><th>Total</th><td>${this.format(d.total[i])}</td><td>${percent(d.total[i], d.rootTotal)} of total${ofParent}</td></tr>
      <tr><th>Self</th><td>${this.format(d.self[i])}</td><td>${percent(d.self[i], d.rootTotal)} of total</td></tr></table>`;
  }

  onClick(e) {
    const node = this.nodeAtEvent(e);
    if (node < 0 || !this.opts.onZoom) return;
    const t0 = performance.now();
    this.opts.onZoom(node);
    this.lastInteractionMs = performance.now() - t0;
    requestAnimationFrame(() => {
      this.lastPaintMs = performance.now() - t0;
    });
  }

  /** The current view (focus, search, colours) as a standalone SVG document. */
  toSvg(width = 1200, title = '') {
    const d = this.data;
    const rows = rowsFor(d, this.focus);
    const top = title ? 24 : 0;
    const charW = 7.2;
    const parts = [];
    layout(d, this.focus, width, (i, x, w, L, isAncestor) => {
      const y = this.rowY(L, rows) + top;
      const rgb = this.colorOf(i, isAncestor);
      const label = i === 0 ? 'total' : d.label(i);
      const tip = d.diff
        ? `${label}: baseline ${this.format(d.lTotal[i])}, comparison ${this.format(d.rTotal[i])}`
        : `${label}: total ${this.format(d.total[i])} (${percent(d.total[i], d.rootTotal)}), self ${this.format(d.self[i])}`;
      const text = w >= MIN_LABEL_PX ? fitLabel(label, Math.floor((w - 6) / charW)) : '';
      parts.push(`<g><title>${escapeHtml(tip)}</title><rect x="${x.toFixed(2)}" y="${y}" width="${Math.max(0.1, w - 0.5).toFixed(2)}" height="${ROW_HEIGHT - 1}" fill="${colors.css(rgb)}"${
        i > 0 && d.label(i) === OTHER ? ' stroke="#333" stroke-dasharray="3,2"' : ''}/>${
        text ? `<text x="${(x + 3).toFixed(2)}" y="${y + 13}" fill="${colors.textColorFor(rgb)}">${escapeHtml(text)}</text>` : ''}</g>`);
    });
    const height = rows * ROW_HEIGHT + top;
    return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="12">${
      title ? `<text x="0" y="16" font-size="14" font-weight="bold">${escapeHtml(title)}</text>` : ''}${parts.join('')}</svg>`;
  }
}

function parseRgb(value) {
  const v = value.trim();
  const hex = /^#([0-9a-f]{6})$/i.exec(v);
  if (hex) {
    const n = parseInt(hex[1], 16);
    return [n >> 16, (n >> 8) & 255, n & 255];
  }
  const m = /rgb\((\d+),\s*(\d+),\s*(\d+)\)/.exec(v);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : null;
}
