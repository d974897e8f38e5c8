// Debian's chromium as the browser tests and the throughput benchmark start it:
// headless, no sandbox (they run as root), a fresh profile, and every background
// connection off (this machine's network is closed, and chromium's own requests to
// Google's hosts would flood it). Playwright's own browser download is never used.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { chromium } = require('playwright-core');

const flags = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

// Resolves with a browser context on a new profile directory under `dir`.
async function launch(dir, viewport = { width: 1280, height: 860 }) {
  fs.mkdirSync(dir, { recursive: true });
  const profile = fs.mkdtempSync(path.join(dir, 'chromium-profile-'));
  return chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    viewport,
    args: flags,
  });
}

module.exports = { launch };
