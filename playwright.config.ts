// End-to-end tests in Debian's Chromium (no browser download here) against the built server, its
// embedded agent and real QEMU guests. One worker: each spec file starts its own server (and its own
// guests), but on this 2-core machine two files side by side took longer in all (490 s against about
// 400 s), the big-host pages drawing at half speed; VCPUMAP_E2E_WORKERS sets more where cores allow.
import { defineConfig } from '@playwright/test';

export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

export default defineConfig({
  testDir: 'e2e',
  outputDir: 'test-results/e2e',
  workers: Number(process.env.VCPUMAP_E2E_WORKERS ?? 1),
  fullyParallel: false,
  timeout: 90_000,
  expect: { timeout: 10_000 },
  reporter: [['list'], ['json', { outputFile: '.tmp/e2e.json' }]],
  use: {
    browserName: 'chromium',
    launchOptions: { executablePath: process.env.VCPUMAP_CHROMIUM ?? '/usr/bin/chromium', args: CHROMIUM_ARGS },
    viewport: { width: 1366, height: 768 },
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
  },
});
