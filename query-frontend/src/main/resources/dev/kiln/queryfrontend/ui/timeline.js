// The time series above the flame graph (SelectSeries), one line per group, with drag-to-select
// a time range and optional highlighted ranges (the two sides of a comparison).

import { escapeHtml, formatAxisTime, formatDateTime } from './format.js';

const HEIGHT = 150;
const PAD = { left: 64, right: 12, top: 10, bottom: 22 };
export const SERIES_COLORS = ['#5794f2', '#f2a65a', '#73bf69', '#b877d9', '#ff7383', '#fade2a', '#8ab8ff', '#ca95e5', '#96d98d', '#ffb357'];

function niceMax(v) {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

export class Timeline {
  /** @param opts {onSelect(fromMs, untilMs), format(value)} */
  constructor(host, opts) {
    this.host = host;
    this.opts = opts;
    host.classList.add('timeline');
    this.canvas = document.createElement('canvas');
    this.drag = document.createElement('div');
    this.drag.className = 'timeline-drag';
    this.drag.hidden = true;
    this.tip = document.createElement('div');
    this.tip.className = 'tooltip';
    this.tip.hidden = true;
    host.append(this.canvas, this.drag, this.tip);
    this.series = [];
    this.marks = [];
    this.canvas.addEventListener('pointerdown', e => this.onDown(e));
    this.canvas.addEventListener('pointermove', e => this.onHover(e));
    this.canvas.addEventListener('pointerleave', () => {
      this.tip.hidden = true;
    });
    new ResizeObserver(() => this.draw()).observe(host);
  }

  /** @param series [{label, points: [[ms, value]]}] */
  setData(series, fromMs, untilMs, stepMs) {
    this.series = series;
    this.from = fromMs;
    this.until = untilMs;
    this.step = stepMs;
    this.draw();
  }

  /** Ranges to shade: [{from, until, color}]. */
  setMarks(marks) {
    this.marks = marks;
    this.draw();
  }

  x(ms) {
    const w = this.width - PAD.left - PAD.right;
    return PAD.left + ((ms - this.from) / (this.until - this.from)) * w;
  }

  timeAt(px) {
    const w = this.width - PAD.left - PAD.right;
    return this.from + ((px - PAD.left) / w) * (this.until - this.from);
  }

  /** Points per series with empty buckets filled with zero, so gaps read as "no samples". */
  filled(points) {
    const step = this.step;
    const byTime = new Map(points);
    // The grid follows the buckets the server used (they start at the query's start).
    const phase = points.length ? ((points[0][0] % step) + step) % step : 0;
    let t = this.from + ((((phase - this.from) % step) + step) % step);
    const out = [];
    for (; t <= this.until; t += step) {
      out.push([t, byTime.get(t) || 0]);
      byTime.delete(t);
    }
    out.push(...byTime);
    return out.sort((a, b) => a[0] - b[0]);
  }

  draw() {
    if (this.from === undefined) return;
    const width = Math.max(200, this.host.clientWidth);
    this.width = width;
    const dpr = window.devicePixelRatio || 1;
    this.canvas.width = Math.round(width * dpr);
    this.canvas.height = Math.round(HEIGHT * dpr);
    this.canvas.style.width = `${width}px`;
    this.canvas.style.height = `${HEIGHT}px`;
    const ctx = this.canvas.getContext('2d');
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    const style = getComputedStyle(this.host);
    const fg = style.getPropertyValue('--muted').trim() || '#888';
    const grid = style.getPropertyValue('--grid').trim() || '#ddd';
    const series = this.series.map(s => ({ ...s, points: this.filled(s.points) }));
    const max = niceMax(Math.max(0, ...series.flatMap(s => s.points.map(p => p[1]))));
    const plotH = HEIGHT - PAD.top - PAD.bottom;
    const y = v => PAD.top + plotH - (v / max) * plotH;
    ctx.font = '11px sans-serif';
    ctx.fillStyle = fg;
    ctx.strokeStyle = grid;
    ctx.lineWidth = 1;
    ctx.textBaseline = 'middle';
    ctx.textAlign = 'right';
    for (let k = 0; k <= 4; k++) {
      const v = (max * k) / 4;
      ctx.beginPath();
      ctx.moveTo(PAD.left, Math.round(y(v)) + 0.5);
      ctx.lineTo(width - PAD.right, Math.round(y(v)) + 0.5);
      ctx.stroke();
      ctx.fillText(this.opts.format(v), PAD.left - 6, y(v));
    }
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    const span = this.until - this.from;
    const ticks = Math.max(2, Math.floor((width - PAD.left - PAD.right) / 110));
    for (let k = 0; k <= ticks; k++) {
      const t = this.from + (span * k) / ticks;
      ctx.fillText(formatAxisTime(t, span), Math.min(width - 30, Math.max(PAD.left + 20, this.x(t))), HEIGHT - PAD.bottom + 6);
    }
    for (const m of this.marks) {
      ctx.fillStyle = m.color;
      const a = Math.max(PAD.left, this.x(m.from));
      const b = Math.min(width - PAD.right, this.x(m.until));
      if (b > a) ctx.fillRect(a, PAD.top, b - a, plotH);
    }
    series.forEach((s, k) => {
      const color = SERIES_COLORS[k % SERIES_COLORS.length];
      ctx.strokeStyle = color;
      ctx.fillStyle = color;
      ctx.lineWidth = 1.5;
      ctx.beginPath();
      s.points.forEach(([t, v], j) => (j ? ctx.lineTo(this.x(t), y(v)) : ctx.moveTo(this.x(t), y(v))));
      ctx.stroke();
      if (series.length === 1 && s.points.length) {
        ctx.globalAlpha = 0.15;
        ctx.lineTo(this.x(s.points[s.points.length - 1][0]), y(0));
        ctx.lineTo(this.x(s.points[0][0]), y(0));
        ctx.fill();
        ctx.globalAlpha = 1;
      }
      for (const [t, v] of s.points) if (v > 0) ctx.fillRect(this.x(t) - 1.5, y(v) - 1.5, 3, 3);
    });
    this.plot = { series, y, max };
  }

  onHover(e) {
    if (!this.plot || this.dragging) return;
    const r = this.canvas.getBoundingClientRect();
    const px = e.clientX - r.left;
    if (px < PAD.left || px > this.width - PAD.right) {
      this.tip.hidden = true;
      return;
    }
    const t = Math.round(this.timeAt(px) / this.step) * this.step;
    const lines = this.plot.series.map(s => {
      const p = s.points.find(q => q[0] === t);
      return `<div>${s.label ? `${escapeHtml(s.label)}: ` : ''}${this.opts.format(p ? p[1] : 0)}</div>`;
    });
    this.tip.innerHTML = `<div class="tt-name">${formatDateTime(t)}</div>${lines.join('')}`;
    this.tip.hidden = false;
    this.tip.style.left = `${Math.min(px + 12, this.width - this.tip.offsetWidth)}px`;
    this.tip.style.top = '8px';
  }

  onDown(e) {
    const r = this.canvas.getBoundingClientRect();
    const startX = Math.max(PAD.left, Math.min(this.width - PAD.right, e.clientX - r.left));
    this.dragging = true;
    this.tip.hidden = true;
    this.canvas.setPointerCapture(e.pointerId);
    const move = ev => {
      const x = Math.max(PAD.left, Math.min(this.width - PAD.right, ev.clientX - r.left));
      Object.assign(this.drag.style, { left: `${Math.min(startX, x)}px`, width: `${Math.abs(x - startX)}px`, top: `${PAD.top}px`, height: `${HEIGHT - PAD.top - PAD.bottom}px` });
      this.drag.hidden = false;
    };
    const up = ev => {
      this.canvas.removeEventListener('pointermove', move);
      this.canvas.removeEventListener('pointerup', up);
      this.dragging = false;
      this.drag.hidden = true;
      const x = Math.max(PAD.left, Math.min(this.width - PAD.right, ev.clientX - r.left));
      if (Math.abs(x - startX) >= 4) {
        const a = Math.round(this.timeAt(Math.min(startX, x)));
        const b = Math.round(this.timeAt(Math.max(startX, x)));
        this.opts.onSelect(a, b);
      }
    };
    this.canvas.addEventListener('pointermove', move);
    this.canvas.addEventListener('pointerup', up);
  }
}
