// Drives the registry's web console in headless Chromium (from @sparticuz/chromium, driven by
// playwright-core) for trustregistry/console's browser test. Input (JSON on stdin):
//   { base, tokens: {alice, bob, carol, erin}, authority, evilAuthority, backdated, screenshots }
// It throws (non-zero exit, message on stderr) at the first step that does not behave, and
// prints {"steps": [...], "violations": [...]} on success.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import chromium from '@sparticuz/chromium';
import { chromium as pw } from 'playwright-core';

const require = createRequire(import.meta.url);
const input = JSON.parse(fs.readFileSync(0, 'utf8'));
const base = input.base;
const steps = [];
const step = (s) => { steps.push(s); process.stderr.write('step: ' + s + '\n'); };
const assert = (cond, msg) => { if (!cond) throw new Error(msg); };

const args = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];

async function executable() {
  try {
    return await chromium.executablePath();
  } catch (e) {
    if (fs.existsSync('/usr/bin/chromium')) return '/usr/bin/chromium';
    throw e;
  }
}

const browser = await pw.launch({ executablePath: await executable(), args });
const shots = input.screenshots || '';
async function shot(page, name) {
  if (!shots) return;
  await page.screenshot({ path: path.join(shots, name + '.png'), fullPage: true });
}

async function signIn(ctx, token) {
  const page = await ctx.newPage();
  await page.goto(base + '/console/');
  assert(page.url().includes('/console/signin'), 'anonymous visit not sent to sign-in: ' + page.url());
  await page.fill('#token', token);
  await Promise.all([page.waitForNavigation(), page.click('#signin-form button[type=submit]')]);
  return page;
}

const axeSource = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const violations = [];
async function axe(page, label) {
  // Evaluated through the DevTools protocol, so the page's CSP (no inline script) still holds.
  await page.evaluate(axeSource);
  const res = await page.evaluate(async () => {
    const r = await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
  });
  for (const v of res) violations.push({ page: label, ...v });
}

