// The workbench as a person uses it: the development collector's live page in headless
// chromium, while the C example (bindings/c/example.c) delivers to the collector.
// scripts/browser-test.sh builds the programs and runs this file with node:test:
//
//   HAMUSTRO_COLLECTOR  the hamustro-collector binary
//   HAMUSTRO_EXAMPLE    the compiled C example
//   HAMUSTRO_BROWSER_OUT  where the screenshot (workbench.png) and the run's files go
//
// Nothing here sleeps to synchronise: the page is waited on through Playwright's
// locator waits and waitForFunction, the collector through its API's wait_for.
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawn, execFile } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const readline = require('node:readline');
const { launch } = require('./chromium.js');

const collectorBinary = required('HAMUSTRO_COLLECTOR');
const exampleBinary = required('HAMUSTRO_EXAMPLE');
const out = required('HAMUSTRO_BROWSER_OUT');
const secret = 'browser-test-secret';
// Generous for a loaded two-core machine; a wait that passes returns at once.
const wait = 15000;

// The five events of bindings/c/example.c, with their parameters.
const exampleEvents = {
  'Game.Launched': { launch_source: 'desktop_icon' },
  'Level.Started': { level: '1-1', difficulty: 'normal' },
  'Item.Purchased': { item: 'sword_of_dawn', category: 'weapon', currency: 'gems', price: '120' },
  'Level.Completed': { level: '1-1', score: '48210', duration_s: '173' },
  'Achievement.Unlocked': { achievement: 'first_blood' },
};

