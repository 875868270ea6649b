'use strict';
// Tasker dashboard: plain JavaScript over the HTTP API, no build step. Every call carries the
// key the operator logged in with, so the pages can do exactly what the key's scopes allow.

const REFRESH_MS = 2000;
const SERIES_POINTS = 150; // 5 minutes at one point per 2 s
const TERMINAL = ['SUCCEEDED', 'DEAD', 'CANCELLED'];

const session = {
  key: sessionStorage.getItem('tasker.key'),
  me: null,
  timer: null,
  throughput: {}, // queue -> [startsPerSecond]
  lateness: {}, // queue -> [p99 seconds]
  lastBuckets: null,
};

// ---- plumbing ----------------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, body) {
    super(body && body.error ? body.error.message : 'HTTP ' + status);
    this.status = status;
    this.field = body && body.error ? body.error.field : null;
  }
}

async function call(method, path, body) {
  const headers = {};
  if (session.key) headers.Authorization = 'Bearer ' + session.key;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(path, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch (e) { json = { text }; }
  if (!res.ok) throw new ApiError(res.status, json);
  return json;
}

const api = (method, path, body) => call(method, '/v1' + path, body);

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith('on')) el.addEventListener(name.slice(2), value);
    else if (name === 'class') el.className = value;
    else el.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

function svg(tag, attrs) {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, value);
  return el;
}

function flash(message, kind) {
  const box = document.getElementById('flash');
  box.replaceChildren(h('div', { class: kind || 'info', id: 'flash-message' }, message));
  if (kind !== 'error') setTimeout(() => box.replaceChildren(), 4000);
}

function can(scope) {
  return session.me && session.me.scopes.includes(scope);
}

const enc = encodeURIComponent;
const status = (s) => h('span', { class: 'status ' + s }, s);
const when = (iso) => (iso ? new Date(iso).toLocaleString() : '—');
const json = (value) => h('pre', {}, value === null || value === undefined ? '—'
  : JSON.stringify(value, null, 2));

/** Runs a write action, reports its outcome (or the message it returns), and refreshes the page. */
async function act(label, action) {
  try {
    const message = await action();
    flash(typeof message === 'string' ? message : label + ': done');
  } catch (e) {
    flash(label + ' failed: ' + e.message, 'error');
  }
  route();
}

function chart(values, cls) {
  const box = svg('svg', { class: 'chart ' + (cls || ''), viewBox: '0 0 300 60',
    preserveAspectRatio: 'none' });
  const max = Math.max(1e-9, ...values);
  const step = 300 / Math.max(1, SERIES_POINTS - 1);
  const offset = SERIES_POINTS - values.length;
  const points = values.map((v, i) =>
    ((offset + i) * step).toFixed(1) + ',' + (58 - (v / max) * 56).toFixed(1));
  box.append(svg('polyline', { points: points.join(' ') }));
  return box;
}

function push(series, key, value) {
  const values = series[key] || (series[key] = []);
  values.push(value);
  if (values.length > SERIES_POINTS) values.shift();
  return values;
}

// ---- lateness from the node's Prometheus histogram ---------------------------------------

