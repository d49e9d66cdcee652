#!/usr/bin/env node
// Visits every public and organizer page of a running convene at a phone
// (390×844) and a desktop (1280×800) size, saves a full-page screenshot of
// each, runs axe-core (WCAG 2.1 A and AA) on each and prints what it finds.
// Exits 1 on any violation (or a page that is not there, or a page whose
// `fold` elements are below the first screen on the phone).
//
//   node scripts/pages_check.mjs BASE_URL SHOTS_DIR [EMAIL:PASSWORD]
//
// It writes to the server it checks (one registration, later cancelled; an
// ECHO application when a cohort takes them): run it against a demo, not
// production. Not part of CI; see docs/OPERATIONS.md.
//
// Environment: CHROMIUM (the browser, default /usr/bin/chromium),
// PAGES_CHECK_ENDED (the id of a session that has ended, for the evaluation's
// pages), PAGES_CHECK_MODULES (a node_modules holding puppeteer-core and axe-core,
// default /work/tools/node_modules), PAGES_CHECK_ONLY (a substring of the
// page names to visit, e.g. "organizer").

import { createRequire } from 'node:module';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const modules = process.env.PAGES_CHECK_MODULES || '/work/tools/node_modules';
const require = createRequire(path.join(modules, 'pages_check.cjs'));
const puppeteer = require('puppeteer-core');
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

const [base, shots, signIn] = process.argv.slice(2);
if (!base || !shots) {
  console.error('usage: node scripts/pages_check.mjs BASE_URL SHOTS_DIR [EMAIL:PASSWORD]');
  process.exit(2);
}
mkdirSync(shots, { recursive: true });

const WIDTHS = [
  { name: '390', width: 390, height: 844, phone: true },
  { name: '1280', width: 1280, height: 800 },
];
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

// The pages, in the order visited. `{name}` in a path is filled from what
// earlier steps found (`session`, `manage`, `cohort`, `series`, `lever`).
// `staff`: needs the organizer sign-in. `fold`: selectors that must show on
// the phone's first screen (`?` first: only when the page has one). `before(page, found)`: what to do first (posts a
// form; what it lands on is the page checked, unless `path` is given).
// Adding a page is one line.
const PAGES = [
  { name: 'home', path: '/', fold: ['main h1, main h2'] },
  {
    name: 'session',
    path: '/sessions/{session}',
    fold: ['h1', '.facts', '.facts a.button', '?ul.speakers', '?.levers'],
  },
  { name: 'register-refused', before: (p, f) => register(p, f, 'not-an-address') },
  { name: 'registered', before: (p, f) => register(p, f, `pages-check+${Date.now()}@example.org`) },
  { name: 'manage', path: '{manage}' },
  { name: 'cancel-confirm', path: '{manage}/cancel' },
  { name: 'cancelled', before: (p, f) => submitOn(p, `${f.manage}/cancel`, 'form') },
  { name: 'series-page', path: '/series/{series}' },
  { name: 'past', path: '/past' },
  { name: 'past-lever', path: '/past?lever={lever}' },
  { name: 'subscribe', path: '/subscribe' },
  { name: 'subscribe-sent', path: '/subscribe/sent' },
  { name: 'interest', path: '/interest' },
  { name: 'interest-sent', path: '/interest/sent' },
  { name: 'echo-program', path: '/echo' },
  { name: 'echo-cohort', path: '/echo/{cohort}', needs: 'cohort' },
  { name: 'echo-apply-refused', before: (p, f) => apply(p, f) },
  { name: 'echo-applied', path: '/echo/{cohort}/applied', needs: 'cohort' },
  { name: 'echo-link', path: '/echo/link' },
  // The evaluation opens once a session has ended: PAGES_CHECK_ENDED names one.
  { name: 'feedback', path: '/sessions/{ended}/feedback', needs: 'ended' },
  { name: 'feedback-refused', needs: 'ended', before: (p, f) => postEmpty(p, `/sessions/${f.ended}/feedback`) },
  { name: 'feedback-thanks', path: '/sessions/{ended}/feedback/thanks', needs: 'ended' },
  { name: 'not-found', path: '/no-such-page', status: 404 },
  { name: 'organizer-login', path: '/organizer/login' },
  { name: 'organizer-dashboard', path: '/organizer', staff: true },
  { name: 'organizer-session', path: '/organizer/sessions/{session}', staff: true },
  { name: 'organizer-series', path: '/organizer/series/{series}', staff: true },
  { name: 'organizer-new-series', path: '/organizer/series', staff: true },
  { name: 'organizer-new-series-refused', staff: true, before: (p) => postEmpty(p, '/organizer/series', 'form[action="/organizer/series"]') },
  { name: 'organizer-questions', path: '/organizer/series/{series}/questions', staff: true },
  { name: 'organizer-evaluation-questions', path: '/organizer/series/{series}/evaluation-questions', staff: true },
  { name: 'organizer-reports', path: '/organizer/series/{series}/reports', staff: true },
  { name: 'organizer-lists', path: '/organizer/lists', staff: true },
  { name: 'organizer-working-groups', path: '/organizer/working-groups', staff: true },
  { name: 'organizer-working-group', path: '/organizer/working-groups/{lever}', staff: true },
  { name: 'organizer-proposals', path: '/organizer/proposals', staff: true },
  { name: 'organizer-outbox', path: '/organizer/outbox', staff: true },
  { name: 'organizer-audit', path: '/organizer/audit', staff: true },
  { name: 'organizer-echo', path: '/organizer/echo', staff: true },
  { name: 'organizer-cohort', path: '/organizer/echo/{cohort}', staff: true, needs: 'cohort' },
];

