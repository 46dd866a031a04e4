// The flame graph model: the server's nested-set levels decoded into flat typed arrays, plus the
// derived views (top table, search match, sandwich, folded text, flamebearer JSON).
//
// Nodes are numbered level by level, left to right, so a parent always comes before its
// children, the nodes of one level are a contiguous id range, and the children of a node are a
// contiguous id range in the next level.

export const OTHER = 'other';

export class FlameData {
  constructor(names, n, diff) {
    this.names = names;
    this.n = n;
    this.diff = diff;
    this.level = new Int32Array(n);
    this.name = new Int32Array(n);
    this.parent = new Int32Array(n);
    this.firstKid = new Int32Array(n);
    this.kidCount = new Int32Array(n);
    // Layout coordinates: value units for a single profile, shares (0..1 per side) for a diff.
    this.start = new Float64Array(n);
    this.total = new Float64Array(n);
    this.self = new Float64Array(n);
    if (diff) {
      this.lTotal = new Float64Array(n);
      this.lSelf = new Float64Array(n);
      this.rTotal = new Float64Array(n);
      this.rSelf = new Float64Array(n);
      this.leftTicks = 0;
      this.rightTicks = 0;
    }
    this.levelStart = new Int32Array(1);
    this.raw = null; // the server's names/levels, kept for an exact flamebearer export
  }

  get depth() {
    return this.levelStart.length - 1;
  }

  get rootTotal() {
    return this.total[0];
  }

  label(i) {
    return this.names[this.name[i]];
  }

  /** From querier.v1 FlameGraph (Connect JSON: int64 values arrive as strings). */
  static fromFlameGraph(fg) {
    const names = fg.names && fg.names.length ? fg.names : ['total'];
    const levels = (fg.levels || []).map(l => (l.values || []).map(Number));
    const d = decode(names, levels, 4);
    d.raw = { names, levels, total: Number(fg.total || 0), maxSelf: Number(fg.maxSelf || 0) };
    return d;
  }

  /** From querier.v1 FlameGraphDiff: 7-tuples [lx, ltotal, lself, rx, rtotal, rself, name]. */
  static fromDiff(fg) {
    const names = fg.names && fg.names.length ? fg.names : ['total'];
    const levels = (fg.levels || []).map(l => (l.values || []).map(Number));
    const d = decode(names, levels, 7, Number(fg.leftTicks || 0), Number(fg.rightTicks || 0));
    d.raw = { names, levels, total: Number(fg.total || 0), maxSelf: Number(fg.maxSelf || 0) };
    return d;
  }