/** Sums tasker_task_lateness_seconds buckets per queue from a scrape. */
function latenessBuckets(text) {
  const byQueue = {};
  const line = /^tasker_task_lateness_seconds_bucket\{(.*)\} ([0-9.eE+-]+)$/;
  for (const row of text.split('\n')) {
    const m = line.exec(row);
    if (!m) continue;
    const labels = Object.fromEntries([...m[1].matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    const le = labels.le === '+Inf' ? Infinity : parseFloat(labels.le);
    const buckets = byQueue[labels.queue] || (byQueue[labels.queue] = new Map());
    buckets.set(le, (buckets.get(le) || 0) + parseFloat(m[2]));
  }
  return byQueue;
}

/** p99 of the observations between two scrapes, from cumulative bucket counts. */
function p99(now, before) {
  const bounds = [...now.keys()].sort((a, b) => a - b);
  const total = (now.get(Infinity) || 0) - ((before && before.get(Infinity)) || 0);
  if (total <= 0) return 0;
  for (const le of bounds) {
    const count = now.get(le) - ((before && before.get(le)) || 0);
    if (count >= total * 0.99) return le === Infinity ? bounds[bounds.length - 2] : le;
  }
  return 0;
}

async function sampleLateness() {
  try {
    const res = await fetch('/metrics', { headers: { Authorization: 'Bearer ' + session.key } });
    if (!res.ok) return false;
    const buckets = latenessBuckets(await res.text());
    if (session.lastBuckets) {
      for (const [queue, now] of Object.entries(buckets)) {
        push(session.lateness, queue, p99(now, session.lastBuckets[queue]));
      }
    }
    session.lastBuckets = buckets;
    return true;
  } catch (e) {
    return false;
  }
}

// ---- pages --------------------------------------------------------------------------------

const pages = {
  login() {
    const input = h('input', { id: 'api-key', type: 'password', autocomplete: 'off',
      placeholder: 'tsk_…' });
    const form = h('form', { class: 'login', id: 'login-form', onsubmit: async (e) => {
      e.preventDefault();
      session.key = input.value.trim();
      try {
        session.me = await api('GET', '/whoami');
        sessionStorage.setItem('tasker.key', session.key);
        location.hash = '#/';
      } catch (err) {
        session.key = null;
        flash('Log in failed: ' + err.message, 'error');
      }
    } }, h('h1', {}, 'Log in'), h('label', { for: 'api-key' }, 'API key'), input,
    h('button', { type: 'submit', id: 'login' }, 'Log in'),
    h('p', { class: 'muted' }, 'The dashboard can do what the key’s scopes allow.'));
    return { view: form };
  },

  async overview() {
    const view = h('div', {}, h('h1', {}, 'Overview'));
    const body = h('div', { id: 'overview' });
    view.append(body);
    const refresh = async () => {
      const [{ queues }, cluster, hasLateness] = await Promise.all([
        api('GET', '/queues'), api('GET', '/cluster').catch(() => null), sampleLateness()]);
      const cards = h('div', { class: 'cards' }, queues.map((q) => {
        const through = push(session.throughput, q.name, q.startsPerSecond);
        const late = session.lateness[q.name] || [];
        return h('div', { class: 'card queue-card', 'data-queue': q.name },
          h('h3', {}, h('a', { href: '#/queue/' + enc(q.name) }, q.name), ' ',
            q.limits.paused ? h('span', { class: 'paused' }, 'paused') : ''),
          h('div', { class: 'muted' }, 'starts/s ' + q.startsPerSecond.toFixed(1) + ' · running '
            + q.running + ' · waiting ' + q.waiting),
          chart(through),
          hasLateness ? h('div', { class: 'muted' }, 'lateness p99 (this node) '
            + (late.length ? (late[late.length - 1] * 1000).toFixed(0) + ' ms' : '—')) : '',
          hasLateness ? chart(late, 'lateness') : '');
      }));
      const depth = h('table', { id: 'queues' },
        h('tr', {}, h('th', {}, 'Queue'), ...Object.keys(queues[0].tasks)
          .map((s) => h('th', { class: 'num' }, s)), h('th', {}, 'Limits')),
        queues.map((q) => h('tr', { 'data-queue': q.name },
          h('td', {}, h('a', { href: '#/queue/' + enc(q.name) }, q.name)),
          Object.entries(q.tasks).map(([s, n]) => h('td', { class: 'num' },
            h('a', { href: '#/tasks?queue=' + enc(q.name) + '&status=' + s }, n))),
          h('td', {}, limitsText(q.limits)))));
      const members = cluster ? h('table', { id: 'members' },
        h('tr', {}, h('th', {}, 'Member'), h('th', {}, 'Status'), h('th', {}, 'Reachable'),
          h('th', {}, 'Roles'), h('th', { class: 'num' }, 'Shards'), h('th', { class: 'num' }, 'Entities')),
        cluster.members.map((m) => {
          const rows = cluster.shards.filter((s) => s.address === m.address);
          const sum = (f) => rows.reduce((n, r) => n + r[f], 0);
          return h('tr', {}, h('td', {}, m.address + (m.address === cluster.self ? ' (this node)' : '')),
            h('td', {}, m.status), h('td', {}, m.reachable ? 'yes' : 'no'),
            h('td', {}, m.roles.join(', ')), h('td', { class: 'num' }, sum('shards')),
            h('td', { class: 'num' }, sum('entities')));
        })) : h('p', { class: 'muted' }, 'No cluster view.');
      body.replaceChildren(cards, h('h2', {}, 'Tasks by state'), depth,
        h('h2', {}, 'Cluster'), members);
    };
    await refresh();
    return { view, refresh };
  },

  async tasks(params) {
    const filters = ['queue', 'type', 'status'];
    const times = { createdFrom: 'created from', createdBefore: 'created before' };
    const inputs = {};
    const byId = h('input', { name: 'id', placeholder: 'a task id' });
    const form = h('form', { class: 'inline', id: 'task-filter', onsubmit: (e) => {
      e.preventDefault();
      if (byId.value.trim()) {
        location.hash = '#/task/' + enc(byId.value.trim());
        return;
      }
      const q = new URLSearchParams();
      filters.forEach((f) => inputs[f].value && q.set(f, inputs[f].value));
      Object.keys(times).forEach((f) => inputs[f].value
        && q.set(f, new Date(inputs[f].value).toISOString()));
      location.hash = '#/tasks?' + q;
    } });
    for (const f of filters) {
      inputs[f] = f === 'status'
        ? h('select', { name: f }, h('option', { value: '' }, 'any'),
          ['SCHEDULED', 'RUNNING', 'SUCCEEDED', 'DEAD', 'CANCELLED'].map((s) =>
            h('option', { value: s, selected: params.get(f) === s }, s)))
        : h('input', { name: f, value: params.get(f) || '' });
      form.append(h('label', {}, f, inputs[f]));
    }
    for (const [f, label] of Object.entries(times)) {
      inputs[f] = h('input', { name: f, type: 'datetime-local', step: '1',
        value: params.get(f) ? localTime(params.get(f)) : '' });
      form.append(h('label', {}, label, inputs[f]));
    }
    form.append(h('label', {}, 'id', byId), h('button', { type: 'submit' }, 'Search'));
    const query = new URLSearchParams();
    [...filters, ...Object.keys(times)].forEach((f) => params.get(f) && query.set(f, params.get(f)));
    const filter = Object.fromEntries(query);
    if (params.get('cursor')) query.set('cursor', params.get('cursor'));
    const table = h('div', { id: 'task-table' });
    const confirmBox = h('div', { id: 'bulk-confirm' });
    const bulk = (verb, path) => async () => {
      try {
        const { matched } = await api('POST', path, { ...filter, dryRun: true });
        confirmBox.replaceChildren(h('div', { class: 'card' },
          h('p', { id: 'bulk-count' }, verb + ' ' + matched + ' matching task' + (matched === 1 ? '' : 's') + '?'),
          h('div', { class: 'actions' },
            h('button', { id: 'bulk-confirm-yes', onclick: async () => {
              confirmBox.replaceChildren();
              await act(verb, async () => {
                const done = await api('POST', path, filter);
                return verb + ': ' + done.done + ' of ' + done.matched + ' done, ' + done.failed + ' refused';
              });
            } }, verb + ' ' + matched),
            h('button', { class: 'secondary', onclick: () => confirmBox.replaceChildren() }, 'Keep them'))));
      } catch (e) {
        flash(verb + ' failed: ' + e.message, 'error');
      }
    };
    const bulkActions = can('tasks:write') && Object.keys(filter).length
      ? h('div', { class: 'actions', id: 'bulk-actions' },
        h('button', { class: 'secondary', id: 'bulk-retry', onclick: bulk('Retry', '/tasks:retry') },
          'Retry all matching'),
        h('button', { class: 'secondary', id: 'bulk-cancel', onclick: bulk('Cancel', '/tasks:cancel') },
          'Cancel all matching'))
      : '';
    const view = h('div', {}, h('h1', {}, 'Tasks'), form, bulkActions, confirmBox, table);
    const refresh = async () => {
      const page = await api('GET', '/tasks?' + query);
      const next = new URLSearchParams(query);
      next.set('cursor', page.nextCursor || '');
      table.replaceChildren(
        h('table', {}, h('tr', {}, ['Id', 'Type', 'Queue', 'Status', 'Run at', 'Attempts']
          .map((c) => h('th', {}, c))),
        page.tasks.map((t) => h('tr', { 'data-task': t.id },
          h('td', {}, h('a', { href: '#/task/' + enc(t.id) }, t.id)), h('td', {}, t.type),
          h('td', {}, t.queue), h('td', {}, status(t.status)), h('td', {}, when(t.runAt)),
          h('td', { class: 'num' }, t.attempts + ' / ' + t.maxAttempts)))),
        page.tasks.length ? '' : h('p', { class: 'muted' }, 'No tasks match.'),
        page.nextCursor ? h('p', {}, h('a', { href: '#/tasks?' + next, id: 'next-page' }, 'Next page →'))
          : '');
    };
    await refresh();
    return { view, refresh };
  },

  async task(params, id) {
    const details = h('div', { id: 'task' });
    const runAt = h('input', { type: 'datetime-local', id: 'reschedule-at' });
    const actions = can('tasks:write') ? h('div', { class: 'actions', id: 'task-actions' },
      h('button', { id: 'retry', onclick: () => act('Retry', () => api('POST', '/tasks/' + enc(id) + '/retry')) }, 'Retry'),
      h('button', { class: 'secondary', id: 'cancel',
        onclick: () => act('Cancel', () => api('DELETE', '/tasks/' + enc(id))) }, 'Cancel'),
      h('label', {}, 'run at', runAt),
      h('button', { class: 'secondary', id: 'reschedule', onclick: () => act('Reschedule',
        () => api('PATCH', '/tasks/' + enc(id), { runAt: new Date(runAt.value).toISOString() })) },
      'Reschedule')) : '';
    const view = h('div', {}, h('h1', {}, 'Task ', h('code', {}, id)), actions, details);
    const refresh = async () => {
      const t = await api('GET', '/tasks/' + enc(id));
      details.replaceChildren(
        h('dl', {}, h('dt', {}, 'Status'), h('dd', { id: 'task-status' }, status(t.status)),
          h('dt', {}, 'Type'), h('dd', {}, t.type), h('dt', {}, 'Queue'),
          h('dd', {}, h('a', { href: '#/queue/' + enc(t.queue) }, t.queue)),
          h('dt', {}, 'Run at'), h('dd', {}, when(t.runAt)),
          h('dt', {}, 'Attempts'), h('dd', {}, t.attempts + ' of ' + t.maxAttempts),
          h('dt', {}, 'Priority'), h('dd', {}, t.priority),
          h('dt', {}, 'Created'), h('dd', {}, when(t.createdAt)),
          h('dt', {}, 'Last error'), h('dd', { id: 'task-error' },
            t.lastError ? t.lastError.type + ': ' + t.lastError.message : '—')),
        h('h2', {}, 'Payload'), json(t.payload),
        h('h2', {}, 'Result'), h('div', { id: 'task-result' }, json(t.result)),
        h('h2', {}, 'Attempts'),
        h('table', { id: 'history' }, h('tr', {}, ['#', 'Node', 'Started', 'Finished', 'Outcome', 'Error']
          .map((c) => h('th', {}, c))),
        t.history.map((a) => h('tr', {}, h('td', {}, a.attempt), h('td', {}, a.node),
          h('td', {}, when(a.startedAt)), h('td', {}, when(a.finishedAt)),
          h('td', {}, a.outcome || 'running'),
          h('td', {}, a.errorType ? a.errorType + ': ' + a.errorMessage : '')))));
    };
    await refresh();
    return { view, refresh };
  },

  async queue(params, name) {
    const stats = h('div', { id: 'queue' });
    const fields = {
      maxConcurrency: 'max concurrency', maxConcurrencyPerKey: 'per key', rate: 'rate /s', burst: 'burst',
    };
    const inputs = {};
    const admin = can('queues:admin');
    const form = admin ? h('form', { class: 'inline', id: 'limits', onsubmit: (e) => {
      e.preventDefault();
      const body = {};
      for (const [f, input] of Object.entries(inputs)) {
        if (input.value !== '') body[f] = Number(input.value);
      }
      act('Limits', () => api('PUT', '/queues/' + enc(name), body));
    } }, Object.entries(fields).map(([f, label]) => h('label', {}, label,
      inputs[f] = h('input', { name: f, type: 'number', min: '0', step: f === 'rate' ? 'any' : '1' }))),
    h('button', { type: 'submit' }, 'Change limits')) : '';
    const toggles = admin ? h('div', { class: 'actions' },
      h('button', { id: 'pause', onclick: () => act('Pause', () => api('POST', '/queues/' + enc(name) + '/pause')) }, 'Pause'),
      h('button', { class: 'secondary', id: 'resume',
        onclick: () => act('Resume', () => api('POST', '/queues/' + enc(name) + '/resume')) }, 'Resume')) : '';
    const view = h('div', {}, h('h1', {}, 'Queue ', name), toggles, stats, form);
    const refresh = async () => {
      const q = await api('GET', '/queues/' + enc(name));
      stats.replaceChildren(h('dl', {},
        h('dt', {}, 'State'), h('dd', { id: 'queue-state' }, q.limits.paused
          ? h('span', { class: 'paused' }, 'paused') : 'running'),
        h('dt', {}, 'Limits'), h('dd', {}, limitsText(q.limits)),
        h('dt', {}, 'Running'), h('dd', {}, q.running), h('dt', {}, 'Waiting for a permit'), h('dd', {}, q.waiting),
        h('dt', {}, 'Starts/s'), h('dd', {}, q.startsPerSecond.toFixed(1)),
        ...Object.entries(q.tasks).flatMap(([s, n]) => [h('dt', {}, s),
          h('dd', { 'data-count': s }, h('a', { href: '#/tasks?queue=' + enc(name) + '&status=' + s }, n))])));
      for (const [f, input] of Object.entries(inputs)) {
        if (document.activeElement !== input) input.placeholder = q.limits[f] ?? 'none';
      }
    };
    await refresh();
    return { view, refresh };
  },

  async schedules() {
    const body = h('div', { id: 'schedules' });
    const view = h('div', {}, h('h1', {}, 'Schedules'), body);
    const refresh = async () => {
      const { schedules } = await api('GET', '/schedules');
      const write = can('tasks:write');
      body.replaceChildren(schedules.length ? h('table', {},
        h('tr', {}, ['Id', 'When', 'Task', 'Next fire', 'Last fire', 'Fired', ''].map((c) => h('th', {}, c))),
        schedules.map((s) => h('tr', { 'data-schedule': s.id }, h('td', {}, s.id),
          h('td', {}, (s.cron ? 'cron ' + s.cron : 'every ' + s.interval) + ' ' + (s.zone || '')),
          h('td', {}, s.task.type + ' → ' + s.task.queue),
          h('td', {}, s.paused ? h('span', { class: 'paused' }, 'paused') : when(s.nextFireAt)),
          h('td', {}, s.lastTaskId ? h('a', { href: '#/task/' + enc(s.lastTaskId) }, when(s.lastFireAt))
            : when(s.lastFireAt)),
          h('td', { class: 'num' }, s.fired),
          h('td', {}, write ? [
            h('button', { class: 'secondary', onclick: () => act('Trigger',
              () => api('POST', '/schedules/' + enc(s.id) + '/trigger')) }, 'Trigger now'), ' ',
            h('button', { class: 'secondary', onclick: () => act(s.paused ? 'Resume' : 'Pause',
              () => api('POST', '/schedules/' + enc(s.id) + (s.paused ? '/resume' : '/pause'))) },
            s.paused ? 'Resume' : 'Pause')] : ''))))
        : h('p', { class: 'muted' }, 'No schedules.'));
    };
    await refresh();
    return { view, refresh };
  },

  async test() {
    const { types } = await api('GET', '/task-types');
    const type = h('select', { id: 'test-type' }, types.map((t) => h('option', { value: t }, t)));
    const queue = h('input', { id: 'test-queue', value: 'default' });
    const payload = h('textarea', { id: 'test-payload', rows: 8 }, '{\n  \n}');
    const out = h('div', { id: 'test-output' });
    // the example: the payload of the newest task of the type, when there is one
    let asked = 0;
    const prefill = async () => {
      const mine = ++asked;
      const before = payload.value;
      const { tasks } = await api('GET', '/tasks?limit=1&type=' + enc(type.value));
      const example = tasks.length
        ? JSON.stringify((await api('GET', '/tasks/' + enc(tasks[0].id))).payload, null, 2)
        : '{\n  \n}';
      // only the type chosen last, and never over the operator's typing
      if (mine === asked && payload.value === before) payload.value = example;
    };
    type.addEventListener('change', () => prefill().catch((e) => flash(e.message, 'error')));
    if (types.length) await prefill();
    let watching = null;
    const watch = async (id) => {
      const t = await api('GET', '/tasks/' + enc(id));
      out.replaceChildren(h('p', {}, 'Task ', h('a', { href: '#/task/' + enc(id) }, id), ' ',
        h('span', { id: 'test-status' }, status(t.status))),
      h('table', {}, t.history.map((a) => h('tr', {}, h('td', {}, '#' + a.attempt),
        h('td', {}, a.outcome || 'running'), h('td', {}, a.errorMessage || '')))),
      h('h2', {}, 'Result'), h('div', { id: 'test-result' }, json(t.result)));
      return TERMINAL.includes(t.status);
    };
    const run = async (e) => {
      e.preventDefault();
      let body;
      try {
        body = JSON.parse(payload.value);
      } catch (err) {
        flash('The payload is not JSON: ' + err.message, 'error');
        return;
      }
      try {
        const accepted = await api('POST', '/tasks', { type: type.value, queue: queue.value, payload: body });
        watching = accepted.id;
        await watch(watching);
      } catch (err) {
        flash('Run failed: ' + err.message + (err.field ? ' (' + err.field + ')' : ''), 'error');
      }
    };
    const form = can('tasks:write')
      ? h('form', { id: 'test-form', onsubmit: run }, h('div', { class: 'inline' },
        h('label', {}, 'Task type', type), h('label', {}, 'Queue', queue)),
      h('label', {}, 'Payload (JSON)', payload), h('p', {}, h('button', { type: 'submit', id: 'test-run' }, 'Run')))
      : h('p', { class: 'muted' }, 'Running a task needs a key with tasks:write.');
    const view = h('div', {}, h('h1', {}, 'Test run'), form, out);
    const refresh = async () => {
      if (watching && await watch(watching)) watching = null;
    };
    return { view, refresh };
  },

  async workflows(params) {
    const filters = { workflow: h('input', { name: 'workflow', value: params.get('workflow') || '' }),
      status: h('select', { name: 'status' }, h('option', { value: '' }, 'any'),
        WORKFLOW_STATUSES.map((st) => h('option', { value: st, selected: params.get('status') === st }, st))) };
    const form = h('form', { class: 'inline', id: 'workflow-filter', onsubmit: (e) => {
      e.preventDefault();
      const q = new URLSearchParams();
      Object.entries(filters).forEach(([f, input]) => input.value && q.set(f, input.value));
      location.hash = '#/workflows?' + q;
    } }, Object.entries(filters).map(([f, input]) => h('label', {}, f, input)),
    h('button', { type: 'submit' }, 'Search'));
    const query = new URLSearchParams();
    ['workflow', 'status', 'cursor'].forEach((f) => params.get(f) && query.set(f, params.get(f)));
    const table = h('div', { id: 'workflow-table' });
    const view = h('div', {}, h('h1', {}, 'Workflows'), form, table);
    const refresh = async () => {
      const page = await api('GET', '/workflow-executions?' + query);
      const next = new URLSearchParams(query);
      next.set('cursor', page.nextCursor || '');
      table.replaceChildren(
        h('table', {}, h('tr', {}, ['Execution', 'Workflow', 'Version', 'Status', 'Started']
          .map((c) => h('th', {}, c))),
        page.executions.map((e) => h('tr', { 'data-execution': e.id },
          h('td', {}, h('a', { href: '#/workflow/' + enc(e.id) }, e.id)), h('td', {}, e.workflow),
          h('td', { class: 'num' }, e.version), h('td', {}, status(e.status)), h('td', {}, when(e.startedAt))))),
        page.executions.length ? '' : h('p', { class: 'muted' }, 'No executions match.'),
        page.nextCursor ? h('p', {}, h('a', { href: '#/workflows?' + next }, 'Next page →')) : '');
    };
    await refresh();
    return { view, refresh };
  },

  async workflow(params, id) {
    const body = h('div', { id: 'workflow' });
    const actions = can('tasks:write') ? h('div', { class: 'actions' },
      h('button', { class: 'secondary', id: 'workflow-cancel', onclick: () => act('Cancel',
        () => api('POST', '/workflow-executions/' + enc(id) + '/cancel')) }, 'Cancel'),
      h('button', { class: 'secondary', id: 'workflow-retry', onclick: () => act('Retry',
        () => api('POST', '/workflow-executions/' + enc(id) + '/retry')) }, 'Retry failed steps')) : '';
    const view = h('div', {}, h('h1', {}, 'Workflow execution ', h('code', {}, id)), actions, body);
    let definition = null;
    const refresh = async () => {
      const e = await api('GET', '/workflow-executions/' + enc(id));
      if (!definition) {
        definition = await api('GET', '/workflows/' + enc(e.workflow) + '?version=' + e.version)
          .catch(() => null);
      }
      body.replaceChildren(
        h('dl', {}, h('dt', {}, 'Workflow'), h('dd', {}, e.workflow + ' v' + e.version),
          h('dt', {}, 'Status'), h('dd', { id: 'workflow-status' }, status(e.status)),
          h('dt', {}, 'Started'), h('dd', {}, when(e.startedAt)),
          h('dt', {}, 'Ended'), h('dd', {}, when(e.endedAt)),
          h('dt', {}, 'Error'), h('dd', {}, e.error || '—')),
        definition ? stepGraph(definition, e) : '',
        h('h2', {}, 'Steps'),
        h('table', { id: 'workflow-steps' }, h('tr', {}, ['Step', 'Status', 'Attempts', 'Tasks', 'Output or error']
          .map((c) => h('th', {}, c))),
        e.steps.map((st) => h('tr', { 'data-step': st.name }, h('td', {}, st.name),
          h('td', {}, status(st.status)), h('td', { class: 'num' }, st.attempts),
          h('td', {}, st.tasks.map((t) => h('div', {}, h('a', { href: '#/task/' + enc(t) }, t)))),
          h('td', {}, st.error ? st.error : json(st.output))))),
        h('h2', {}, 'Compensations'),
        e.compensations.length ? h('table', { id: 'workflow-compensations' },
          h('tr', {}, ['Step undone', 'Status', 'Attempts', 'Task', 'Error'].map((c) => h('th', {}, c))),
          e.compensations.map((c) => h('tr', {}, h('td', {}, c.step), h('td', {}, status(c.status)),
            h('td', { class: 'num' }, c.attempts),
            h('td', {}, c.task ? h('a', { href: '#/task/' + enc(c.task) }, c.task) : '—'),
            h('td', {}, c.error || ''))))
          : h('p', { class: 'muted' }, 'None ran.'),
        h('h2', {}, 'Input'), json(e.input));
    };
    await refresh();
    return { view, refresh };
  },

  async audit() {
    const body = h('div', { id: 'audit' });
    const view = h('div', {}, h('h1', {}, 'Audit log'), h('p', { class: 'muted' },
      'Every write call through this node, newest first (also on the logger io.tasker.audit).'), body);
    const refresh = async () => {
      const { entries } = await api('GET', '/audit');
      body.replaceChildren(h('table', {}, h('tr', {}, ['When', 'Who', 'Call', 'Status'].map((c) => h('th', {}, c))),
        entries.map((e) => h('tr', {}, h('td', {}, when(e.at)), h('td', {}, e.who),
          h('td', {}, e.method + ' ' + e.path), h('td', {}, e.status)))));
    };
    await refresh();
    return { view, refresh };
  },
};

const WORKFLOW_STATUSES = ['RUNNING', 'COMPENSATING', 'SUCCEEDED', 'COMPENSATED', 'FAILED',
  'TIMED_OUT', 'CANCELLED'];

/**
 * The steps of an execution as a graph: one column per depth (a step sits right of everything
 * it depends on), boxes coloured by status, an arrow per dependency.
 */
function stepGraph(definition, execution) {
  const steps = definition.tasks || [];
  const deps = Object.fromEntries(steps.map((st) => [st.name, st.depends_on || []]));
  const depth = {};
  const depthOf = (name, seen = new Set()) => {
    if (depth[name] !== undefined) return depth[name];
    if (seen.has(name)) return 0;
    seen.add(name);
    depth[name] = Math.max(-1, ...(deps[name] || []).map((d) => depthOf(d, seen))) + 1;
    return depth[name];
  };
  steps.forEach((st) => depthOf(st.name));
  const columns = [];
  steps.forEach((st) => (columns[depth[st.name]] = columns[depth[st.name]] || []).push(st.name));
  const W = 150; const H = 36; const GAP_X = 60; const GAP_Y = 16;
  const rows = Math.max(1, ...columns.map((c) => c.length));
  const box = svg('svg', { id: 'workflow-graph', class: 'graph',
    viewBox: '0 0 ' + (columns.length * (W + GAP_X)) + ' ' + (rows * (H + GAP_Y) + GAP_Y),
    width: columns.length * (W + GAP_X), height: rows * (H + GAP_Y) + GAP_Y });
  const at = {};
  columns.forEach((names, x) => names.forEach((name, y) => {
    at[name] = { x: x * (W + GAP_X) + 4, y: y * (H + GAP_Y) + GAP_Y };
  }));
  const byName = Object.fromEntries(execution.steps.map((st) => [st.name, st]));
  steps.forEach((st) => (deps[st.name]).forEach((d) => box.append(svg('line', {
    x1: at[d].x + W, y1: at[d].y + H / 2, x2: at[st.name].x, y2: at[st.name].y + H / 2 }))));
  steps.forEach((st) => {
    const state = byName[st.name] ? byName[st.name].status : 'PENDING';
    const g = svg('g', { class: 'step ' + state, 'data-step': st.name });
    g.append(svg('rect', { x: at[st.name].x, y: at[st.name].y, width: W, height: H, rx: 5 }));
    const label = svg('text', { x: at[st.name].x + 8, y: at[st.name].y + 15 });
    label.textContent = st.name;
    const sub = svg('text', { x: at[st.name].x + 8, y: at[st.name].y + 29, class: 'sub' });
    sub.textContent = state;
    g.append(label, sub);
    box.append(g);
  });
  return h('div', { class: 'graph-box' }, box);
}

/** An ISO instant as the value of a datetime-local input (the browser's time zone). */
function localTime(iso) {
  const d = new Date(iso);
  return new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 19);
}

function limitsText(l) {
  const parts = [];
  if (l.maxConcurrency) parts.push('max ' + l.maxConcurrency);
  if (l.maxConcurrencyPerKey) parts.push(l.maxConcurrencyPerKey + ' per key');
  if (l.rate) parts.push(l.rate + '/s (burst ' + l.burst + ')');
  return parts.length ? parts.join(', ') : 'none';
}

// ---- routing ------------------------------------------------------------------------------

function nav(current) {
  const links = [['#/', 'Overview', 'overview'], ['#/tasks', 'Tasks', 'tasks'],
    ['#/workflows', 'Workflows', 'workflows'], ['#/schedules', 'Schedules', 'schedules'],
    ['#/test', 'Test run', 'test']];
  if (can('queues:admin')) links.push(['#/audit', 'Audit', 'audit']);
  document.getElementById('nav').replaceChildren(...links.map(([href, label, page]) =>
    h('a', { href, class: page === current ? 'active' : '' }, label)));
  document.getElementById('who').replaceChildren(session.me ? h('span', {},
    h('span', { id: 'who-name' }, session.me.name), ' · ', h('a', { href: '#/logout', id: 'logout' }, 'Log out'))
    : '');
}

let rendering = 0;

async function route() {
  const token = ++rendering;
  clearInterval(session.timer);
  const [path, query] = location.hash.replace(/^#/, '').split('?');
  const parts = (path || '/').split('/').filter(Boolean).map(decodeURIComponent);
  if (parts[0] === 'logout') {
    sessionStorage.removeItem('tasker.key');
    Object.assign(session, { key: null, me: null });
    location.hash = '#/login';
    return;
  }
  if (!session.key && parts[0] !== 'login') {
    location.hash = '#/login';
    return;
  }
  try {
    if (session.key && !session.me) session.me = await api('GET', '/whoami');
    const page = parts[0] || 'overview';
    const render = pages[page];
    if (!render) throw new Error('no page ' + page);
    nav(page);
    const { view, refresh } = await render(new URLSearchParams(query || ''), parts[1]);
    if (token !== rendering) return;
    document.getElementById('main').replaceChildren(view);
    if (refresh) {
      session.timer = setInterval(() => refresh().catch((e) => flash(e.message, 'error')), REFRESH_MS);
    }
  } catch (e) {
    if (e.status === 401) {
      sessionStorage.removeItem('tasker.key');
      Object.assign(session, { key: null, me: null });
      location.hash = '#/login';
      return;
    }
    document.getElementById('main').replaceChildren(h('p', { class: 'muted' }, e.message));
    flash(e.message, 'error');
  }
}

window.addEventListener('hashchange', route);
window.addEventListener('DOMContentLoaded', route);