let collector;
let collectorLog = '';
let base;
let browser;
let page;
const dialogs = [];
const pageErrors = [];

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the test through scripts/browser-test.sh`);
  return value;
}

function dataFile(name) {
  return path.join(out, `${name}.sqlite3`);
}

// Starts the collector on a free port; resolves with its base URL once its first line
// names it (the port is listening by then).
function startCollector() {
  collector = spawn(collectorBinary, ['--port', '0', '--secret', secret], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  collector.stderr.on('data', (chunk) => (collectorLog += chunk));
  return new Promise((resolve, reject) => {
    const lines = readline.createInterface({ input: collector.stdout });
    lines.on('line', (line) => {
      collectorLog += `${line}\n`;
      const found = / on (http:\/\/[^/\s]+)\/api\/v1\/track/.exec(line);
      if (found && !base) resolve(found[1]);
    });
    collector.on('exit', (code) =>
      reject(new Error(`the collector exited (${code}) before naming its URL:\n${collectorLog}`)),
    );
    collector.on('error', reject);
  });
}

// Runs the C example against the collector; resolves with its exit code and output.
function runExample(exampleSecret, database) {
  return new Promise((resolve) => {
    execFile(exampleBinary, [base, exampleSecret, database], { timeout: 60000 },
      (error, stdout, stderr) => {
        resolve({ code: error ? (error.code ?? error.signal) : 0, stdout, stderr });
      });
  });
}

async function api(pathAndQuery, options) {
  const response = await fetch(`${base}${pathAndQuery}`, options);
  const body = await response.text();
  assert.equal(response.status, 200, `${pathAndQuery} answered ${response.status}: ${body}`);
  return JSON.parse(body);
}

// The events the test API returns, whichever envelope it wraps them in.
function eventsOf(answer) {
  return Array.isArray(answer) ? answer : answer.events;
}

// Waits (in the collector) until at least `count` events match `query`.
async function waitForEvents(query, count) {
  const answer = await api(`/api/events?${query}&wait_for=${count}&timeout_ms=${wait}`);
  const events = eventsOf(answer);
  assert.ok(events.length >= count, `waited for ${count} events (${query}), got ${events.length}`);
  return events;
}

// Waits (in the page) until `selector` matches at least `count` elements.
async function waitForAtLeast(selector, count) {
  try {
    await page.waitForFunction(
      ([s, n]) => document.querySelectorAll(s).length >= n,
      [selector, count],
      { timeout: wait },
    );
  } catch (error) {
    const found = await page.locator(selector).count();
    throw new Error(`expected at least ${count} of ${selector} on the page, found ${found}`, { cause: error });
  }
}

// Waits (in the page) until `selector` matches exactly `count` elements.
async function waitForCount(selector, count) {
  try {
    await page.waitForFunction(
      ([s, n]) => document.querySelectorAll(s).length === n,
      [selector, count],
      { timeout: wait },
    );
  } catch (error) {
    const found = await page.locator(selector).count();
    throw new Error(`expected ${count} of ${selector} on the page, found ${found}`, { cause: error });
  }
}

// Waits until the counter `name` shows `value`.
// Waits until the counter `name` shows at least `value`.
async function waitForCounterAtLeast(name, value) {
  try {
    await page.waitForFunction(
      ([testid, least]) => {
        const element = document.querySelector(`[data-testid="${testid}"]`);
        return element !== null && Number(element.textContent.trim()) >= least;
      },
      [name, value],
      { timeout: wait },
    );
  } catch (error) {
    const locator = page.getByTestId(name);
    const shown = (await locator.count()) ? await locator.textContent() : '(missing)';
    throw new Error(`${name} shows ${JSON.stringify(shown)}, expected at least ${value}`, { cause: error });
  }
}

async function waitForCounter(name, value) {
  const locator = page.getByTestId(name);
  try {
    await page.waitForFunction(
      ([testid, expected]) => {
        const element = document.querySelector(`[data-testid="${testid}"]`);
        return element !== null && element.textContent.trim() === expected;
      },
      [name, String(value)],
      { timeout: wait },
    );
  } catch (error) {
    const shown = (await locator.count()) ? await locator.textContent() : '(missing)';
    throw new Error(`${name} shows ${JSON.stringify(shown)}, expected ${value}`, { cause: error });
  }
}

// A request as a client would sign it (shared/PROTOCOL.md): JSON, with the session the
// collector recomputes, signed base64(sha256(time|md5hex(body)|secret)).
async function sendSigned(events, signingSecret = secret) {
  const md5 = (text) => crypto.createHash('md5').update(text).digest('hex');
  const collection = {
    device_id: crypto.createHash('sha256').update('browser-test-device').digest('hex'),
    client_id: 'hamustro-browser-test',
    system_version: '1',
    product_version: '1.0.0',
    env: 'DEVELOPMENT',
  };
  const attributes = [collection.device_id, collection.client_id, collection.system_version,
    collection.product_version, 11];
  collection.session = md5(attributes.join(':'));
  const now = Math.floor(Date.now() / 1000);
  collection.payloads = events.map((event, index) => ({
    at: now,
    event: event.name,
    nr: event.nr ?? index + 1,
    user_id: 'browser-tester',
    parameters: Object.entries(event.parameters ?? {}).map(([name, value]) => ({ name, value })),
  }));
  const body = JSON.stringify(collection);
  const time = String(now);
  const signature = crypto.createHash('sha256')
    .update(`${time}|${md5(body)}|${signingSecret}`).digest('base64');
  const response = await fetch(`${base}/api/v1/track`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      'X-Hamustro-Time': time,
      'X-Hamustro-Signature': signature,
    },
    body,
  });
  return { status: response.status, body: await response.text() };
}

// The page's rows of accepted events named `name` (a rejected request's events are
// shown too, as rejected).
function eventRows(name, status = 'accepted') {
  return page.locator(
    `[data-testid=event][data-status=${status}][data-event=${JSON.stringify(name)}]`);
}

before(async () => {
  fs.mkdirSync(out, { recursive: true });
  base = await startCollector();
  browser = await launch(out, { width: 1280, height: 1000 });
  page = browser.pages()[0] ?? (await browser.newPage());
  page.setDefaultTimeout(wait);
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    dialog.dismiss().catch(() => {});
  });
  page.on('pageerror', (error) => pageErrors.push(error.message));
  // The page loads nothing from outside: any request off the collector's origin fails
  // the test below.
  page.on('request', (request) => {
    if (!request.url().startsWith(`${base}/`) && !request.url().startsWith('data:')) {
      pageErrors.push(`the page requested ${request.url()}`);
    }
  });
  await page.goto(`${base}/`);
  await page.getByTestId('connection').filter({ hasText: 'live' }).waitFor();
});

after(async () => {
  if (page) {
    await page.screenshot({ path: path.join(out, 'last.png') }).catch(() => {});
  }
  await browser?.close();
  collector?.kill();
  fs.writeFileSync(path.join(out, 'collector.log'), collectorLog);
});

test('the C example\'s five events appear on the page with their parameters', async () => {
  const run = await runExample(secret, dataFile('example'));
  assert.equal(run.code, 0, `the example failed:\n${run.stdout}${run.stderr}`);
  await waitForEvents('event=Level.Started&status=accepted', 1);
  for (const [name, parameters] of Object.entries(exampleEvents)) {
    const row = eventRows(name);
    await row.waitFor();
    assert.equal(await row.count(), 1, `${name} shown ${await row.count()} times`);
    assert.equal(await row.getAttribute('data-user'), 'player-1337');
    assert.match(await row.getAttribute('data-session'), /^[0-9a-f]{32}$/);
    const text = await row.textContent();
    for (const [key, value] of Object.entries(parameters)) {
      assert.ok(text.includes(key) && text.includes(value),
        `${name}'s row lacks ${key}=${value}: ${text}`);
    }
  }
  await waitForCounter('counter-accepted', 5);
  // One request, or two when the delivery thread sent the first events before the
  // example's flush: both are the client working as it should.
  await waitForCounterAtLeast('counter-requests', 1);
  await waitForCounter('counter-rejected', 0);
});

