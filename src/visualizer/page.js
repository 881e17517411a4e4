// The visualizer page's script (served as /debug/page.js; plain browser JavaScript, no build step).
// It listens to /debug/events (server-sent events; polls /debug/machines when the stream is down),
// keeps one card per machine and updates it in place, so an open form or <details> survives updates.
// Text goes into the DOM through textContent only: nothing the server sends is parsed as HTML.
/* global document, window, EventSource, setInterval */

const POLL_MS = 3000;
const cards = new Map();
let serverOffset = 0;
let lastMessageAt = Date.now();

function $(id) {
  return document.getElementById(id);
}

function field(card, name) {
  return card.querySelector(`[data-field="${name}"]`);
}

function serverNow() {
  return Date.now() + serverOffset;
}

function pad(n, width = 2) {
  return String(n).padStart(width, '0');
}

function clockTime(ms) {
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

function duration(ms) {
  const total = Math.round(Math.abs(ms) / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return `${h}h ${pad(m)}m ${pad(s)}s`;
  if (m > 0) return `${m}m ${pad(s)}s`;
  return `${s}s`;
}

function relative(ms) {
  if (typeof ms !== 'number') return '—';
  const delta = ms - serverNow();
  return delta >= 0 ? `in ${duration(delta)}` : `${duration(delta)} ago`;
}

function when(ms) {
  return typeof ms === 'number' ? `${clockTime(ms)} (${relative(ms)})` : '—';
}

function text(value) {
  return value === null || value === undefined || value === '' ? '—' : String(value);
}

function action(request) {
  if (!request) return '—';
  const without = request.withoutSavepoint ? ' without savepoint' : '';
  return `${request.action}${without}, requested ${when(request.requestedAt)}`;
}

function jobFacts(c) {
  const savepoint = c.savepoint
    ? `${c.savepoint.kind} savepoint, trigger ${c.savepoint.triggerId} (since ${clockTime(c.savepoint.requestedAt)})`
    : '—';
  const stop = c.stop
    ? `${c.stop.reason}${c.stop.withoutSavepoint ? ' without savepoint' : ''}${c.stop.triggerId ? `, trigger ${c.stop.triggerId}` : ''}${c.stop.restart ? ', then restart' : ''}${c.stop.delete ? ', then delete' : ''}`
    : c.stopReason
      ? `stopped: ${c.stopReason}`
      : '—';
  const policy = c.policy
    ? `savepoints ${c.policy.savepointMode}, every ${c.policy.savepointIntervalSeconds}s; restart ${c.policy.restartPolicy}`
    : '—';
  return [
    ['Job id', text(c.jobId)],
    ['Flink job state', text(c.lastFlinkState)],
    ['Parallelism', `${text(c.parallelism)} (requested ${text(c.policy?.jobParallelism)})`],
    ['Submission', `${text(c.submission)} in cluster epoch ${text(c.clusterEpoch)}`],
    ['Savepoint path', text(c.savepointPath)],
    ['Savepoint taken', when(c.savepointAt)],
    ['Savepoint in flight', savepoint],
    ['Stop', stop],
    ['Pending action', action(c.pendingAction)],
    [
      'Last action',
      c.lastAction ? `${c.lastAction.action}: ${c.lastAction.outcome} (${c.lastAction.reason})` : '—',
    ],
    ['Notice', c.notice ? `${c.notice.reason}: ${c.notice.message}` : '—'],
    ['Policy', policy],
    ['Last observation', when(c.lastObservedAt)],
  ];
}

function clusterFacts(c) {
  const o = c.observed;
  const flink = !o
    ? '—'
    : o.flink.reachable
      ? `reachable, ${o.flink.slotsTotal} slots, ${o.flink.jobs.length} job(s)`
      : 'unreachable';
  const stop = c.stop
    ? `${c.stop.reason}${c.stop.withoutSavepoint ? ' without savepoint' : ''}${c.stop.restart ? ', then restart' : ''}${c.stop.delete ? ', then delete' : ''}`
    : c.stopReason
      ? `stopped: ${c.stopReason}`
      : '—';
  return [
    ['Epoch', text(c.epoch)],
    [
      'TaskManagers',
      `${text(c.desiredTaskManagers)} desired${o ? `, ${o.taskManagers.pods} pods, ${o.taskManagers.ready} ready` : ''}`,
    ],
    ['Task slots', text(c.taskSlots)],
    [
      'JobManager',
      o
        ? `${o.jobManager.pods} pod(s)${o.jobManager.ready ? ', ready' : ''}; Service ${o.jobManagerService ? 'present' : 'absent'}`
        : '—',
    ],
    ['Flink REST', flink],
    ['Jobs', o ? o.jobs.map((j) => `${j.name}: ${j.state}`).join(', ') || '—' : '—'],
    ['Stop', stop],
    ['Pending action', action(c.pendingAction)],
    [
      'Last action',
      c.lastAction ? `${c.lastAction.action}: ${c.lastAction.outcome} (${c.lastAction.reason})` : '—',
    ],
    ['Notice', c.notice ? `${c.notice.reason}: ${c.notice.message}` : '—'],
    [
      'Policy',
      c.policy
        ? `rescale ${c.policy.rescalePolicy} after ${c.policy.rescaleDelaySeconds}s; taskTimeout ${c.policy.taskTimeoutSeconds}s`
        : '—',
    ],
    ['Last observation', when(c.lastObservedAt)],
  ];
}

function el(tag, props = {}, children = []) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === 'text') node.textContent = value;
    else if (key === 'className') node.className = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
}

