// The web console in a real browser: Debian's chromium, headless, driven by puppeteer-core (no
// browser download), against the real `markbridge run` over HTTPS with the sandbox LA portal as
// its sink and one dead letter. It logs in, opens the overview and the outbox, retries the dead
// letter and sees it delivered at the sandbox, is refused the pupil pages as the technician, logs
// out; as the attendance officer opens the pupils at risk, a pupil, and a day of their register
// and sees its explanation. Then a trust's service of two schools: the officer switches school
// with the header's switcher (no script), sees the second school's pupils only, and opens All
// schools. axe-core checks each page (a serious or critical violation fails the test) and a
// screenshot of each is saved.
//
// usage: node console_browser.mjs --build BUILD_DIR --source SOURCE_DIR
//   screenshots go to BUILD_DIR/console-screenshots/; CHROMIUM overrides /usr/bin/chromium.
// Run by ctest as `console_browser` (tests/CMakeLists.txt). Without chromium it FAILS, saying
// so: scripts/install-deps.sh installs it.

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, a, i, all) => (a.startsWith('--') ? [...pairs, [a.slice(2), all[i + 1]]] : pairs), []),
);
const build = path.resolve(args.build ?? 'build');
const source = path.resolve(args.source ?? '.');
const chromium = process.env.CHROMIUM ?? '/usr/bin/chromium';
const shots = path.join(build, 'console-screenshots');
const certs = path.join(build, 'certs');
const markbridge = path.join(build, 'core/app/markbridge');
const sandboxBin = path.join(build, 'tests/sandbox/markbridge-sandbox');

function fail(message) {
  console.error(`console_browser: FAILED: ${message}`);
  process.exitCode = 1;
  const error = new Error(message);
  error.reported = true;
  throw error;
}

if (!fs.existsSync(chromium))
  fail(`no chromium at ${chromium}: install it (scripts/install-deps.sh, or apt-get install chromium)`);
const peers = createRequire(path.join(source, 'tests/peers/package.json'));
let puppeteer;
try {
  puppeteer = peers('puppeteer-core');
} catch {
  fail('puppeteer-core is not installed: npm ci --prefix tests/peers');
}
const axeSource = fs.readFileSync(peers.resolve('axe-core/axe.min.js'), 'utf8');

// Polls `condition` every 100 ms until it holds or `ms` pass (a deadline for a hang, not a speed
// check).
async function waitUntil(condition, what, ms = 60000) {
  const end = Date.now() + ms;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > end) fail(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100)); // the poll interval
  }
}

