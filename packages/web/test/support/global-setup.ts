/**
 * Runs once before the suite: finds the system's Chromium for the web app's browser tests. Without it
 * they are skipped with a one-line notice, except under CI=true, where a missing Chromium fails the run.
 * The tests never download a browser.
 */
import fs from 'node:fs';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    chromium: string | null;
  }
}

export const CHROMIUM_CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];

export default function setup(project: TestProject) {
  const path = [process.env.CHROMIUM_PATH, ...CHROMIUM_CANDIDATES].find((p): p is string => !!p && fs.existsSync(p)) ?? null;
  if (!path) {
    if (process.env.CI === 'true' || process.env.CI === '1') {
      throw new Error('Chromium is required under CI=true for the web app\'s browser tests: apt-get install -y chromium (or set CHROMIUM_PATH).');
    }
    console.warn('notice: web browser tests skipped: install Chromium (apt-get install -y chromium) or set CHROMIUM_PATH.');
  }
  project.provide('chromium', path);
}
