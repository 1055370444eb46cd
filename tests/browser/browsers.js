// The browser tests' one view of a browser: each engine (Debian's Chromium
// through playwright-core, Debian's firefox-esr through puppeteer-core over
// WebDriver BiDi) gives pages with the same few operations, so every test runs
// unchanged in both.  Neither library downloads a browser: both start the
// Debian binaries, as root, headless, in a fresh profile, with their network
// services turned off (the machine reaches no outside host).
//
//   import { ENGINES, launch } from './browsers.js';
//   for (const engine of ENGINES) { const b = await launch(engine); const page = await b.newPage(); ... }
//
// MEMCOM_BROWSERS=chromium (or firefox) limits the run to one engine; by
// default both run, and a missing browser is an error, not a skip.
//
// A page (both engines):
//   goto(url) -> response with status(), headers() (lower-case names), url()
//   evaluate(fn, arg)                  run fn(arg) in the page, return its result
//   waitForFunction(fn, arg, {timeout}) until fn(arg) is truthy in the page
//   waitForSelector(sel, {timeout})    until sel is in the page and visible
//   $$eval(sel, fn, arg)               fn([...elements], arg) in the page
//   click(sel), fill(sel, text), press(sel, key)   real mouse and keyboard input
//   textContent(sel), getAttribute(sel, name), inputValue(sel),
//   isVisible(sel), isHidden(sel), isEnabled(sel)  (the same DOM reading in both)
//   fulfill(pathname, {status, contentType, body})  answer requests for that path from the test
//   screenshot({path}), close()
//   engine        'chromium' or 'firefox'
//   responses     [{url, status, headers}] of every response the page received
//   problems      console errors, uncaught exceptions, HTTP >= 400 and failed requests

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { launch as launchChromium } from './chromium.js';

export const FIREFOX = process.env.FIREFOX_PATH || '/usr/bin/firefox-esr';

const ALL = ['chromium', 'firefox'];
export const ENGINES = (process.env.MEMCOM_BROWSERS || ALL.join(','))
  .split(',').map((s) => s.trim()).filter(Boolean);
for (const e of ENGINES) {
  if (!ALL.includes(e)) throw new Error(`MEMCOM_BROWSERS: unknown engine ${e} (known: ${ALL.join(', ')})`);
}

// Beside the preferences puppeteer-core sets for every Firefox it starts
// (updates, telemetry, safe browsing, blocklist and add-on services pointed at
// an unresolvable host): the services it leaves on that still try to reach
// Mozilla at start-up (experiments, region lookup, captive portal and
// connectivity checks, DNS over HTTPS, prefetching, push, accounts).  With
// these, a run of the browser tests makes no DNS lookup and no connection
// beyond loopback (checked with strace -f -e connect,sendto,sendmmsg).
const FIREFOX_PREFS = {
  'app.normandy.enabled': false,
  'messaging-system.rsexperimentloader.enabled': false,
  'browser.region.network.url': '',
  'browser.region.update.enabled': false,
  'browser.topsites.contile.enabled': false,
  'browser.newtabpage.activity-stream.feeds.section.topstories': false,
  'browser.newtabpage.activity-stream.feeds.topsites': false,
  'browser.ping-centre.telemetry': false,
  'network.captive-portal-service.enabled': false,
  'network.connectivity-service.enabled': false,
  'network.trr.mode': 5,
  'network.dns.disablePrefetch': true,
  'network.prefetch-next': false,
  'network.predictor.enabled': false,
  'toolkit.telemetry.enabled': false,
  'toolkit.telemetry.server': '',
  'identity.fxaccounts.enabled': false,
  'dom.push.enabled': false,
  'browser.safebrowsing.provider.mozilla.updateURL': '',
  'services.settings.poll_interval': 86400 * 365,
  // Remote Settings (experiments, blocklists, ...): Firefox's own value for
  // automation, which no request reaches; release builds honour it only with
  // MOZ_DISABLE_NONLOCAL_CONNECTIONS=1 in the environment (set below).
  'services.settings.server': 'data:,#remote-settings-dummy/v1',
};

export function requireFirefox() {
  if (!fs.existsSync(FIREFOX)) {
    throw new Error(`${FIREFOX} not found: install Debian's firefox-esr (apt-get install -y firefox-esr), set FIREFOX_PATH, or run only Chromium with MEMCOM_BROWSERS=chromium`);
  }
}

// The DOM readings, done the same way in both engines (each runs in the page).
const DOM = {
  textContent: (el) => el.textContent,
  getAttribute: (el, name) => el.getAttribute(name),
  inputValue: (el) => el.value,
  isEnabled: (el) => !el.disabled,
};
function visible(el) {
  if (!el || !el.isConnected) return false;
  const style = getComputedStyle(el);
  if (style.visibility !== 'visible') return false;
  const box = el.getBoundingClientRect();
  return box.width > 0 && box.height > 0;
}

// The operations both engines share, on top of a few engine-specific ones
// (this.raw is the library's own page).
class Page {
  constructor(engine, raw) {
    this.engine = engine;
    this.raw = raw;
    this.problems = [];
    this.responses = [];
  }

  _recordResponse(url, status, headers) {
    this.responses.push({ url, status, headers });
    if (status >= 400) this.problems.push(`HTTP ${status}: ${url}`);
  }

  async _read(selector, what, arg) {
    await this.raw.waitForSelector(selector, this.engine === 'chromium' ? { state: 'attached' } : {});
    return this.raw.$eval(selector, DOM[what], arg);
  }

  textContent(selector) { return this._read(selector, 'textContent'); }
  getAttribute(selector, name) { return this._read(selector, 'getAttribute', name); }
  inputValue(selector) { return this._read(selector, 'inputValue'); }
  isEnabled(selector) { return this._read(selector, 'isEnabled'); }

