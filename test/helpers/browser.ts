/**
 * A real headless browser for tests: Debian's Chromium (`make packages` installs it) driven by
 * puppeteer-core, which never downloads a browser. Pages are read as a user reads them — an
 * element's text, polled from Node until it says what is expected — and photographed at each
 * stage into a directory the test names.
 */
import assert from 'node:assert/strict';
import { constants } from 'node:fs';
import { access, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';

export const CHROMIUM = process.env.TRANSPLANT_CHROMIUM || '/usr/bin/chromium';

/**
 * Headless Chromium. `--no-sandbox`: CI runs as root, where Chromium's sandbox refuses to start.
 * Test servers have certificates of their own CA, which the browser does not know: they are
 * accepted as they are (the page's security headers are asserted separately).
 */
export async function launchChromium(): Promise<Browser> {
  await access(CHROMIUM, constants.X_OK).catch(() => {
    throw new Error(`no browser at ${CHROMIUM}: install Debian's chromium (make packages) or set TRANSPLANT_CHROMIUM`);
  });
  return puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    acceptInsecureCerts: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--window-size=1200,900'],
    defaultViewport: { width: 1200, height: 900 },
  });
}

/** The element's text, '' when it is not on the page. */
export function textOf(page: Page, selector: string): Promise<string> {
  return page.$eval(selector, (e) => e.textContent ?? '').catch(() => '');
}

/** Whether the element is on the page and not hidden (by itself or an ancestor). */
export function isShown(page: Page, selector: string): Promise<boolean> {
  return page
    .$eval(selector, (e) => (e as HTMLElement).offsetParent !== null || getComputedStyle(e).position === 'fixed')
    .catch(() => false);
}

/**
 * Waits until the text of `selector` matches `expected`; returns it. Polled from Node, not in the
 * page: the page's Content-Security-Policy is the production one, and nothing is injected into it.
 */
export async function waitForText(page: Page, selector: string, expected: RegExp, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = await textOf(page, selector);
    if (expected.test(text)) return text;
    if (Date.now() > deadline) {
      assert.fail(`timed out waiting until ${selector} says ${expected}: it says ${JSON.stringify(text)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Numbered screenshots into one directory, in the order they were taken. */
export class Screenshots {
  readonly dir: string;
  #count = 0;

  constructor(dir: string) {
    this.dir = dir;
  }

  async take(page: Page, name: string): Promise<string> {
    await mkdir(this.dir, { recursive: true });
    const path = join(this.dir, `${String(++this.#count).padStart(2, '0')}-${name}.png`) as `${string}.png`;
    await page.screenshot({ path, fullPage: true });
    return path;
  }
}