try {
  // 1. alice signs in and proposes a back-dated suspension.
  const alice = await browser.newContext({ locale: 'en-GB', timezoneId: 'Asia/Singapore' });
  let page = await signIn(alice, input.tokens.alice);
  assert((await page.textContent('#whoami')) === 'alice', 'alice is not signed in');
  step('alice signed in');
  await page.goto(base + '/console/proposals/new/suspension');
  await page.selectOption('#authority', input.authority);
  await page.selectOption('#status', 'suspended');
  await page.fill('#effective_at', input.backdated);
  await page.fill('#reason', 'Signing key leaked (incident SG-2026-17)');
  await Promise.all([page.waitForNavigation(), page.click('#propose')]);
  const proposalURL = page.url();
  assert(/\/console\/proposals\/p-/.test(proposalURL), 'no proposal page after proposing: ' + proposalURL);
  assert((await page.locator('#approve').count()) === 0, 'alice is offered to approve her own proposal');
  const diffText = await page.textContent('.diff-table');
  assert(diffText.includes('suspended'), 'the diff does not show the suspension: ' + diffText);
  step('alice proposed ' + proposalURL + ' and cannot approve it; the diff shows the change');

  // 2. A page on another origin posts a rejection form into alice's console: refused.
  const evil = http.createServer((req, res) => {
    res.setHeader('Content-Type', 'text/html');
    res.end(`<form id=f method=post action="${proposalURL}/withdraw"><input name=reason value=forged></form><script>document.getElementById('f').submit()</script>`);
  });
  await new Promise((r) => evil.listen(0, '127.0.0.1', r));
  const evilPage = await alice.newPage();
  const resp = await Promise.all([evilPage.waitForNavigation({ url: /\/console\// }), evilPage.goto(`http://127.0.0.1:${evil.address().port}/`)]).then(([n]) => n);
  evil.close();
  assert(resp === null || resp.status() === 403 || evilPage.url().includes('/signin'), 'the forged form answered ' + (resp && resp.status()));
  await page.reload();
  assert((await page.textContent('#proposal-status')).trim() === 'pending', 'the forged form changed the proposal');
  step('a form posted from another origin was refused (' + (resp ? resp.status() : 'no answer') + ')');

  // 3. bob approves it in another browser context.
  const bob = await browser.newContext({ locale: 'en-GB', timezoneId: 'Europe/London' });
  const bobPage = await signIn(bob, input.tokens.bob);
  await shot(bobPage, 'console-overview');
  await bobPage.goto(proposalURL);
  await shot(bobPage, 'console-proposal');
  await bobPage.fill('#comment', 'Confirmed with the Singapore registrar');
  await Promise.all([bobPage.waitForNavigation(), bobPage.click('#approve')]);
  assert((await bobPage.textContent('#proposal-status')).trim() === 'applied', 'bob\'s approval did not apply the change');
  step('bob approved; the change set applied');

  await bobPage.goto(base + '/console/objects/authorities/' + encodeURIComponent(input.authority));
  assert((await bobPage.textContent('#timeline')).includes('back-dated'), 'the back-dated suspension is not shown as such');
  const title = await bobPage.getAttribute('#timeline time', 'title');
  assert(title && title.endsWith('UTC'), 'a time has no UTC title: ' + title);
  await shot(bobPage, 'console-authority');
  step('the authority\'s timeline shows the back-dated suspension; times carry UTC titles');

  // 4. A foreign authority name with markup renders as text.
  await bobPage.goto(base + '/console/objects/authorities?q=' + encodeURIComponent(input.evilAuthority));
  const xss = await bobPage.evaluate(() => window.__xss);
  assert(xss === undefined, 'an authority name ran as script');
  assert((await bobPage.textContent('#objects')).includes('<script>'), 'the authority name is not shown as text');
  step('an authority name with <script> rendered inert');

  await bobPage.goto(base + '/console/objects/authorities');
  await shot(bobPage, 'console-authorities');
  await bobPage.goto(base + '/console/graph');
  await shot(bobPage, 'console-graph');

  // 5. alice signs out.
  await Promise.all([page.waitForNavigation(), page.click('#signout')]);
  assert(page.url().includes('/console/signin'), 'sign-out did not end on the sign-in page');
  await page.goto(base + '/console/');
  assert(page.url().includes('/console/signin'), 'after sign-out the console still opens');
  step('alice signed out');

  // 6. The Chinese pages: carol (auditor) with a Chinese browser.
  const carol = await browser.newContext({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
  const carolPage = await signIn(carol, input.tokens.carol);
  assert((await carolPage.getAttribute('html', 'lang')) === 'zh-Hans', 'not served in Chinese');
  assert((await carolPage.textContent('h1')).includes('概览'), 'the overview heading is not Chinese');
  await shot(carolPage, 'console-overview-zh');
  await carolPage.goto(base + '/console/audit');
  assert((await carolPage.textContent('#chain-state')).includes('已验证'), 'the audit chain is not shown verified');
  await shot(carolPage, 'console-audit-zh');
  step('the Chinese pages: overview and the verified audit chain');

  // 7. A passkey as second factor, with Chromium's virtual authenticator.
  const erin = await browser.newContext({ locale: 'en-GB' });
  const erinPage = await erin.newPage();
  const cdp = await erin.newCDPSession(erinPage);
  await cdp.send('WebAuthn.enable');
  await cdp.send('WebAuthn.addVirtualAuthenticator', { options: { protocol: 'ctap2', transport: 'internal',
    hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true } });
  const erinSignIn = async () => {
    await erinPage.goto(base + '/console/signin');
    await erinPage.fill('#token', input.tokens.erin);
    await Promise.all([erinPage.waitForNavigation(), erinPage.click('#signin-form button[type=submit]')]);
  };
  await erinSignIn();
  await erinPage.goto(base + '/console/passkey');
  await Promise.all([erinPage.waitForNavigation({ url: /\/console\/$/ }), erinPage.click('#passkey-register')]);
  step('erin registered a passkey');
  await Promise.all([erinPage.waitForNavigation(), erinPage.click('#signout')]);
  await erinSignIn();
  assert(erinPage.url().includes('/console/passkey'), 'a token alone signed erin in: ' + erinPage.url());
  await erinPage.goto(base + '/console/proposals');
  assert(erinPage.url().includes('/console/passkey'), 'the console opened before the passkey');
  await shot(erinPage, 'console-passkey');
  await Promise.all([erinPage.waitForNavigation({ url: /\/console\/proposals/ }), erinPage.click('#passkey-login')]);
  assert((await erinPage.textContent('#whoami')) === 'erin', 'the passkey sign-in did not finish');
  step('erin signed in with token and passkey; the token alone was not enough');

  // 8. axe-core on the main pages, in both languages.
  const pages = ['/console/', '/console/objects/jurisdictions', '/console/objects/authorities', '/console/objects/authorities/' + encodeURIComponent(input.authority),
    '/console/objects/recognitions', '/console/graph', '/console/proposals', proposalURL.replace(base, ''), '/console/proposals/new/suspension',
    '/console/proposals/new/authority', '/console/proposals/new/mapping', '/console/audit', '/console/passkey'];
  for (const p of pages) {
    await bobPage.goto(base + p);
    await axe(bobPage, 'en ' + p);
  }
  for (const p of ['/console/', '/console/audit', '/console/objects/authorities']) {
    await carolPage.goto(base + p);
    await axe(carolPage, 'zh ' + p);
  }
  const anon = await browser.newContext();
  const anonPage = await anon.newPage();
  await anonPage.goto(base + '/console/signin');
  await shot(anonPage, 'console-signin');
  await axe(anonPage, 'en /console/signin');
  step('axe-core ran on ' + (pages.length + 4) + ' pages');
} finally {
  await browser.close();
}
process.stdout.write(JSON.stringify({ steps, violations }) + '\n');