test('a request signed with another secret shows as rejected, with its reason and hint', async () => {
  const run = await runExample('not-the-collectors-secret', dataFile('wrong-secret'));
  assert.notEqual(run.code, 0, 'the example delivered with the wrong secret');
  assert.match(run.stderr, /405/, `the client's error names no 405: ${run.stderr}`);
  // The client may try again before it gives up (the example's free drains its queue
  // once more): at least one 405, each showing the same reason and hint.
  const rejected = page.locator('[data-testid=request][data-status="405"]').first();
  await rejected.waitFor();
  const reason = await rejected.getByTestId('reason').textContent();
  const hint = await rejected.getByTestId('hint').textContent();
  assert.match(reason, /signature/i, `reason: ${reason}`);
  assert.match(hint, /shared_secret_key/, `hint: ${hint}`);
  assert.ok(!(reason + hint).includes('not-the-collectors-secret'), 'the page shows a secret');
  // What the refused body held is shown, as rejected: the example's five events.
  for (const name of Object.keys(exampleEvents)) {
    await eventRows(name, 'rejected').first().waitFor();
  }
  await waitForCounterAtLeast('counter-rejected', 1);
  await waitForCounter('counter-accepted', 5);
});

test('an event named <img src=x onerror=alert(1)> renders as text', async () => {
  const name = '<img src=x onerror=alert(1)>';
  const script = '<script>alert(2)</script>';
  const sent = await sendSigned([{ name, parameters: { [script]: '<b>bold</b>' } }]);
  assert.equal(sent.status, 200, sent.body);
  const row = eventRows(name);
  await row.waitFor();
  const text = await row.textContent();
  assert.ok(text.includes(name), `the row shows no ${name} as text: ${text}`);
  assert.ok(text.includes(script), `the row shows no ${script} as text: ${text}`);
  assert.equal(await page.locator('img').count(), 0, 'an <img> element was created');
  assert.equal(await page.locator('[data-testid=event] b, [data-testid=event] script').count(), 0,
    'markup from an event became elements');
  assert.deepEqual(dialogs, [], 'a dialog fired');
});

test('paused, the page counts new events and shows them on resume', async () => {
  await page.getByTestId('pause').click();
  const sent = await sendSigned([{ name: 'Paused.Arrival', nr: 2 }]);
  assert.equal(sent.status, 200, sent.body);
  await waitForEvents('event=Paused.Arrival&status=accepted', 1);
  await page.getByTestId('new-count').filter({ hasText: '1' }).waitFor();
  assert.equal(await eventRows('Paused.Arrival').count(), 0, 'shown while paused');
  await page.getByTestId('pause').click();
  await eventRows('Paused.Arrival').waitFor();
});