  /** From a tree of {name, self, total, kids: Map}; children are ordered by name like the server's. */
  static fromTree(root) {
    const names = [];
    const ids = new Map();
    const nameId = s => {
      let i = ids.get(s);
      if (i === undefined) {
        i = names.length;
        names.push(s);
        ids.set(s, i);
      }
      return i;
    };
    // Breadth first: each level comes out left to right because parents are visited in order.
    const order = [root];
    const parents = [-1];
    const starts = [0];
    const levels = [0];
    for (let i = 0; i < order.length; i++) {
      let x = starts[i];
      const kids = [...order[i].kids.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      for (const k of kids) {
        order.push(k);
        parents.push(i);
        starts.push(x);
        levels.push(levels[i] + 1);
        x += k.total;
      }
    }
    const d = new FlameData(names, order.length, false);
    const depth = levels[levels.length - 1] + 1;
    d.levelStart = new Int32Array(depth + 1);
    for (let i = 0; i < order.length; i++) {
      d.level[i] = levels[i];
      d.name[i] = nameId(order[i].name);
      d.start[i] = starts[i];
      d.total[i] = order[i].total;
      d.self[i] = order[i].self;
      d.parent[i] = parents[i];
      if (i > 0 && d.kidCount[parents[i]]++ === 0) d.firstKid[parents[i]] = i;
      if (i > 0 && levels[i] !== levels[i - 1]) d.levelStart[levels[i]] = i;
    }
    d.levelStart[depth] = order.length;
    return d;
  }

  /** Function names from the root's child down to node i. */
  pathOf(i) {
    const parts = [];
    for (let p = i; p > 0; p = this.parent[p]) parts.push(this.label(p));
    return parts.reverse();
  }

  /** The node at a path of names, or -1 when the profile has no such stack. */
  findPath(parts) {
    let cur = 0;
    for (const part of parts) {
      let found = -1;
      for (let k = this.firstKid[cur], end = k + this.kidCount[cur]; k < end; k++) {
        if (this.label(k) === part) {
          found = k;
          break;
        }
      }
      if (found < 0) return -1;
      cur = found;
    }
    return cur;
  }

  nameIndex(s) {
    if (!this.nameIds) this.nameIds = new Map(this.names.map((s, i) => [s, i]));
    const i = this.nameIds.get(s);
    return i === undefined ? -1 : i;
  }

  /** True when a strict ancestor of i (below the root) is the function nameIdx: recursion. */
  hasAncestorNamed(i, nameIdx) {
    for (let p = this.parent[i]; p > 0; p = this.parent[p]) {
      if (this.name[p] === nameIdx) return true;
    }
    return false;
  }

  /** One row per function: self summed over every call site, total counted once per stack. */
  topTable() {
    const rows = new Array(this.names.length);
    const out = [];
    for (let i = 1; i < this.n; i++) {
      const nm = this.name[i];
      let r = rows[nm];
      if (!r) {
        r = rows[nm] = { name: nm, label: this.names[nm], self: 0, total: 0 };
        if (this.diff) Object.assign(r, { lSelf: 0, lTotal: 0, rSelf: 0, rTotal: 0 });
        out.push(r);
      }
      r.self += this.self[i];
      if (this.diff) {
        r.lSelf += this.lSelf[i];
        r.rSelf += this.rSelf[i];
      }
      if (!this.hasAncestorNamed(i, nm)) {
        r.total += this.total[i];
        if (this.diff) {
          r.lTotal += this.lTotal[i];
          r.rTotal += this.rTotal[i];
        }
      }
    }
    return out;
  }

  /**
   * Frames whose name matches, and the share of the profile under them with overlap counted once
   * (a match inside a match adds nothing), like FlameGraph's "Matched: x%".
   */
  match(test) {
    const byName = new Int8Array(this.names.length);
    for (let k = 0; k < this.names.length; k++) byName[k] = test(this.names[k]) ? 1 : 0;
    const matched = new Uint8Array(this.n);
    const covered = new Uint8Array(this.n);
    let count = 0;
    let total = 0;
    let lTotal = 0;
    let rTotal = 0;
    for (let i = 1; i < this.n; i++) {
      const m = byName[this.name[i]];
      if (m) {
        matched[i] = 1;
        count++;
      }
      if (covered[this.parent[i]]) covered[i] = 1;
      else if (m) {
        covered[i] = 1;
        total += this.total[i];
        if (this.diff) {
          lTotal += this.lTotal[i];
          rTotal += this.rTotal[i];
        }
      }
    }
    return { matched, count, total, lTotal, rTotal };
  }

  /** Callers (root = the function, then its callers upwards) and callees of one function. */
  sandwich(nameIdx) {
    const fn = this.names[nameIdx];
    const callers = treeNode(fn);
    const callees = treeNode(fn);
    for (let i = 1; i < this.n; i++) {
      if (this.name[i] !== nameIdx || this.hasAncestorNamed(i, nameIdx)) continue;
      const v = this.total[i];
      callers.total += v;
      let node = callers;
      for (let p = this.parent[i]; p > 0; p = this.parent[p]) {
        node = childOf(node, this.label(p));
        node.total += v;
      }
      node.self += v;
      callees.total += v;
      callees.self += this.self[i];
      this.mergeSubtree(i, callees);
    }
    return { callers: FlameData.fromTree(callers), callees: FlameData.fromTree(callees) };
  }

  mergeSubtree(i, into) {
    for (let k = this.firstKid[i], end = k + this.kidCount[i]; k < end; k++) {
      const c = childOf(into, this.label(k));
      c.total += this.total[k];
      c.self += this.self[k];
      this.mergeSubtree(k, c);
    }
  }

  /** Brendan Gregg's collapsed stacks: "a;b;c self" for every frame with self time. */
  folded() {
    const lines = [];
    const walk = (i, prefix) => {
      const path = i === 0 ? '' : prefix ? `${prefix};${this.label(i)}` : this.label(i);
      if (i > 0 && this.self[i] > 0) lines.push(`${path} ${this.self[i]}`);
      for (let k = this.firstKid[i], end = k + this.kidCount[i]; k < end; k++) walk(k, path);
    };
    walk(0, '');
    return lines.join('\n') + (lines.length ? '\n' : '');
  }

  /** Pyroscope's flamebearer JSON, as /pyroscope/render and /pyroscope/render-diff return it. */
  toFlamebearer(profileType, timeline) {
    const units = ['inuse_objects', 'alloc_objects', 'goroutine', 'goroutines', 'samples'].includes(profileType.sampleType)
      ? 'objects' : profileType.sampleType === 'cpu' ? 'samples' : profileType.sampleUnit;
    const out = {
      version: 1,
      flamebearer: { names: this.raw.names, levels: this.raw.levels, numTicks: this.raw.total, maxSelf: this.raw.maxSelf },
      metadata: {
        format: this.diff ? 'double' : 'single', spyName: '',
        sampleRate: profileType.sampleType === 'cpu' ? 1e9 : 100, units, name: profileType.sampleType,
      },
      timeline: timeline || null,
      groups: null,
      heatmap: null,
    };
    if (this.diff) {
      out.leftTicks = this.leftTicks;
      out.rightTicks = this.rightTicks;
    }
    return out;
  }
}

function treeNode(name) {
  return { name, self: 0, total: 0, kids: new Map() };
}

function childOf(node, name) {
  let c = node.kids.get(name);
  if (!c) node.kids.set(name, (c = treeNode(name)));
  return c;
}

function decode(names, levels, stride, leftTicks, rightTicks) {
  const diff = stride === 7;
  while (levels.length > 1 && levels[levels.length - 1].length === 0) levels.pop();
  let n = 0;
  for (const l of levels) n += l.length / stride;
  if (n === 0) {
    levels = [diff ? [0, 0, 0, 0, 0, 0, 0] : [0, 0, 0, 0]];
    n = 1;
  }
  const d = new FlameData(names, n, diff);
  d.levelStart = new Int32Array(levels.length + 1);
  // Exact integer coordinates (left + right for a diff) link children to parents by containment.
  const cs = new Float64Array(n);
  const ct = new Float64Array(n);
  const ls = diff ? new Float64Array(n) : null;
  const rs = diff ? new Float64Array(n) : null;
  let id = 0;
  for (let L = 0; L < levels.length; L++) {
    d.levelStart[L] = id;
    const v = levels[L];
    let endA = 0;
    let endB = 0;
    for (let k = 0; k < v.length; k += stride, id++) {
      d.level[id] = L;
      if (diff) {
        ls[id] = endA + v[k];
        endA = ls[id] + v[k + 1];
        rs[id] = endB + v[k + 3];
        endB = rs[id] + v[k + 4];
        d.lTotal[id] = v[k + 1];
        d.lSelf[id] = v[k + 2];
        d.rTotal[id] = v[k + 4];
        d.rSelf[id] = v[k + 5];
        d.name[id] = v[k + 6];
        cs[id] = ls[id] + rs[id];
        ct[id] = v[k + 1] + v[k + 4];
      } else {
        cs[id] = endA + v[k];
        endA = cs[id] + v[k + 1];
        ct[id] = v[k + 1];
        d.self[id] = v[k + 2];
        d.name[id] = v[k + 3];
      }
    }
  }
  d.levelStart[levels.length] = id;
  if (diff) {
    // Each side is drawn as its share so a busier right side does not swamp the left.
    d.leftTicks = leftTicks || d.lTotal[0];
    d.rightTicks = rightTicks || d.rTotal[0];
    const L = d.leftTicks > 0 ? 1 / d.leftTicks : 0;
    const R = d.rightTicks > 0 ? 1 / d.rightTicks : 0;
    for (let i = 0; i < n; i++) {
      d.start[i] = ls[i] * L + rs[i] * R;
      d.total[i] = d.lTotal[i] * L + d.rTotal[i] * R;
      d.self[i] = d.lSelf[i] * L + d.rSelf[i] * R;
    }
  } else {
    d.start.set(cs);
    d.total.set(ct);
  }
  d.parent[0] = -1;
  for (let L = 1; L < levels.length; L++) {
    let p = d.levelStart[L - 1];
    const pLast = d.levelStart[L] - 1;
    for (let c = d.levelStart[L]; c < d.levelStart[L + 1]; c++) {
      while (p < pLast && cs[p] + ct[p] <= cs[c]) p++;
      d.parent[c] = p;
      if (d.kidCount[p]++ === 0) d.firstKid[p] = c;
    }
  }
  return d;
}
