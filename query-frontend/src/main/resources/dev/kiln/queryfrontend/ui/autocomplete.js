// Autocomplete for a label selector input such as {service_name="shop", env=~"prod.*"}: label
// names after "{" or ",", label values inside the quotes after an operator.

import { escapeHtml } from './format.js';

const MAX_ITEMS = 50;

/** What the text before the caret is in the middle of: a label name, a value, or neither. */
export function completionContext(text, caret) {
  const before = text.slice(0, caret);
  let m = /([A-Za-z_][\w.]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)$/.exec(before);
  if (m) return { kind: 'value', label: m[1], prefix: m[3], from: caret - m[3].length, quoted: true };
  m = /([A-Za-z_][\w.]*)\s*(=~|!~|!=|=)\s*$/.exec(before);
  if (m) return { kind: 'value', label: m[1], prefix: '', from: caret, quoted: false };
  if (before.trim() === '') return { kind: 'name', prefix: '', from: caret, lead: '{' };
  m = /[{,]\s*([A-Za-z_][\w.]*)?$/.exec(before);
  if (m) return { kind: 'name', prefix: m[1] || '', from: caret - (m[1] || '').length, lead: '' };
  return null;
}

export class SelectorAutocomplete {
  /** @param source {names(): Promise<string[]>, values(label): Promise<string[]>} */
  constructor(input, source) {
    this.input = input;
    this.source = source;
    this.list = document.createElement('ul');
    this.list.className = 'suggest';
    this.list.hidden = true;
    input.insertAdjacentElement('afterend', this.list);
    this.items = [];
    this.active = 0;
    input.addEventListener('input', () => this.update());
    input.addEventListener('focus', () => this.update());
    input.addEventListener('click', () => this.update());
    input.addEventListener('blur', () => setTimeout(() => this.close(), 150));
    input.addEventListener('keydown', e => this.onKey(e));
    this.list.addEventListener('mousedown', e => {
      const li = e.target.closest('li');
      if (!li) return;
      e.preventDefault();
      this.accept(Number(li.dataset.index));
    });
  }

  async update() {
    const ctx = completionContext(this.input.value, this.input.selectionStart ?? this.input.value.length);
    const seq = (this.seq = (this.seq || 0) + 1);
    if (!ctx) return this.close();
    let options;
    try {
      options = ctx.kind === 'name' ? (await this.source.names()).filter(n => !n.startsWith('__')) : await this.source.values(ctx.label);
    } catch {
      return this.close();
    }
    if (seq !== this.seq) return undefined; // a newer keystroke won
    const p = ctx.prefix.toLowerCase();
    const starts = options.filter(o => o.toLowerCase().startsWith(p));
    const contains = options.filter(o => !o.toLowerCase().startsWith(p) && o.toLowerCase().includes(p));
    this.items = [...starts, ...contains].slice(0, MAX_ITEMS);
    this.ctx = ctx;
    this.active = 0;
    if (!this.items.length || (this.items.length === 1 && this.items[0] === ctx.prefix && ctx.kind === 'value')) return this.close();
    this.render();
    return undefined;
  }

  render() {
    this.list.innerHTML = this.items.map((o, k) =>
      `<li data-index="${k}" class="${k === this.active ? 'active' : ''}"><span class="kind">${this.ctx.kind === 'name' ? 'label' : 'value'}</span>${escapeHtml(o)}</li>`).join('');
    this.list.hidden = false;
  }

  close() {
    this.list.hidden = true;
    this.items = [];
  }

  onKey(e) {
    if (this.list.hidden || !this.items.length) return;
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      this.active = (this.active + (e.key === 'ArrowDown' ? 1 : this.items.length - 1)) % this.items.length;
      this.render();
    } else if (e.key === 'Enter' || e.key === 'Tab') {
      e.preventDefault();
      this.accept(this.active);
    } else if (e.key === 'Escape') {
      this.close();
    }
  }

  accept(k) {
    const ctx = this.ctx;
    const text = this.input.value;
    const caret = this.input.selectionStart ?? text.length;
    const after = text.slice(caret);
    let insert;
    if (ctx.kind === 'name') {
      insert = `${ctx.lead}${this.items[k]}="`;
    } else {
      const value = this.items[k].replace(/\\/g, '\\\\').replace(/"/g, '\\"');
      insert = ctx.quoted ? value + (after.startsWith('"') ? '' : '"') : `"${value}"`;
    }
    let rest = after;
    if (ctx.kind === 'name' && ctx.lead && !rest.includes('}')) rest += '}';
    this.input.value = text.slice(0, ctx.from) + insert + rest;
    let pos = ctx.from + insert.length;
    if (ctx.kind === 'value' && ctx.quoted && after.startsWith('"')) pos += 1;
    this.input.setSelectionRange(pos, pos);
    this.close();
    this.input.focus();
    if (ctx.kind === 'name') this.update();
  }
}