test('a 503 fault turned on from the page: the client\'s failed attempts show, and its events arrive once the fault is cleared', async () => {
  // The first test's app installation again: its session goes on numbering, so the
  // page's health shows neither a gap nor a duplicate.
  const database = dataFile('example');
  await setControl('fault-status', '503');
  await setControl('fault-count', '');
  await setControl('fault-retry-after', '1');
  await page.getByTestId('fault-apply').click();
  await page.getByTestId('fault-state').filter({ hasText: '503' }).waitFor();

  // Two runs of the app while the collector refuses: each flush fails, and the events
  // stay queued in the app's database. Each run shows at least one 503: a flush that
  // outlasts the Retry-After (1 s) tries again within its own wait, so a loaded machine
  // shows more.
  for (let attempt = 1; attempt <= 2; attempt++) {
    const run = await runExample(secret, database);
    assert.notEqual(run.code, 0, `run ${attempt} delivered through the fault`);
    assert.match(run.stderr, /503/, `run ${attempt}'s error names no 503: ${run.stderr}`);
    await waitForAtLeast('[data-testid=request][data-status="503"]', attempt);
  }
  const hint = await page.locator('[data-testid=request][data-status="503"]').first()
    .getByTestId('hint').textContent();
  assert.match(hint, /keeps the events/, `the 503's hint: ${hint}`);
  assert.equal(await eventRows('Level.Started').count(), 1, 'an event arrived through the fault');

  await page.getByTestId('fault-clear').click();
  await page.getByTestId('fault-state').filter({ hasText: 'none' }).waitFor();
  const run = await runExample(secret, database);
  assert.equal(run.code, 0, `the run after the fault failed:\n${run.stdout}${run.stderr}`);
  // Both failed runs' events and the third run's: three of each, besides the first test's.
  await waitForEvents('event=Level.Started&status=accepted', 4);
  for (const name of Object.keys(exampleEvents)) {
    await waitForCount(`[data-testid=event][data-status=accepted][data-event="${name}"]`, 4);
  }
  await waitForCounter('counter-accepted', 5 + 2 + 15);
  await page.screenshot({ path: path.join(out, 'workbench.png') });
});

test('a reload while events arrive loses none of them and shows each once', async () => {
  // The page reloads its lists (on connecting, or when it fell behind the stream) from
  // an API snapshot while the stream goes on. Here the snapshot is taken, then held
  // while an event arrives on the stream, then handed to the page: older than what the
  // page shows, it must not take that event away.
  let release;
  const released = new Promise((resolve) => { release = resolve; });
  let snapshotTaken;
  const taken = new Promise((resolve) => { snapshotTaken = resolve; });
  const snapshot = (url) => url.pathname === '/api/events' && url.searchParams.has('limit')
    && !url.searchParams.has('session');
  await page.route(snapshot, async (route) => {
    const response = await route.fetch();
    snapshotTaken();
    await released;
    await route.fulfill({ response });
  });
  const reloaded = page.evaluate(() => reload());
  await taken;
  const sent = await sendSigned([{ name: 'Reload.During', nr: 3 }]);
  assert.equal(sent.status, 200, sent.body);
  await eventRows('Reload.During').waitFor();
  release();
  await reloaded;
  await page.unroute(snapshot);
  assert.equal(await eventRows('Reload.During').count(), 1,
    'the event the stream brought during the reload is not shown once');
  // The stream bringing an event the snapshot already had, as when the event was
  // stored between the page's subscribing and its snapshot: still one row.
  await page.evaluate(() => {
    const shown = [...events.values()].find((e) => e.event === 'Reload.During');
    addEvent({ ...shown });
  });
  assert.equal(await eventRows('Reload.During').count(), 1, 'an event already shown shows twice');
});

test('the page loaded nothing from outside and threw no error', () => {
  assert.deepEqual(pageErrors, []);
});

// Fills an input or picks a select's option, whichever the control is.
async function setControl(testid, value) {
  const control = page.getByTestId(testid);
  const tag = await control.evaluate((element) => element.tagName);
  if (tag === 'SELECT') await control.selectOption(value);
  else await control.fill(value);
}
