// gale's admin page: reads /metrics and /plugins once a second and keeps the last minute of
// samples, so every number here is derived from what Prometheus would scrape. Everything a
// plugin named (routes, errors) goes into the page as text, never as markup.
'use strict';

const WINDOW_SECONDS = 60;
const samples = [];

// One line of the exposition: its name, labels (values unescaped) and value.
function parseLine(line) {
  let i = 0;
  while (i < line.length && line[i] !== '{' && line[i] !== ' ') i++;
  const name = line.slice(0, i);
  const labels = {};
  if (line[i] === '{') {
    i++;
    while (i < line.length && line[i] !== '}') {
      const eq = line.indexOf('="', i);
      if (eq < 0) return null;
      const key = line.slice(i, eq);
      let value = '';
      for (i = eq + 2; i < line.length && line[i] !== '"'; i++) {
        if (line[i] === '\\') {
          i++;
          value += line[i] === 'n' ? '\n' : line[i];
        } else {
          value += line[i];
        }
      }
      labels[key] = value;
      i++;
      if (line[i] === ',') i++;
    }
    i++;
  }
  return { name, labels, value: parseFloat(line.slice(i).trim().split(' ')[0]) };
}

// A sample: per route (plugin and pattern) its requests, 5xx and cumulative latency buckets;
// and the gauges.
function snapshot(text) {
  const routes = new Map();
  const gauges = {};
  const route = (labels) => {
    const key = JSON.stringify([labels.plugin, labels.route]);
    if (!routes.has(key)) {
      routes.set(key, { plugin: labels.plugin, route: labels.route, count: 0, errors: 0, buckets: new Map() });
    }
    return routes.get(key);
  };
  for (const line of text.split('\n')) {
    if (!line || line[0] === '#') continue;
    const sample = parseLine(line);
    if (!sample) continue;
    const { name, labels, value } = sample;
    if (name === 'gale_http_requests_total') {
      const entry = route(labels);
      entry.count += value;
      if (labels.code >= '500') entry.errors += value;
    } else if (name === 'gale_http_request_duration_seconds_bucket') {
      const buckets = route(labels).buckets;
      const le = labels.le === '+Inf' ? Infinity : parseFloat(labels.le);
      buckets.set(le, (buckets.get(le) || 0) + value);
    } else if (!('plugin' in labels)) {
      gauges[name] = value;
    }
  }
  return { t: performance.now() / 1000, routes, gauges };
}

// The q-quantile of the observations between two samples' buckets, interpolated within its
// bucket as Prometheus' histogram_quantile does; null with no observation.
function quantile(q, before, after) {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const delta = (le) => after.get(le) - ((before && before.get(le)) || 0);
  const total = delta(Infinity);
  if (!(total > 0)) return null;
  const rank = q * total;
  let lower = 0;
  let below = 0;
  for (const le of bounds) {
    const count = delta(le);
    if (count >= rank) {
      if (le === Infinity) return lower;
      return lower + (le - lower) * (count === below ? 0 : (rank - below) / (count - below));
    }
    lower = le;
    below = count;
  }
  return lower;
}

// Requests/s, p50, p99 and error share of a route between two samples.
function between(key, from, to) {
  const a = from.routes.get(key);
  const b = to.routes.get(key);
  const seconds = to.t - from.t;
  if (!b || seconds <= 0) return null;
  const requests = b.count - (a ? a.count : 0);
  const errors = b.errors - (a ? a.errors : 0);
  return {
    rate: requests / seconds,
    p50: quantile(0.5, a && a.buckets, b.buckets),
    p99: quantile(0.99, a && a.buckets, b.buckets),
    errors: requests > 0 ? errors / requests : 0,
  };
}

const formatSeconds = (s) => (s === null ? '–' : s < 1 ? (s * 1000).toFixed(2) + ' ms' : s.toFixed(2) + ' s');
const formatRate = (r) => (r === null ? '–' : r < 10 ? r.toFixed(1) : Math.round(r).toString());
const formatShare = (e) => (e === null ? '–' : (e * 100).toFixed(1) + ' %');

function cell(row, text, className) {
  const td = document.createElement('td');
  td.textContent = text;
  if (className) td.className = className;
  row.appendChild(td);
  return td;
}

