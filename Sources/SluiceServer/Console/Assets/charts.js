// Charts drawn as SVG from API aggregates: stacked verdict bars, plain bars, two-line series
// (decisions and denies, or bytes each way).
import { h, empty } from './ui.js';

const NS = 'http://www.w3.org/2000/svg';
const PAD = { left: 40, right: 8, top: 10, bottom: 24 };
/// Full-width charts; `small` fits a half-width panel with readable labels.
const WIDE = { W: 720, H: 200 }, SMALL = { W: 420, H: 170 };

function svg(tag, attributes, ...children) {
  const element = document.createElementNS(NS, tag);
  for (const [key, value] of Object.entries(attributes || {})) element.setAttribute(key, value);
  for (const child of children.flat()) if (child) element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return element;
}

function niceMax(value) {
  // Four steps on the axis, each a whole, round number.
  if (value <= 40) return Math.max(4, Math.ceil(value / 4) * 4);
  const step = value / 4;
  const power = Math.pow(10, Math.floor(Math.log10(step)));
  for (const factor of [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (factor * power >= step) return 4 * factor * power;
  return value;
}

function frame(maxValue, from, to, { W, H } = WIDE) {
  const plotW = W - PAD.left - PAD.right, plotH = H - PAD.top - PAD.bottom;
  const parts = [];
  for (let i = 0; i <= 4; i++) {
    const y = PAD.top + plotH - (plotH * i) / 4;
    parts.push(svg('line', { class: 'axis', x1: PAD.left, x2: W - PAD.right, y1: y, y2: y }));
    parts.push(svg('text', { x: PAD.left - 6, y: y + 3, 'text-anchor': 'end' }, formatTick((maxValue * i) / 4)));
  }
  const span = to - from;
  const format = span > 2 * 86400e3 ? { month: 'short', day: 'numeric' } : { hour: '2-digit', minute: '2-digit' };
  const formatter = new Intl.DateTimeFormat(undefined, format);
  for (const t of ticks(from, to)) {
    const x = PAD.left + ((t - from) / span) * plotW;
    const anchor = x < PAD.left + 20 ? 'start' : x > W - PAD.right - 20 ? 'end' : 'middle';
    parts.push(svg('line', { class: 'axis', x1: x, x2: x, y1: PAD.top + plotH, y2: PAD.top + plotH + 4 }));
    parts.push(svg('text', { x, y: H - 6, 'text-anchor': anchor }, formatter.format(new Date(t))));
  }
  return { parts, plotW, plotH, W, H, x: (t) => PAD.left + ((t - from) / span) * plotW, y: (v) => PAD.top + plotH - (v / maxValue) * plotH };
}

/// Times for the x axis: local midnights over several days, otherwise six even marks.
function ticks(from, to) {
  const span = to - from;
  if (span <= 2 * 86400e3) return Array.from({ length: 6 }, (_, i) => from + (span * i) / 5);
  const every = Math.max(1, Math.ceil(span / 86400e3 / 8));
  const day = new Date(from);
  day.setHours(24, 0, 0, 0);
  const out = [];
  for (; day.getTime() <= to; day.setDate(day.getDate() + every)) out.push(day.getTime());
  return out;
}

function formatTick(value) {
  if (value >= 1e6) return (value / 1e6).toFixed(1) + 'M';
  if (value >= 1e3) return (value / 1e3).toFixed(value >= 1e4 ? 0 : 1) + 'k';
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}

function figure(label, chart, legend) {
  return h('figure', { class: 'chart-figure' },
    chart, legend ? h('div.legend', legend.map(([kind, text]) => h('span', h('span', { class: `dot ${kind}`, 'aria-hidden': 'true' }), text))) : null);
}

/// Decisions per bucket, stacked allow / alert / deny. `timeline` is a StatsTimeline.
export function verdictChart(timeline, label) {
  const buckets = timeline.buckets;
  if (!buckets.length) return empty('No decisions in this range', 'Events appear here as nodes upload them.');
  const from = new Date(timeline.from).getTime(), to = new Date(timeline.to).getTime();
  const bucketMs = timeline.bucket_seconds * 1000;
  const maxValue = niceMax(Math.max(...buckets.map((b) => b.allow + b.alert + b.deny)));
  const f = frame(maxValue, from, to);
  const width = Math.max(1.5, (bucketMs / (to - from)) * f.plotW - 1);
  const bars = [];
  for (const b of buckets) {
    const t = new Date(b.time).getTime();
    const x = f.x(t);
    let base = 0;
    for (const kind of ['allow', 'alert', 'deny']) {
      const value = b[kind];
      if (!value) continue;
      const y0 = f.y(base), y1 = f.y(base + value);
      bars.push(svg('rect', { class: kind, x: x.toFixed(1), y: y1.toFixed(1), width: width.toFixed(1), height: Math.max(0.5, y0 - y1).toFixed(1) },
        svg('title', {}, `${new Date(t).toLocaleString()}: ${value} ${kind}`)));
      base += value;
    }
  }
  const chart = svg('svg', { class: 'chart', viewBox: `0 0 ${f.W} ${f.H}`, role: 'img', 'aria-label': label }, svg('title', {}, label), f.parts, bars);
  return figure(label, chart, [['allow', 'allow'], ['alert', 'alert'], ['deny', 'deny']]);
}

/// Plain bars per day: `days` is [{day, count}].
export function dayBars(days, from, to, label) {
  if (!days.length) return empty('No new destinations in this range');
  const start = new Date(from).getTime(), end = new Date(to).getTime();
  const maxValue = niceMax(Math.max(...days.map((d) => d.count)));
  const f = frame(maxValue, start, end);
  const width = Math.max(3, (86400e3 / (end - start)) * f.plotW - 2);
  const bars = days.map((d) => {
    const t = new Date(d.day).getTime();
    const y = f.y(d.count);
    return svg('rect', { class: 'bar', x: f.x(t).toFixed(1), y: y.toFixed(1), width: width.toFixed(1), height: (f.y(0) - y).toFixed(1) },
      svg('title', {}, `${new Date(t).toLocaleDateString()}: ${d.count} new`));
  });
  return figure(label, svg('svg', { class: 'chart', viewBox: `0 0 ${f.W} ${f.H}`, role: 'img', 'aria-label': label }, svg('title', {}, label), f.parts, bars));
}

/// Traffic and denies of one application over time, as two lines.
export function trafficLines(timeline, label) {
  if (!timeline.buckets.length) return empty('No traffic in this range');
  const from = new Date(timeline.from).getTime(), to = new Date(timeline.to).getTime();
  const buckets = filled(timeline, from, to);
  const maxValue = niceMax(Math.max(...buckets.map((b) => b.allow + b.alert + b.deny)));
  const f = frame(maxValue, from, to, SMALL);
  const path = (value) => buckets.map((b, i) => `${i ? 'L' : 'M'}${f.x(new Date(b.time).getTime()).toFixed(1)},${f.y(value(b)).toFixed(1)}`).join(' ');
  const chart = svg('svg', { class: 'chart', viewBox: `0 0 ${f.W} ${f.H}`, role: 'img', 'aria-label': label }, svg('title', {}, label), f.parts,
    svg('path', { class: 'line-allow', d: path((b) => b.allow + b.alert + b.deny) }),
    svg('path', { class: 'line-deny', d: path((b) => b.deny) }));
  return figure(label, chart, [['allow', 'all decisions'], ['deny', 'denies']]);
}

/// Bytes sent and received per bucket, as two lines. `timeline` is a StatsTimeline with measure=bytes.
export function bytesLines(timeline, label) {
  if (!timeline.buckets.length) return empty('No traffic counted in this range', 'Flow records appear as connections end, and every minute while they stay open.');
  const from = new Date(timeline.from).getTime(), to = new Date(timeline.to).getTime();
  const buckets = filled(timeline, from, to);
  const sent = (b) => b.bytes_sent || 0, received = (b) => b.bytes_received || 0;
  const maxValue = niceMax(Math.max(...buckets.map((b) => Math.max(sent(b), received(b)))));
  const f = frame(maxValue, from, to);
  const path = (value) => buckets.map((b, i) => `${i ? 'L' : 'M'}${f.x(new Date(b.time).getTime()).toFixed(1)},${f.y(value(b)).toFixed(1)}`).join(' ');
  const chart = svg('svg', { class: 'chart', viewBox: `0 0 ${f.W} ${f.H}`, role: 'img', 'aria-label': label }, svg('title', {}, label), f.parts,
    svg('path', { class: 'line-allow', d: path(sent) }),
    svg('path', { class: 'line-alert', d: path(received) }));
  return figure(label, chart, [['allow', 'bytes sent'], ['alert', 'bytes received']]);
}

/// Every bucket of the range, zero where the API had none: a line must fall to zero between
/// bursts rather than join them.
function filled(timeline, from, to) {
  const size = timeline.bucket_seconds * 1000;
  const byTime = new Map(timeline.buckets.map((b) => [new Date(b.time).getTime(), b]));
  const out = [];
  for (let t = Math.floor(from / size) * size; t < to; t += size) out.push(byTime.get(t) || { time: t, allow: 0, alert: 0, deny: 0 });
  return out;
}