function replaceChildren(node, children) {
  node.replaceChildren(...children);
}

function machineUrl(m, suffix = '') {
  return `machines/${encodeURIComponent(m.kind)}/${encodeURIComponent(m.name)}${suffix}`;
}

async function predict(card, form) {
  const m = card.machine;
  const out = field(card, 'prediction');
  const data = new window.FormData(form);
  const event = {
    type: 'ACTION_REQUESTED',
    action: data.get('action'),
    withoutSavepoint: data.get('withoutSavepoint') === 'on',
  };
  out.textContent = 'asking…';
  try {
    const response = await fetch(machineUrl(m, '/predict'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ event }),
    });
    const answer = await response.json();
    if (!response.ok) {
      out.textContent = `cannot predict: ${answer.error}`;
      return;
    }
    const started = answer.started.map((e) => `${e.id} (${e.src}) ${JSON.stringify(e.input)}`);
    out.textContent = [
      `${answer.event.label}: ${answer.from} → ${answer.to}`,
      `starts: ${started.length > 0 ? started.join('; ') : 'nothing'}`,
      `stops: ${answer.stopped.length > 0 ? answer.stopped.join(', ') : 'nothing'}`,
      `changes: ${answer.changed.join(', ') || 'nothing'}`,
      '(nothing was sent to the machine)',
    ].join('\n');
  } catch (err) {
    out.textContent = `cannot predict: ${err}`;
  }
}

function createCard(m) {
  const fragment = $('machine-template').content.cloneNode(true);
  const card = fragment.querySelector('section');
  card.dataset.kind = m.kind;
  card.dataset.name = m.name;
  card.machine = m;
  const img = field(card, 'diagram');
  img.addEventListener('load', () => {
    img.dataset.loaded = 'true';
  });
  img.addEventListener('error', () => {
    img.dataset.loaded = 'error';
  });
  field(card, 'whatif').addEventListener('submit', (event) => {
    event.preventDefault();
    void predict(card, event.target);
  });
  return card;
}

function transitionRow(t) {
  const states = el('td', { className: 'states mono' });
  states.append(el('span', { text: t.from || '(start)' }));
  for (const via of t.via) {
    states.append(
      el('span', { className: 'arrow', text: ' → ' }),
      el('span', { className: 'via', text: via }),
    );
  }
  states.append(el('span', { className: 'arrow', text: ' → ' }), el('strong', { text: t.to }));
  return el('tr', { 'data-seq': String(t.seq), 'data-to': t.to }, [
    el('td', { text: String(t.seq) }),
    el('td', { className: 'mono', text: clockTime(t.at) }),
    el('td', {
      className: 'event mono',
      text: t.event.label,
      title: JSON.stringify(t.event.fields, null, 1),
    }),
    states,
  ]);
}