/** Fills every field a form requires with something it takes, then posts it. */
async function fillAndPost(page, formSelector, values) {
  await page.evaluate(
    (sel, values) => {
      const form = document.querySelector(sel);
      if (!form) throw new Error(`no form ${sel} on ${location.pathname}`);
      for (const el of form.querySelectorAll('input, select, textarea')) {
        if (el.name in values) {
          el.value = values[el.name];
        } else if (!el.required || el.value) {
          continue;
        } else if (el.type === 'checkbox' || el.type === 'radio') {
          el.checked = true;
        } else if (el.tagName === 'SELECT') {
          el.selectedIndex = el.options.length > 1 ? 1 : 0;
        } else if (el.type === 'email') {
          el.value = 'pages-check@example.org';
        } else {
          el.value = 'Pages check';
        }
      }
      form.noValidate = true;
    },
    formSelector,
    values,
  );
  await Promise.all([
    page.waitForNavigation({ waitUntil: 'load' }),
    page.$eval(formSelector, (form) => form.requestSubmit()),
  ]);
}

async function register(page, found, email) {
  await page.goto(`${base}/sessions/${found.session}`, { waitUntil: 'load' });
  await fillAndPost(page, 'form[action$="/register"]', { email });
  const at = new URL(page.url()).pathname;
  if (at.startsWith('/r/')) found.manage = at.replace(/\/confirmation$/, '');
}

async function apply(page, found) {
  await page.goto(`${base}/echo/${found.cohort}`, { waitUntil: 'load' });
  if (!(await page.$('form[action$="/apply"]'))) return;
  await fillAndPost(page, 'form[action$="/apply"]', { email: 'not-an-address' });
}

/** Posts `url`'s form as it comes, browser checks off: the page a refusal gives. */
async function postEmpty(page, url, formSelector = 'main form') {
  await page.goto(`${base}${url}`, { waitUntil: 'load' });
  await page.$eval(formSelector, (form) => { form.noValidate = true; });
  await Promise.all([
    page.waitForNavigation({ waitUntil: 'load' }),
    page.$eval(formSelector, (form) => form.requestSubmit()),
  ]);
}

async function submitOn(page, url, formSelector) {
  await page.goto(`${base}${url}`, { waitUntil: 'load' });
  await fillAndPost(page, formSelector, {});
}

