// Exports of what is on screen: the merged pprof (fetched from the server), flamebearer JSON,
// collapsed/folded stacks, and a self-contained SVG or HTML page of the current view.

import { escapeHtml } from './format.js';

export function download(filename, content, type) {
  const blob = content instanceof Blob ? content : new Blob([content], { type });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export async function gzip(bytes) {
  const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** A file name stem from the query: "process_cpu-shop-20261124-1530". */
export function fileStem(profileType, selector, nowMs) {
  const service = /service_name\s*=\s*"([^"]*)"/.exec(selector);
  const d = new Date(nowMs);
  const stamp = `${d.getFullYear()}${String(d.getMonth() + 1).padStart(2, '0')}${String(d.getDate()).padStart(2, '0')}-${
    String(d.getHours()).padStart(2, '0')}${String(d.getMinutes()).padStart(2, '0')}`;
  return [profileType.split(':')[0], service ? service[1] : null, stamp].filter(Boolean).join('-').replace(/[^\w.-]+/g, '_');
}

/** A standalone HTML page around an SVG: opens anywhere, no network, SVG tooltips per frame. */
export function htmlPage(title, subtitle, svg) {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;margin:16px;color:#222;background:#fff}h1{font-size:16px;margin:0 0 4px}p{margin:0 0 12px;color:#555;font-size:13px}svg text{pointer-events:none}svg g:hover rect{stroke:#000;stroke-width:1}</style>
</head><body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(subtitle)}</p>
${svg}
</body></html>
`;
}
