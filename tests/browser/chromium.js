// Shared by the browser and consumer tests: launch Debian's Chromium through
// playwright-core with the flags that work as root on a closed network, in a
// fresh profile, and collect everything a page reports as an error.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

export function requireChromium() {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} not found: install Debian's chromium (apt-get install -y chromium) or set CHROMIUM_PATH`);
  }
}

// Returns { context, newPage(), close() }. Each page records console errors,
// uncaught exceptions and failed requests in page.problems.
export async function launch() {
  requireChromium();
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'memcom-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 900 },
    timeout: 60_000,
  });
  async function newPage() {
    const page = await context.newPage();
    page.problems = [];
    page.on('console', (msg) => {
      if (msg.type() === 'error') page.problems.push(`console.error: ${msg.text()}`);
    });
    page.on('pageerror', (err) => page.problems.push(`uncaught: ${err.message}`));
    page.on('response', (res) => {
      if (res.status() >= 400) page.problems.push(`HTTP ${res.status()}: ${res.url()}`);
    });
    page.on('requestfailed', (req) => page.problems.push(`request failed: ${req.url()} ${req.failure()?.errorText}`));
    return page;
  }
  async function close() {
    await context.close().catch(() => {});
    fs.rmSync(profile, { recursive: true, force: true });
  }
  return { context, newPage, close };
}