/** The first link under `prefix` on `url` that no `skip` matches, its next segment. */
async function firstLink(page, url, prefix, skip = []) {
  await page.goto(`${base}${url}`, { waitUntil: 'load' });
  const hrefs = await page.$$eval(`a[href^="${prefix}"]`, (as) => as.map((a) => a.getAttribute('href')));
  const href = hrefs.find((h) => !skip.some((s) => h.startsWith(s)));
  return href ? href.slice(prefix.length).split(/[/?#]/)[0] : undefined;
}

async function signInAs(page, credentials) {
  const at = credentials.indexOf(':');
  await page.goto(`${base}/organizer/login`, { waitUntil: 'load' });
  await fillAndPost(page, 'form', {
    email: credentials.slice(0, at),
    password: credentials.slice(at + 1),
  });
  if (new URL(page.url()).pathname.startsWith('/organizer/login')) {
    throw new Error('the organizer sign-in was refused');
  }
}

function fill(template, found) {
  return template.replace(/\{(\w+)\}/g, (_, key) => {
    if (found[key] === undefined) throw new Error(`nothing found for {${key}}`);
    return found[key];
  });
}

const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-dev-shm-usage'],
});
let problems = 0;
try {
  const page = await browser.newPage();
  const found = { series: 'jam' };
  found.session = await firstLink(page, '/', '/sessions/');
  found.cohort = await firstLink(page, '/echo', '/echo/', ['/echo/link', '/echo/p/', '/echo/session/']);
  found.lever = await firstLink(page, '/past', '/past?lever=');
  found.lever ??= 'payment';
  found.ended = process.env.PAGES_CHECK_ENDED;
  if (signIn) await signInAs(page, signIn);
  const only = process.env.PAGES_CHECK_ONLY;

  for (const entry of PAGES) {
    if (only && !entry.name.includes(only)) continue;
    if (entry.staff && !signIn) {
      console.log(`- ${entry.name}: skipped (no organizer sign-in given)`);
      continue;
    }
    if (entry.needs && !found[entry.needs]) {
      console.log(`- ${entry.name}: skipped (no {${entry.needs}} given)`);
      continue;
    }
    let url;
    let response = null;
    try {
      if (entry.before) {
        // A page a post lands on is posted once and looked at in each size.
        await page.setViewport(WIDTHS[0]);
        await entry.before(page, found);
      }
      url = entry.path ? `${base}${fill(entry.path, found)}` : page.url();
    } catch (e) {
      console.log(`✗ ${entry.name}: ${e.message}`);
      problems++;
      continue;
    }
    for (const size of WIDTHS) {
      await page.setViewport(size);
      if (entry.path) response = await page.goto(url, { waitUntil: 'load' });
      const label = `${entry.name} @${size.name}`;
      if (response && response.status() !== (entry.status ?? 200)) {
        console.log(`✗ ${label}: HTTP ${response.status()} for ${url}`);
        problems++;
      }
      await page.screenshot({ path: path.join(shots, `${entry.name}-${size.name}.png`), fullPage: true });
      const wide = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      if (wide > 0) {
        console.log(`✗ ${label}: ${wide}px wider than the screen`);
        problems++;
      }
      if (size.phone) {
        for (const wanted of entry.fold ?? []) {
          const selector = wanted.replace(/^\?/, '');
          const top = await page.evaluate((s) => {
            const el = document.querySelector(s);
            return el ? el.getBoundingClientRect().bottom + window.scrollY : null;
          }, selector);
          if (top === null && wanted.startsWith('?')) continue;
          if (top === null || top > size.height) {
            console.log(`✗ ${label}: \`${selector}\` ${top === null ? 'missing' : `ends at ${Math.round(top)}px`}, below the fold`);
            problems++;
          }
        }
      }
      await page.evaluate(axeSource);
      const result = await page.evaluate(
        (tags) => window.axe.run(document, { runOnly: { type: 'tag', values: tags } }),
        TAGS,
      );
      for (const v of result.violations) {
        problems++;
        console.log(`✗ ${label}: ${v.id} (${v.impact}): ${v.help}`);
        for (const node of v.nodes.slice(0, 5)) {
          console.log(`    ${node.target.join(' ')}: ${node.failureSummary.split('\n').slice(1).join(' ').trim()}`);
        }
      }
      if (!result.violations.length) console.log(`✓ ${label}`);
    }
  }
} finally {
  await browser.close();
}
console.log(problems ? `${problems} problem(s)` : 'no problems');
process.exit(problems ? 1 : 0);
