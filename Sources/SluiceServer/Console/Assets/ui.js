// Small DOM helpers: elements are built with text nodes only (never innerHTML), so data from the
// API can never become markup.

/// h('tag.class#id', {attributes, on: {event: handler}}, ...children)
export function h(spec, attributes, ...children) {
  const [, tag = 'div', rest = ''] = spec.match(/^([a-z0-9]*)(.*)$/i);
  const element = document.createElement(tag || 'div');
  for (const part of rest.match(/[.#][^.#]+/g) || []) {
    if (part[0] === '.') element.classList.add(part.slice(1)); else element.id = part.slice(1);
  }
  if (attributes && (typeof attributes !== 'object' || attributes instanceof Node || Array.isArray(attributes))) {
    children.unshift(attributes);
    attributes = null;
  }
  for (const [key, value] of Object.entries(attributes || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'on') for (const [event, handler] of Object.entries(value)) element.addEventListener(event, handler);
    else if (key === 'class') element.className = value;
    else if (key in element && key !== 'list' && key !== 'form') element[key] = value;
    else element.setAttribute(key, value === true ? '' : value);
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/// Replaces the children of `element`.
export function mount(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

export function badge(text, kind = text) {
  return h('span.badge', { class: `badge ${kind}` }, text);
}

export function verdict(value) {
  return h('span', h('span', { class: `dot ${value}`, 'aria-hidden': 'true' }), value);
}

/// A designed empty state.
export function empty(title, hint) {
  return h('div.empty', h('strong', title), hint ? h('span', hint) : null);
}

/// An error as the server said it, with its details.
export function errorBanner(error) {
  const details = error && error.details && error.details.length ? h('ul', error.details.map((d) => h('li', h('code', d)))) : null;
  return h('div.banner.error', { role: 'alert' }, h('strong', 'Error: '), error && error.message ? error.message : String(error), details);
}

export function banner(kind, ...text) {
  return h('div', { class: `banner ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, ...text);
}

/// A table: columns are {title, cell(row) -> node|string, class}; rows may be selectable.
export function table(columns, rows, { onSelect, selected, emptyState, rowClass } = {}) {
  if (!rows.length) return emptyState || empty('Nothing here yet');
  const head = h('thead', h('tr', columns.map((c) => h('th', { class: c.class, scope: 'col' }, c.title))));
  const body = h('tbody', rows.map((row) => {
    const tr = h('tr', columns.map((c) => h('td', { class: c.class }, c.cell(row))));
    if (rowClass) { const extra = rowClass(row); if (extra) tr.classList.add(extra); }
    if (selected && selected(row)) tr.classList.add('selected');
    if (onSelect) tr.addEventListener('dblclick', () => onSelect(row));
    return tr;
  }));
  return h('div.table-wrap', h('table', head, body));
}

export function panel(title, ...children) {
  const heading = Array.isArray(title) ? h('h2', ...title) : h('h2', title);
  return h('section.panel', heading, ...children);
}

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
const absolute = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
const clock = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });

/// "3 minutes ago", with the exact time as a tooltip.
export function ago(value) {
  if (!value) return h('span.muted', 'never');
  const date = new Date(value);
  const seconds = Math.round((date.getTime() - Date.now()) / 1000);
  const abs = Math.abs(seconds);
  let text;
  if (abs < 45) text = relative.format(seconds, 'second');
  else if (abs < 2700) text = relative.format(Math.round(seconds / 60), 'minute');
  else if (abs < 64800) text = relative.format(Math.round(seconds / 3600), 'hour');
  else text = relative.format(Math.round(seconds / 86400), 'day');
  return h('time', { dateTime: date.toISOString(), title: absolute.format(date) }, text);
}

export function when(value) {
  if (!value) return h('span.muted', '—');
  const date = new Date(value);
  return h('time', { dateTime: date.toISOString() }, absolute.format(date));
}

export function timeOfDay(value) {
  const date = new Date(value);
  return h('time', { dateTime: date.toISOString(), title: absolute.format(date) }, clock.format(date));
}

export function number(value) {
  return new Intl.NumberFormat().format(value || 0);
}

/// A button that runs an async action, disabled while it runs; errors go to `onError`.
export function action(label, run, { kind, onError, title, name } = {}) {
  const button = h('button', { type: 'button', class: kind || '', title, name });
  button.textContent = label;
  button.addEventListener('click', async () => {
    button.disabled = true;
    try { await run(); } catch (error) { if (onError) onError(error); else alert(error.message); } finally { button.disabled = false; }
  });
  return button;
}

/// A labelled input.
export function field(label, input) {
  return h('label', label, input);
}

/// A select of options [value, text].
export function select(name, options, value) {
  return h('select', { name }, options.map(([v, text]) => h('option', { value: v, selected: v === value }, text)));
}

/// A local datetime-local value for a Date.
export function localInput(date) {
  const pad = (n) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

export function shortExe(path) {
  if (!path) return '(unknown)';
  const parts = path.split('/');
  return parts[parts.length - 1] || path;
}

// An alert's destination: the name the node looked it up by, where it knew it, then the address.
export function alertDestination(a) {
  return a.domain ? `${a.domain} (${a.destination}):${a.port}` : `${a.destination}:${a.port}`;
}
