// The query API the UI calls: querier.v1.QuerierService over Connect unary, the same calls
// Grafana's Pyroscope data source makes. JSON for everything except the pprof export, which asks
// for binary protobuf so the profile bytes arrive untouched.

const SERVICE = 'querier.v1.QuerierService/';

export class ApiError extends Error {}

export class Api {
  /** @param tenant a function returning the X-Scope-OrgID to send, or '' for none */
  constructor(tenant) {
    this.tenant = tenant;
  }

  headers(contentType) {
    const h = { 'Content-Type': contentType, 'Connect-Protocol-Version': '1' };
    const t = this.tenant();
    if (t) h['X-Scope-OrgID'] = t;
    return h;
  }

  async call(method, body) {
    const r = await fetch(SERVICE + method, { method: 'POST', headers: this.headers('application/json'), body: JSON.stringify(body) });
    const text = await r.text();
    if (!r.ok) throw new ApiError(`${method}: ${errorMessage(text, r.status)}`);
    return text ? JSON.parse(text) : {};
  }

  async profileTypes(start, end) {
    return (await this.call('ProfileTypes', { start, end })).profileTypes || [];
  }

  async labelNames(matchers, start, end) {
    return (await this.call('LabelNames', { matchers, start, end })).names || [];
  }

  async labelValues(name, matchers, start, end) {
    return (await this.call('LabelValues', { name, matchers, start, end })).names || [];
  }

  /** Series as [{labels: {name: value}, points: [[ms, value]]}]. */
  async selectSeries({ profileTypeID, labelSelector, start, end, step, groupBy }) {
    const r = await this.call('SelectSeries', {
      profileTypeID, labelSelector, start, end, step, groupBy: groupBy ? [groupBy] : [],
    });
    return (r.series || []).map(s => ({
      labels: Object.fromEntries((s.labels || []).map(l => [l.name, l.value])),
      points: (s.points || []).map(p => [Number(p.timestamp), p.value || 0]),
    }));
  }

  async flameGraph({ profileTypeID, labelSelector, start, end, maxNodes }) {
    const req = { profileTypeID, labelSelector, start, end };
    if (maxNodes) req.maxNodes = maxNodes;
    return (await this.call('SelectMergeStacktraces', req)).flamegraph || { names: ['total'], levels: [{ values: ['0', '0', '0', '0'] }], total: '0' };
  }

  async diff(left, right, maxNodes) {
    const side = s => (maxNodes ? { ...s, maxNodes } : s);
    return (await this.call('Diff', { left: side(left), right: side(right) })).flamegraph;
  }

  /** The merged profile as serialized pprof bytes (google.v1.Profile, uncompressed). */
  async pprof({ profileTypeID, labelSelector, start, end }) {
    const req = [];
    pbString(req, 1, profileTypeID);
    pbString(req, 2, labelSelector);
    pbVarintField(req, 3, start);
    pbVarintField(req, 4, end);
    pbVarintField(req, 6, 4); // PROFILE_FORMAT_PPROF
    const r = await fetch(SERVICE + 'SelectMergeStacktraces', {
      method: 'POST', headers: this.headers('application/proto'), body: new Uint8Array(req),
    });
    const bytes = new Uint8Array(await r.arrayBuffer());
    if (!r.ok) throw new ApiError(`SelectMergeStacktraces: ${errorMessage(new TextDecoder().decode(bytes), r.status)}`);
    // SelectMergeStacktracesResponse.pprof (5) → PprofProfile.profile (1)
    const pprof = pbField(bytes, 5);
    return pprof ? pbField(pprof, 1) || new Uint8Array(0) : new Uint8Array(0);
  }
}

function errorMessage(text, status) {
  try {
    const e = JSON.parse(text);
    return e.message || e.code || `HTTP ${status}`;
  } catch {
    return text || `HTTP ${status}`;
  }
}

// Just enough protobuf for one request and two nested fields of the response.

function pbVarint(out, v) {
  while (v >= 128) {
    out.push((v % 128) + 128);
    v = Math.floor(v / 128);
  }
  out.push(v);
}

function pbVarintField(out, field, v) {
  pbVarint(out, field * 8);
  pbVarint(out, v);
}

function pbString(out, field, s) {
  const b = new TextEncoder().encode(s);
  pbVarint(out, field * 8 + 2);
  pbVarint(out, b.length);
  for (const x of b) out.push(x);
}

/** The first length-delimited field `want` of a message, or null. */
function pbField(bytes, want) {
  let i = 0;
  const varint = () => {
    let v = 0;
    let mul = 1;
    for (;;) {
      const b = bytes[i++];
      v += (b & 127) * mul;
      if (b < 128) return v;
      mul *= 128;
    }
  };
  while (i < bytes.length) {
    const tag = varint();
    const field = Math.floor(tag / 8);
    const wire = tag % 8;
    if (wire === 0) varint();
    else if (wire === 1) i += 8;
    else if (wire === 5) i += 4;
    else if (wire === 2) {
      const len = varint();
      if (field === want) return bytes.subarray(i, i + len);
      i += len;
    } else throw new Error(`unsupported protobuf wire type ${wire}`);
  }
  return null;
}