function updateCard(card, m) {
  card.machine = m;
  field(card, 'kind').textContent = m.kind;
  field(card, 'name').textContent = m.name;
  const badge = field(card, 'state');
  badge.textContent = m.state;
  badge.dataset.state = m.state;
  field(card, 'path').textContent = m.path;
  field(card, 'status').textContent = m.status === 'active' ? '' : m.status;
  field(card, 'history').hidden = m.live;
  const facts = m.kind === 'job' ? jobFacts(m.context) : clusterFacts(m.context);
  replaceChildren(
    field(card, 'facts'),
    facts.flatMap(([name, value]) => [el('dt', { text: name }), el('dd', { text: value })]),
  );
  replaceChildren(
    field(card, 'deadlines'),
    m.deadlines.length === 0
      ? [el('li', { className: 'empty', text: 'none' })]
      : m.deadlines.map((d) =>
          el('li', {}, [
            el('span', { text: `${d.label}: ${clockTime(d.at)} ` }),
            el('span', { className: 'countdown', 'data-at': String(d.at), text: relative(d.at) }),
          ]),
        ),
  );
  const last = m.transitions.at(-1);
  const version = `${m.path}#${last ? last.seq : 0}`;
  const img = field(card, 'diagram');
  if (img.dataset.version !== version) {
    img.dataset.version = version;
    img.dataset.loaded = 'false';
    img.src = `${machineUrl(m, '/diagram')}?v=${encodeURIComponent(version)}`;
  }
  replaceChildren(field(card, 'transitions'), m.transitions.slice().reverse().map(transitionRow));
  field(card, 'dropped').textContent = m.dropped > 0 ? `(${m.dropped} older not shown)` : '';
  field(card, 'context').textContent = JSON.stringify(m.context, null, 2);
}

function render(payload) {
  lastMessageAt = Date.now();
  serverOffset = payload.serverTime - Date.now();
  const who = [payload.supervisor.namespace, payload.supervisor.cluster].filter(Boolean).join('/');
  $('supervisor').textContent = who ? `supervisor of ${who}` : '';
  document.title = who ? `Flinkvisor ${who}` : 'Flinkvisor machines';
  const main = $('machines');
  const seen = new Set();
  for (const m of payload.machines) {
    const key = `${m.kind}/${m.name}`;
    seen.add(key);
    let card = cards.get(key);
    if (!card) {
      card = createCard(m);
      cards.set(key, card);
      main.append(card);
    }
    updateCard(card, m);
  }
  for (const [key, card] of cards) {
    if (!seen.has(key)) {
      card.remove();
      cards.delete(key);
    }
  }
  $('empty').hidden = payload.machines.length > 0;
}

function setConnection(state, label) {
  const node = $('connection');
  node.dataset.state = state;
  node.textContent = label;
}

async function poll() {
  try {
    const response = await fetch('machines', { headers: { accept: 'application/json' } });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    render(await response.json());
    setConnection('polling', 'polling');
  } catch {
    setConnection('offline', 'supervisor unreachable');
  }
}

function connect() {
  if (typeof EventSource !== 'function') {
    void poll();
    return;
  }
  const source = new EventSource('events');
  source.addEventListener('open', () => setConnection('live', 'live'));
  source.addEventListener('machines', (event) => {
    setConnection('live', 'live');
    render(JSON.parse(event.data));
  });
  source.addEventListener('error', () => setConnection('connecting', 'reconnecting…'));
}

function tick() {
  $('clock').textContent = `supervisor time ${clockTime(serverNow())}`;
  for (const node of document.querySelectorAll('.countdown')) {
    const at = Number(node.dataset.at);
    node.textContent = relative(at);
    node.dataset.due = String(at <= serverNow());
  }
  // The stream is down or a proxy buffers it: fall back to polling until it speaks again.
  if (Date.now() - lastMessageAt > POLL_MS * 2) void poll();
}

connect();
setInterval(tick, 1000);