// A sparkline of `values` (nulls skipped); its data attributes say what it drew.
function sparkline(row, values, color) {
  const canvas = document.createElement('canvas');
  const width = 120;
  const height = 28;
  canvas.width = width;
  canvas.height = height;
  const drawn = values.filter((v) => v !== null);
  const max = Math.max(...drawn, 0);
  canvas.dataset.points = drawn.length;
  canvas.dataset.max = max;
  const ctx = canvas.getContext('2d');
  ctx.strokeStyle = color;
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  // The newest second at the right edge; the line grows leftwards as the minute fills.
  const step = width / (WINDOW_SECONDS - 1);
  let started = false;
  values.forEach((v, i) => {
    if (v === null) return;
    const x = width - (values.length - 1 - i) * step;
    const y = height - 2 - (max > 0 ? (v / max) * (height - 4) : 0);
    started ? ctx.lineTo(x, y) : ctx.moveTo(x, y);
    started = true;
  });
  ctx.stroke();
  cell(row, '').appendChild(canvas);
}

function renderRoutes() {
  const last = samples[samples.length - 1];
  const first = samples[0];
  const body = document.querySelector('#routes tbody');
  body.replaceChildren();
  let total = samples.length > 1 ? 0 : null;
  for (const [key, entry] of [...last.routes].sort()) {
    const stats = samples.length > 1 ? between(key, first, last) : null;
    if (stats) total += stats.rate;
    const row = document.createElement('tr');
    row.dataset.plugin = entry.plugin;
    row.dataset.route = entry.route;
    cell(row, entry.plugin || '(host)');
    cell(row, entry.route || '(no route)', 'route');
    cell(row, String(entry.count), 'n requests');
    cell(row, formatRate(stats && stats.rate), 'n rate');
    cell(row, formatSeconds(stats && stats.p50), 'n p50');
    cell(row, formatSeconds(stats && stats.p99), 'n p99');
    cell(row, formatShare(stats && stats.errors), 'n errors');
    const perSecond = samples.slice(1).map((s, i) => between(key, samples[i], s));
    sparkline(row, perSecond.map((s) => s && s.rate), '#2a6fdb');
    sparkline(row, perSecond.map((s) => s && s.p99), '#8a4fd8');
    sparkline(row, perSecond.map((s) => s && s.errors), '#b3261e');
    body.appendChild(row);
  }
  document.getElementById('rate').textContent = formatRate(total);
}

function renderGauges(gauges) {
  const show = (id, value) => {
    document.getElementById(id).textContent = value === undefined ? '–' : value;
  };
  show('in_flight', gauges.gale_http_requests_in_flight);
  show('instances_in_use', gauges.gale_instances_in_use);
  show('instances_idle', gauges.gale_instances_idle);
  show('connections_open', gauges.gale_connections_open);
  show('websockets_open', gauges.gale_websockets_open);
  const rss = gauges.process_resident_memory_bytes;
  show('rss', rss === undefined ? undefined : (rss / 1048576).toFixed(1) + ' MiB');
  show('database_up', gauges.gale_database_up === 1 ? 'up' : 'down');
}

function renderPlugins(status) {
  const body = document.querySelector('#plugins tbody');
  body.replaceChildren();
  for (const plugin of status.plugins) {
    const row = document.createElement('tr');
    row.dataset.plugin = plugin.name;
    const serving = plugin.serving;
    cell(row, plugin.name);
    cell(row, serving ? serving.hash.slice(0, 12) : 'not serving', 'hash');
    cell(row, serving ? serving.origin : '');
    cell(row, serving ? serving.since : '');
    const routes = serving ? serving.routes.map((r) => r.pattern + (r.name ? '  (' + r.name + ')' : '')) : [];
    cell(row, routes.join('\n'), 'route');
    const error = plugin.last_error;
    cell(row, error ? error.at + ': ' + error.message : '', 'error');
    body.appendChild(row);
  }
  const history = document.querySelector('#history tbody');
  history.replaceChildren();
  for (const change of [...status.history].reverse()) {
    const row = document.createElement('tr');
    cell(row, change.at);
    cell(row, change.plugin);
    cell(row, change.outcome);
    cell(row, change.version ? change.version.slice(0, 12) : '', 'hash');
    history.appendChild(row);
  }
}

async function refresh() {
  const status = document.getElementById('status');
  try {
    const [metrics, plugins] = await Promise.all([
      fetch('/metrics').then((r) => (r.ok ? r.text() : Promise.reject(new Error('/metrics: ' + r.status)))),
      fetch('/plugins').then((r) => (r.ok ? r.json() : Promise.reject(new Error('/plugins: ' + r.status)))),
    ]);
    samples.push(snapshot(metrics));
    while (samples.length > WINDOW_SECONDS + 1) samples.shift();
    renderRoutes();
    renderGauges(samples[samples.length - 1].gauges);
    renderPlugins(plugins);
    status.textContent = 'updated ' + new Date().toLocaleTimeString();
    status.className = '';
  } catch (error) {
    status.textContent = 'cannot reach gale: ' + error.message;
    status.className = 'down';
  }
  setTimeout(refresh, 1000);
}

refresh();
