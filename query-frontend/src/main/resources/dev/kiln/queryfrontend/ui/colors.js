// Frame colours: a stable colour per package (so one library reads as one colour across graphs
// and reloads), a heat scale by value, and a colour-blind-safe diverging scale for diffs
// (Okabe–Ito blue for "shrank", vermillion for "grew").

export const NEUTRAL = [190, 190, 190];
export const ROOT = [150, 155, 165];
export const DIFF_DECREASE = [0, 114, 178];
export const DIFF_INCREASE = [213, 94, 0];

/**
 * The package part of a frame name: "com.acme.Cart.total" → "com.acme",
 * "github.com/x/y.(*T).M" → "github.com/x/y", "tokio::runtime::park" → "tokio".
 */
export function packageOf(name) {
  const slash = name.lastIndexOf('/');
  if (slash >= 0) {
    const dot = name.indexOf('.', slash);
    return dot > 0 ? name.slice(0, dot) : name.slice(0, slash);
  }
  const colons = name.indexOf('::');
  if (colons > 0) return name.slice(0, colons);
  const parts = name.split('.');
  if (parts.length < 2) return name;
  let i = 0;
  while (i < parts.length - 1 && !/^[A-Z$]/.test(parts[i])) i++;
  return parts.slice(0, Math.max(1, i)).join('.');
}

function hash(s) {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return h >>> 0;
}

/** Any hue, but light and moderately saturated so dark labels stay readable on every frame. */
export function packageColor(name) {
  const h = hash(packageOf(name));
  return hslToRgb(h % 360, 0.5 + ((h >>> 9) % 20) / 100, 0.62 + ((h >>> 17) % 10) / 100);
}

function hslToRgb(hue, s, l) {
  const c = (1 - Math.abs(2 * l - 1)) * s;
  const x = c * (1 - Math.abs(((hue / 60) % 2) - 1));
  const m = l - c / 2;
  const [r, g, b] = hue < 60 ? [c, x, 0] : hue < 120 ? [x, c, 0] : hue < 180 ? [0, c, x] : hue < 240 ? [0, x, c] : hue < 300 ? [x, 0, c] : [c, 0, x];
  return [r, g, b].map(v => Math.round((v + m) * 255));
}

/** Yellow for a small share of the total through red for all of it. */
export function valueColor(share) {
  const t = Math.sqrt(Math.max(0, Math.min(1, share)));
  return [Math.round(250 - 20 * t), Math.round(220 - 160 * t), Math.round(120 - 70 * t)];
}

/**
 * Relative change of a frame's share between baseline and comparison: −1 when it disappeared,
 * +1 when it is new, (right − left) / max(left, right) otherwise.
 */
export function diffRatio(leftShare, rightShare) {
  const m = Math.max(leftShare, rightShare);
  return m > 0 ? (rightShare - leftShare) / m : 0;
}

export function diffColor(ratio) {
  if (Math.abs(ratio) < 0.01) return NEUTRAL;
  const to = ratio > 0 ? DIFF_INCREASE : DIFF_DECREASE;
  // sqrt so that small changes are already visibly tinted
  return mix(NEUTRAL, to, Math.sqrt(Math.min(1, Math.abs(ratio))));
}

/** rgb moved a fraction t of the way towards `to` (e.g. the background, to dim a frame). */
export function mix(rgb, to, t) {
  return [0, 1, 2].map(k => Math.round(rgb[k] + (to[k] - rgb[k]) * t));
}

export function css(rgb) {
  return `rgb(${rgb[0]},${rgb[1]},${rgb[2]})`;
}

/** Dark text on light fills, white on dark ones. */
export function textColorFor(rgb) {
  const l = (0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2]) / 255;
  return l > 0.55 ? '#1b1d22' : '#ffffff';
}
