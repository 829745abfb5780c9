// Shared by the fleet, wall, link and time specs: console watching and screenshots.
import { expect, test, type Page } from '@playwright/test';
import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';

const SHOTS = path.resolve(import.meta.dirname, '../test-results/screenshots');

/** Console errors, page errors and dialogs of a page, except those matching `allowed`. */
export function watchPage(page: Page, problems: string[], allowed: () => readonly RegExp[] = () => []): void {
  page.on('console', (m) => {
    if (m.type() === 'error' && !allowed().some((re) => re.test(m.text()))) problems.push(`console error on ${page.url()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error on ${page.url()}: ${e.message}`));
  page.on('dialog', (d) => {
    problems.push(`dialog opened (${d.type()}): ${d.message()}`);
    void d.dismiss();
  });
}

export function expectNoProblems(problems: string[]): void {
  expect(problems.splice(0), 'console errors, page errors or dialogs').toEqual([]);
}

export async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  const file = test.info().outputPath(`${name}.png`);
  await page.screenshot({ path: file });
  copyFileSync(file, path.join(SHOTS, `${name}.png`));
  await test.info().attach(name, { path: file, contentType: 'image/png' });
}

/** The page has no scrollbar: nothing wider or taller than the viewport. */
export async function scrollOverflow(page: Page): Promise<{ x: number; y: number }> {
  return page.evaluate(() => ({ x: document.documentElement.scrollWidth - innerWidth, y: document.documentElement.scrollHeight - innerHeight }));
}