const ca = fs.readFileSync(path.join(certs, 'ca.pem'));
function request(port, method, urlPath, { body = '', headers = {} } = {}) {
  return new Promise((resolve, reject) => {
    const req = https.request(
      { host: '127.0.0.1', port, method, path: urlPath, ca, headers: { 'Content-Length': Buffer.byteLength(body), ...headers } },
      (res) => {
        let text = '';
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'markbridge-console-'));
const children = [];
// The sandbox's LA portal as a sink, and the service with the console over TLS: both
// configurations' (the school's and the trust's).
function laSink(sandboxPort) {
  return { name: 'la', type: 'la_portal', base_url: `https://127.0.0.1:${sandboxPort}`, ca_file: path.join(certs, 'ca.pem'),
    auth: { type: 'bearer', token_env: 'MB_LA_TOKEN' } };
}

function consoleService() {
  return { admin_port: 0, port_file: 'admin.port', admin_token_env: 'MB_ADMIN_TOKEN',
    admin_cert: path.join(certs, 'server.pem'), admin_key: path.join(certs, 'server.key'),
    console_users_file: 'console-users', log_file: 'markbridge.jsonl' };
}

function start(bin, argv, env = {}, cwd = dir) {
  const log = fs.openSync(path.join(cwd, `${path.basename(bin)}.log`), 'a');
  const child = spawn(bin, argv, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', log, log] });
  children.push(child);
  return child;
}
async function portFrom(file) {
  await waitUntil(() => fs.existsSync(file) && fs.readFileSync(file, 'utf8').trim() !== '', file);
  return Number(fs.readFileSync(file, 'utf8').trim());
}

// The names of the pupils: the technician must never be shown them.
const pupils = [
  { upn: 'B801200005001', forename: 'Zebedee', surname: 'Quillfeather' },
  { upn: 'Q801200005002', forename: 'Xanthippe', surname: 'Marchbanks-Oyelaran' },
];

let browser;
async function main() {
  fs.mkdirSync(shots, { recursive: true });
  const sandboxPort = start(sandboxBin, [
    '--cert', path.join(certs, 'server.pem'), '--key', path.join(certs, 'server.key'),
    '--la-token', 'la-sandbox-token', '--port-file', path.join(dir, 'sandbox.port'),
  ]) && (await portFrom(path.join(dir, 'sandbox.port')));
  // The first notification is refused (422): one dead letter.
  await request(sandboxPort, 'POST', '/_sandbox/faults', { body: JSON.stringify({ fail: 1, status: 422 }) });

  // A term around today keeps the service's schedule (and the overview) as a school sees it in
  // term time. Two pupils present for five school days from its start, then away ten (the 10-day
  // unauthorised rule fires), as this year's register: what the pupil pages show.
  const day = (offset) => new Date(Date.now() + offset * 86400000).toISOString().slice(0, 10);
  const weekdays = [];
  for (let offset = -30; weekdays.length < 15; offset++) {
    const d = new Date(Date.now() + offset * 86400000);
    if (d.getUTCDay() !== 0 && d.getUTCDay() !== 6) weekdays.push(day(offset));
  }
  let csv = 'UPN,Adno,Legal Surname,Legal Forename,Year,Reg Group,Date,Session,Mark\n';
  for (const [i, p] of pupils.entries())
    for (const [n, date] of weekdays.entries())
      for (const s of ['AM', 'PM'])
        csv += `${p.upn},${1000 + i},${p.surname},${p.forename},7,7${'AB'[i]},${date},${s},${n < 5 ? (s === 'AM' ? '/' : '\\') : 'N'}\n`;
  fs.writeFileSync(path.join(dir, 'register.csv'), csv);
  fs.writeFileSync(path.join(dir, 'calendar.json'), JSON.stringify({
    name: 'test calendar',
    terms: [{ name: 'This term', start: day(-30), end: day(60) }],
  }));
  fs.copyFileSync(path.join(source, 'docs/policies/otw-attendance-bands.json'), path.join(dir, 'otw.json'));
  fs.writeFileSync(path.join(dir, 'markbridge.json'), JSON.stringify({
    school: { urn: '140000', la: '801', estab: '4000', name: 'Test School' },
    store: { sqlite: 'register.db' },
    calendar: 'calendar.json',
    // The school's rules: the statutory policy and a school's own (the Backtest page compares them).
    rules: { policies: ['statutory', 'otw.json'] },
    sources: [{ name: 'sims', type: 'sims_csv', files: ['register.csv'] }],
    sinks: [laSink(sandboxPort)],
    service: consoleService(),
  }, null, 2));
  // The users, made as the docs say: the password on standard input.
  for (const [name, role] of [['sam', 'technician'], ['ola', 'attendance_officer']]) {
    const made = spawnSync(markbridge, ['user', '--config', 'markbridge.json', 'add', name, '--role', role],
      { cwd: dir, input: `${name}-console-password\n`, encoding: 'utf8' });
    if (made.status !== 0) fail(`user add ${name}: ${made.stderr}`);
  }
  start(markbridge, ['run', '--config', 'markbridge.json'], { MB_LA_TOKEN: 'la-sandbox-token', MB_ADMIN_TOKEN: 'admin-secret' });
  const port = await portFrom(path.join(dir, 'admin.port'));
  const sync = await request(port, 'POST', '/sync', { headers: { Authorization: 'Bearer admin-secret' } });
  if (JSON.parse(sync.body).dead_lettered !== 1) fail(`expected one dead letter: ${sync.body}`);
  const received = async () => JSON.parse((await request(sandboxPort, 'GET', '/_sandbox/received')).body).received.length;
  if ((await received()) !== 1) fail('the sandbox should hold one notification before the retry');

  browser = await puppeteer.launch({
    executablePath: chromium,
    headless: true,
    acceptInsecureCerts: false,
    // The development CA signs the console's certificate: chromium is told to trust it by its
    // SPKI hash, so TLS is checked as it would be on a school's machine.
    args: ['--no-sandbox', `--ignore-certificate-errors-spki-list=${spkiOf(path.join(certs, 'server.pem'))}`],
  });
  const page = await browser.newPage();
  await page.setBypassCSP(true); // axe-core is injected into each page; the console's CSP stays on
  await page.setViewport({ width: 1280, height: 900 });
  const base = `https://127.0.0.1:${port}`;
  const report = [];

  async function check(name) {
    await page.evaluate(axeSource);
    const result = await page.evaluate(async () =>
      // eslint-disable-next-line no-undef
      axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } }));
    const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    for (const v of result.violations) report.push(`${name}: ${v.impact} ${v.id} (${v.nodes.length}): ${v.help}`);
    await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
    if (bad.length) fail(`${name}: ${bad.map((v) => `${v.id}: ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`).join('; ')}`);
    const html = await page.content();
    return html;
  }

  // Not logged in: the console sends us to the login page.
  await page.goto(`${base}/console/`);
  if (!page.url().endsWith('/console/login')) fail(`expected the login page, got ${page.url()}`);
  await check('login');
  // The keyboard reaches the skip link first, and its focus is visible.
  await page.keyboard.press('Tab');
  const focus = await page.evaluate(() => {
    const el = document.activeElement;
    const style = getComputedStyle(el);
    return { text: el.textContent, outline: style.outlineStyle, width: style.outlineWidth };
  });
  if (!focus.text.includes('Skip') || focus.outline === 'none') fail(`keyboard focus not visible: ${JSON.stringify(focus)}`);

  await page.type('#name', 'sam');
  await page.type('#password', 'sam-console-password');
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  if (!page.url().endsWith('/console/')) fail(`login did not reach the overview: ${page.url()}`);
  const overview = await check('overview');
  if (!overview.includes('<h1>Overview</h1>')) fail('no overview heading');

  await Promise.all([page.waitForNavigation(), page.click('nav a[href="/console/outbox"]')]);
  // A header link (visited by now) keyboard-focused reads dark on the yellow focus background.
  const headerLink = await page.$('header nav a[href="/console/outbox"]');
  await headerLink.focus();
  const focused = await page.evaluate(() => getComputedStyle(document.activeElement).color);
  if (focused !== 'rgb(11, 12, 12)') fail(`a focused header link is ${focused} on yellow`);
  // The technician gets the dead letter's HTTP status, never the destination's answer (it may
  // name pupils): no answer to open, and who to ask instead.
  if (await page.$('details summary')) fail("the technician was shown a destination's answer");
  const outbox = await check('outbox');
  if (!outbox.includes('ask the attendance officer or DSL to read the answer')) fail('the technician was not told who can read the answer');
  for (const p of pupils)
    for (const text of [p.forename, p.surname, p.upn])
      if (outbox.includes(text)) fail(`the technician was shown ${text}`);
  const retry = await page.$('button[aria-label^="Retry item"]');
  if (!retry) fail('no Retry button for the dead letter');
  await Promise.all([page.waitForNavigation(), retry.click()]);
  const after = await page.content();
  if (!after.includes('is back to pending')) fail('the retry was not confirmed on the page');
  // Delivered at the sandbox by the running service, not by a sync we ran.
  await waitUntil(async () => (await received()) === 2, 'the retried item at the sandbox');
  await waitUntil(async () => {
    await page.goto(`${base}/console/outbox?state=delivered`);
    return (await page.$$('tbody .state-delivered')).length === 2;
  }, 'both items shown delivered');
  await check('outbox-after-retry');

  // The pupil pages are not the technician's: not in the navigation, and refused saying why.
  if (await page.$('nav a[href="/console/pupils"]')) fail('the technician was offered the pupil pages');
  const refused = await page.goto(`${base}/console/pupils/${pupils[0].upn}`);
  if (refused.status() !== 403) fail(`the technician opened a pupil page: ${refused.status()}`);
  const refusal = await check('pupils-technician');
  if (!refusal.includes('does not see pupils')) fail('the refusal does not say why');
  for (const p of pupils)
    for (const text of [p.forename, p.surname]) if (refusal.includes(text)) fail(`the technician was shown ${text}`);

  // The attendance officer sees the pupils' names.
  await Promise.all([page.waitForNavigation(), page.click('header button[type=submit]')]);
  if (!page.url().endsWith('/console/login')) fail(`logout did not reach the login page: ${page.url()}`);
  await page.goto(`${base}/console/outbox`);
  if (!page.url().endsWith('/console/login')) fail('the session outlived its logout');
  await page.type('#name', 'ola');
  await page.type('#password', 'ola-console-password');
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  await page.goto(`${base}/console/outbox`);
  const named = await check('outbox-attendance-officer');
  if (!named.includes(`${pupils[0].forename} ${pupils[0].surname}`)) fail('the attendance officer was not shown the names');

  // Pupils at risk: both pupils, at 33.3% (10 of 30 sessions), severe absence, the run of 20.
  await Promise.all([page.waitForNavigation(), page.click('nav a[href="/console/pupils"]')]);
  const list = await check('pupils');
  for (const p of pupils) if (!list.includes(`${p.surname}, ${p.forename}`)) fail(`${p.surname} is not on the list`);
  if (!list.includes('>33.3%<') || !list.includes('>SA<')) fail('the list does not show 33.3% and SA');
  // The filter form works without script: year 7, reg group 7B.
  await page.select('#f-reg', '7B');
  await Promise.all([page.waitForNavigation(), page.click('form.filters-form button[type=submit]')]);
  const filtered = await page.content();
  if (filtered.includes(pupils[0].surname) || !filtered.includes(pupils[1].surname)) fail('the reg group filter did not choose 7B');
  await page.goto(`${base}/console/pupils`);
  // Open the first pupil, then click a day of their register.
  await Promise.all([page.waitForNavigation(), page.click(`a[href="/console/pupils/${pupils[0].upn}"]`)]);
  const pupil = await check('pupil');
  if (!pupil.includes(`<h1>${pupils[0].forename} ${pupils[0].surname}</h1>`)) fail('the pupil page has no name heading');
  const absentDay = weekdays[8];
  await Promise.all([page.waitForNavigation(), page.click(`svg a[data-day="${absentDay}"]`)]);
  if (!page.url().includes(`?day=${absentDay}`)) fail(`clicking a day did not open it: ${page.url()}`);
  const explained = await page.$eval('section.day', (el) => el.textContent);
  if (!explained.includes('reason for absence not yet established') || !explained.includes('statutory.unauthorised_10_day'))
    fail(`the day's explanation is missing its mark or rule: ${explained.slice(0, 400)}`);
  await check('pupil-day');
  // The weekly report: the groups' counts, no pupil named; printable, and as CSV.
  await Promise.all([page.waitForNavigation(), page.click('nav a[href="/console/report"]')]);
  const weekly = await check('report');
  if (!weekly.includes('Whole school') || !weekly.includes('/console/report.csv')) fail('the weekly report has no whole-school row or CSV link');
  for (const p of pupils) if (weekly.includes(p.surname)) fail(`the weekly report names ${p.surname}`);
  // The backtest: the school's rules against the statutory policy alone, from the form (no script).
  await Promise.all([page.waitForNavigation(), page.click('nav a[href="/console/backtest"]')]);
  await page.select('#bt-policy', 'configured');
  await page.select('#bt-compare', 'statutory');
  await Promise.all([page.waitForNavigation(), page.click('form.filters-form button[type=submit]')]);
  const backtest = await check('backtest');
  if (!backtest.includes('Events by rule') || !backtest.includes('id="load-b"') || !backtest.includes('<svg role="img"'))
    fail(`the backtest did not show two policies side by side: ${page.url()}`);
  for (const p of pupils) if (backtest.includes(p.surname)) fail(`the backtest names ${p.surname}`);
  await Promise.all([page.waitForNavigation(), page.click('header button[type=submit]')]);

  await trustSchools(page, check, sandboxPort, weekdays, day);

  for (const line of report) console.log(`axe (not serious): ${line}`);
  console.log(`console_browser: passed; screenshots in ${shots}`);
}

// A trust's service (two schools, one pupil each): log in, switch to the second school with the
// header's form, see its pupils only, open All schools; axe-core on each.
async function trustSchools(page, check, sandboxPort, weekdays, day) {
  const trust = path.join(dir, 'trust');
  fs.mkdirSync(trust);
  const schools = [
    { urn: '140001', name: 'Abbey Primary', pupil: { upn: 'B801200005001', forename: 'Zebedee', surname: 'Quillfeather' } },
    { urn: '140002', name: 'Brook Academy', pupil: { upn: 'Q801200005002', forename: 'Ottoline', surname: 'Featherstonehaugh' } },
  ];
  fs.writeFileSync(path.join(trust, 'calendar.json'), JSON.stringify({
    name: 'test calendar',
    terms: [{ name: 'This term', start: day(-30), end: day(60) }],
  }));
  for (const s of schools) {
    let csv = 'UPN,Adno,Legal Surname,Legal Forename,Year,Reg Group,Date,Session,Mark\n';
    for (const date of weekdays)
      for (const session of ['AM', 'PM']) csv += `${s.pupil.upn},1000,${s.pupil.surname},${s.pupil.forename},7,7A,${date},${session},N\n`;
    fs.writeFileSync(path.join(trust, `${s.urn}.csv`), csv);
  }
  fs.writeFileSync(path.join(trust, 'trust.json'), JSON.stringify({
    schools: schools.map((s) => ({
      school: { urn: s.urn, la: '801', estab: `400${s.urn.slice(5)}`, name: s.name },
      calendar: 'calendar.json',
      sources: [{ name: 'sims', type: 'sims_csv', files: [`${s.urn}.csv`] }],
    })),
    sinks: [laSink(sandboxPort)],
    service: consoleService(),
  }, null, 2));
  const made = spawnSync(markbridge, ['user', '--config', 'trust.json', 'add', 'ola', '--role', 'attendance_officer'],
    { cwd: trust, input: 'ola-console-password\n', encoding: 'utf8' });
  if (made.status !== 0) fail(`user add ola (trust): ${made.stderr}`);
  start(markbridge, ['run', '--config', 'trust.json'], { MB_LA_TOKEN: 'la-sandbox-token', MB_ADMIN_TOKEN: 'admin-secret' }, trust);
  const port = await portFrom(path.join(trust, 'admin.port'));
  for (const s of schools) {
    let sync;
    await waitUntil(async () => {
      sync = await request(port, 'POST', `/sync?school=${s.urn}`, { headers: { Authorization: 'Bearer admin-secret' } });
      return sync.status !== 409;
    }, `a sync of school ${s.urn}`);
    if (sync.status !== 200) fail(`the sync of school ${s.urn}: ${sync.status} ${sync.body}`);
  }
  const base = `https://127.0.0.1:${port}`;
  await page.goto(`${base}/console/`);
  await page.type('#name', 'ola');
  await page.type('#password', 'ola-console-password');
  await Promise.all([page.waitForNavigation(), page.click('form.login button[type=submit]')]);
  const first = await check('trust-overview-abbey');
  if (!first.includes('Abbey Primary (140001)') || (await page.$eval('#school-switcher', (el) => el.value)) !== '140001')
    fail('the first school is not the one shown, or the switcher does not say so');
  // The switcher from the keyboard: focus it (its focus visible), choose the second school, submit.
  await page.focus('#school-switcher');
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  if (outline === 'none') fail('the school switcher shows no keyboard focus');
  await page.select('#school-switcher', '140002');
  await Promise.all([page.waitForNavigation(), page.click('form.switcher button[type=submit]')]);
  if (!page.url().endsWith('/console/?school=140002')) fail(`the switcher did not open the second school: ${page.url()}`);
  const brook = await check('trust-overview-brook');
  if (!brook.includes('Brook Academy (140002)')) fail('the banner does not name the second school');
  await Promise.all([page.waitForNavigation(), page.click('nav a[href="/console/pupils?school=140002"]')]);
  const list = await check('trust-pupils-brook');
  if (!list.includes(`${schools[1].pupil.surname}, ${schools[1].pupil.forename}`)) fail("the second school's pupil is not on its list");
  if (list.includes(schools[0].pupil.surname)) fail("the first school's pupil is on the second school's list");
  await Promise.all([page.waitForNavigation(), page.click('nav a[href="/console/schools?school=140002"]')]);
  const all = await check('trust-schools');
  for (const s of schools)
    if (!all.includes(`<a href="/console/?school=${s.urn}">${s.name}</a>`)) fail(`All schools has no row for ${s.name}`);
  await Promise.all([page.waitForNavigation(), page.click('header button[type=submit]')]);
}

// The base64 SHA-256 of a certificate's public key (what --ignore-certificate-errors-spki-list
// takes).
function spkiOf(pem) {
  const out = spawnSync('sh', ['-c',
    `openssl x509 -in '${pem}' -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64`],
    { encoding: 'utf8' });
  if (out.status !== 0) fail(`cannot read ${pem}: ${out.stderr}`);
  return out.stdout.trim();
}

try {
  await main();
} catch (error) {
  process.exitCode = 1;
  if (!error?.reported) console.error(error?.stack ?? error);
  for (const log of ['markbridge.log', 'markbridge-sandbox.log', 'trust/markbridge.log'])
    if (fs.existsSync(path.join(dir, log))) console.error(`--- ${log}\n${fs.readFileSync(path.join(dir, log), 'utf8').slice(-4000)}`);
} finally {
  if (browser) await browser.close();
  for (const child of children) child.kill('SIGTERM');
  await Promise.all(children.map((c) => (c.exitCode !== null ? null : new Promise((resolve) => c.on('exit', resolve)))));
  fs.rmSync(dir, { recursive: true, force: true });
}
