// The demo's console: plain DOM, the API's own routes, the machine drawn by Mermaid (served
// from the installed package). Buttons come from the resource's `transitions` (the validator's
// explain()): enabled when the event is allowed now, disabled with the reason when not.
/* global mermaid */
mermaid.initialize({ startOnLoad: false, securityLevel: 'strict' });

const $ = (id) => document.getElementById(id);
let selected = null; // { kind: 'orders' | 'articles', id }
const machines = {};

const headers = () => {
  const h = { 'content-type': 'application/json' };
  if ($('role').value) h['x-user-role'] = $('role').value;
  if ($('user').value) h['x-user-id'] = $('user').value;
  return h;
};

async function call(method, path, body) {
  const res = await fetch(path, {
    method,
    headers: headers(),
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, body: json };
}

const REASONS = {
  'final-state': 'final state',
  'no-transition': 'no transition from here',
  'guard-rejected': 'refused by guard',
  forbidden: 'forbidden in this state',
  'role-required': 'needs the role',
};
const why = (t) =>
  `${REASONS[t.reason] ?? t.reason}${t.blockedBy ? ` ${t.blockedBy.join(', ')}` : ''}${
    t.requiredRoles ? ` ${t.requiredRoles.join(' or ')}` : ''
  }`;

async function machine(kind) {
  const resource = kind === 'orders' ? 'order' : 'article';
  machines[resource] ??= (await call('GET', `/machines/${resource}`)).body;
  return { resource, description: machines[resource] };
}

async function refreshLists() {
  for (const kind of ['orders', 'articles']) {
    const list = (await call('GET', `/${kind}`)).body;
    const ul = $(kind);
    ul.replaceChildren(
      ...list.map((r) => {
        const li = document.createElement('li');
        const b = document.createElement('button');
        b.textContent = `${kind === 'orders' ? 'Order' : 'Article'} ${r.id}: ${r.state}`;
        b.dataset.testid = `${kind}-${r.id}`;
        if (selected && selected.kind === kind && selected.id === r.id) b.classList.add('selected');
        b.onclick = () => select(kind, r.id);
        li.append(b);
        return li;
      }),
    );
  }
}

async function select(kind, id) {
  selected = { kind, id };
  await render();
  await refreshLists();
}

function payloadInputs(schema) {
  const props = schema && schema.properties ? schema.properties : {};
  return Object.entries(props).map(([name, s]) => {
    const input = document.createElement('input');
    input.name = name;
    input.placeholder = name;
    input.type = s.type === 'integer' || s.type === 'number' ? 'number' : 'text';
    input.required = (schema.required ?? []).includes(name);
    return input;
  });
}

async function render() {
  const { kind, id } = selected;
  const { resource, description } = await machine(kind);
  const got = await call('GET', `/${kind}/${id}`);
  if (got.status !== 200) {
    $('answer').textContent = JSON.stringify(got, null, 2);
    return;
  }
  const row = got.body;
  $('detail').hidden = false;
  $('title').textContent = `${resource} ${row.id}`;
  $('summary').textContent =
    `state ${row.state}, version ${row.version}` +
    (row.total !== undefined ? `, total ${row.total}, paid ${row.paid}` : '');
  const { svg } = await mermaid.render(
    `m${Date.now()}`,
    (
      await call(
        'GET',
        `/machines/${resource}?format=mermaid&highlight=${encodeURIComponent(row.state)}`,
      )
    ).body,
  );
  $('diagram').innerHTML = svg;
  countDown(row.timers ?? []);
  $('diagram').dataset.state = row.state;
  $('events').replaceChildren(
    ...row.allowedEvents.map((t) => {
      const box = document.createElement('form');
      box.className = 'event';
      box.dataset.event = t.event;
      const button = document.createElement('button');
      button.textContent = t.event;
      button.disabled = !t.allowed;
      box.append(button);
      if (t.allowed) box.append(...payloadInputs(description.payloads[t.event]));
      else {
        const reason = document.createElement('div');
        reason.className = 'why';
        reason.textContent = why(t);
        button.title = reason.textContent;
        box.append(reason);
      }
      box.onsubmit = async (e) => {
        e.preventDefault();
        const payload = { type: t.event };
        for (const input of box.querySelectorAll('input')) {
          if (input.value !== '')
            payload[input.name] = input.type === 'number' ? Number(input.value) : input.value;
        }
        const answer = await call('POST', `/${kind}/${id}/events`, payload);
        $('answer').textContent = `${answer.status}\n${JSON.stringify(answer.body, null, 2)}`;
        await render();
        await refreshLists();
      };
      return box;
    }),
  );
  await renderHistory(kind, id);
  // Everything for this version is on the page (what the browser test waits for).
  $('detail').dataset.rendered = `${row.state}@${row.version}`;
}

/**
 * The payment window (PAYMENT_WINDOW): seconds left before the server's timer cancels the pending
 * order; past the deadline, the order is read again until the timer has fired.
 */
let ticking;
function countDown(timers) {
  clearInterval(ticking);
  const due = timers.length ? Date.parse(timers[0].dueAt) : undefined;
  $('deadline').hidden = due === undefined;
  if (due === undefined) return;
  const shown = selected;
  const tick = () => {
    const left = Math.ceil((due - Date.now()) / 1000);
    $('deadline').textContent =
      left > 0 ? `Cancelled in ${left} s unless paid` : 'Payment window over: cancelling…';
    if (left <= -1 && selected === shown) {
      clearInterval(ticking);
      setTimeout(() => selected === shown && render().then(refreshLists), 500);
    }
  };
  tick();
  ticking = setInterval(tick, 1000);
}

/** An order's transition log (newest first) and the notifications the outbox delivered. */
async function renderHistory(kind, id) {
  $('history-section').hidden = kind !== 'orders';
  if (kind !== 'orders') return;
  const history = (await call('GET', `/orders/${id}/history?limit=20`)).body;
  $('history').replaceChildren(
    ...(history.entries ?? []).map((e) => {
      const li = document.createElement('li');
      const who = e.actor ? ` by ${e.actor}` : '';
      const why = [e.reason, e.comment].filter(Boolean).join(': ');
      // A fired timer's event is XState's `xstate.after.<delay>.<state>`: shown as `after <delay>`.
      const event = e.event.startsWith('xstate.after.')
        ? `after ${e.event.split('.')[2]}`
        : e.event;
      li.textContent = `v${e.version} ${event}: ${e.from} → ${e.to}${who}${why ? ` (${why})` : ''}`;
      return li;
    }),
  );
  const sent = (await call('GET', `/orders/${id}/notifications`)).body;
  $('notifications').replaceChildren(
    ...(Array.isArray(sent) ? sent : []).map((n) => {
      const li = document.createElement('li');
      li.textContent = `${n.event}: ${n.text}`;
      return li;
    }),
  );
}

$('new-order').onsubmit = async (e) => {
  e.preventDefault();
  const created = await call('POST', '/orders', { total: Number(e.target.total.value) });
  $('answer').textContent = `${created.status}\n${JSON.stringify(created.body, null, 2)}`;
  if (created.status < 300) await select('orders', created.body.id);
};
$('new-article').onsubmit = async (e) => {
  e.preventDefault();
  const created = await call('POST', '/articles', {
    title: e.target.title.value,
    text: e.target.text.value,
  });
  $('answer').textContent = `${created.status}\n${JSON.stringify(created.body, null, 2)}`;
  if (created.status < 300) await select('articles', created.body.id);
};
$('role').onchange = () => selected && render();

refreshLists();