  async isVisible(selector) {
    return this.raw.evaluate(`(${visible})(document.querySelector(${JSON.stringify(selector)}))`);
  }

  async isHidden(selector) { return !(await this.isVisible(selector)); }

  $$eval(selector, fn, arg) { return this.raw.$$eval(selector, fn, arg); }
  evaluate(fn, arg) { return this.raw.evaluate(fn, arg); }
  click(selector) { return this.raw.click(selector); }
  screenshot(options) { return this.raw.screenshot(options); }
  close() { return this.raw.close(); }
}

class ChromiumPage extends Page {
  constructor(raw) {
    super('chromium', raw);
    // chromium.js already collects console errors, exceptions, HTTP >= 400 and failed requests.
    this.problems = raw.problems;
    raw.on('response', (res) => this.responses.push({ url: res.url(), status: res.status(), headers: res.headers() }));
  }

  goto(url) { return this.raw.goto(url); }
  waitForFunction(fn, arg, { timeout = 30_000 } = {}) { return this.raw.waitForFunction(fn, arg, { timeout }); }
  waitForSelector(selector, { timeout = 30_000 } = {}) { return this.raw.waitForSelector(selector, { timeout }); }
  fill(selector, text) { return this.raw.fill(selector, text); }
  press(selector, key) { return this.raw.press(selector, key); }
  setViewport({ width, height }) { return this.raw.setViewportSize({ width, height }); }

  fulfill(pathname, { status = 200, contentType, body }) {
    return this.raw.route((url) => url.pathname === pathname, (route) => route.fulfill({ status, contentType, body }));
  }
}

class FirefoxPage extends Page {
  constructor(raw) {
    super('firefox', raw);
    this.routes = new Map();
    raw.on('console', (msg) => {
      if (msg.type() === 'error') this.problems.push(`console.error: ${msg.text()}`);
    });
    raw.on('pageerror', (err) => this.problems.push(`uncaught: ${err.message}`));
    raw.on('response', (res) => this._recordResponse(res.url(), res.status(), res.headers()));
    raw.on('requestfailed', (req) => this.problems.push(`request failed: ${req.url()} ${req.failure()?.errorText}`));
  }

  goto(url) { return this.raw.goto(url, { waitUntil: 'load', timeout: 60_000 }); }
  waitForFunction(fn, arg, { timeout = 30_000 } = {}) { return this.raw.waitForFunction(fn, { timeout }, arg); }
  waitForSelector(selector, { timeout = 30_000 } = {}) { return this.raw.waitForSelector(selector, { visible: true, timeout }); }

  // As Playwright's fill: focus, replace the whole value, type it as keystrokes.
  async fill(selector, text) {
    await this.raw.waitForSelector(selector, { visible: true });
    await this.raw.$eval(selector, (el) => { el.focus(); el.select(); });
    if (text === '') await this.raw.keyboard.press('Backspace');
    else await this.raw.keyboard.type(text);
  }

  async press(selector, key) {
    await this.raw.focus(selector);
    await this.raw.keyboard.press(key);
  }

  setViewport({ width, height }) { return this.raw.setViewport({ width, height }); }

  async fulfill(pathname, { status = 200, contentType, body }) {
    if (this.routes.size === 0) {
      await this.raw.setRequestInterception(true);
      this.raw.on('request', (req) => {
        const r = this.routes.get(new URL(req.url()).pathname);
        if (r) req.respond({ status: r.status, contentType: r.contentType, body: Buffer.from(r.body) });
        else req.continue();
      });
    }
    this.routes.set(pathname, { status, contentType, body });
  }
}

async function launchFirefox() {
  requireFirefox();
  const { default: puppeteer } = await import('puppeteer-core');
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'memcom-firefox-'));
  const browser = await puppeteer.launch({
    browser: 'firefox',
    protocol: 'webDriverBiDi',
    executablePath: FIREFOX,
    headless: true,
    userDataDir: profile,
    extraPrefsFirefox: FIREFOX_PREFS,
    defaultViewport: { width: 1280, height: 900 },
    // MOZ_DISABLE_NONLOCAL_CONNECTIONS: Firefox refuses at once any connection
    // to a non-loopback address (a page's fetch fails with a NetworkError and
    // is reported in page.problems) instead of waiting on a closed network.
    env: { ...process.env, MOZ_HEADLESS: '1', MOZ_CRASHREPORTER_DISABLE: '1', MOZ_DISABLE_NONLOCAL_CONNECTIONS: '1' },
    timeout: 60_000,
    protocolTimeout: 180_000,
  }).catch((e) => {
    fs.rmSync(profile, { recursive: true, force: true });
    throw new Error(`${FIREFOX} did not start under puppeteer-core (WebDriver BiDi): ${e.message}`);
  });
  return {
    async newPage() {
      const raw = await browser.newPage();
      // Every page loads from the server, as on a first visit: with its HTTP
      // cache on, Firefox revalidates what an earlier page of the same browser
      // loaded, and goto() then reports the server's 304 instead of a 200.
      await raw.setCacheEnabled(false);
      return new FirefoxPage(raw);
    },
    async close() {
      await browser.close().catch(() => {});
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

// Starts one engine: { engine, newPage(), close() }.
export async function launch(engine) {
  if (engine === 'firefox') return { engine, ...(await launchFirefox()) };
  if (engine === 'chromium') {
    const b = await launchChromium();
    return { engine, newPage: async () => new ChromiumPage(await b.newPage()), close: () => b.close() };
  }
  throw new Error(`unknown browser engine ${engine}`);
}

// The name a test gives its engine.
export const LABEL = { chromium: 'Chromium', firefox: 'Firefox' };
