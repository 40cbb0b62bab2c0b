#!/usr/bin/env node
// The `textback` command. npm links a package's bins when it installs it, before the `prepare` script
// has compiled dist/, so the bin is this tracked file, which runs the compiled CLI.
import fs from 'node:fs';

const main = new URL('../dist/cli/main.js', import.meta.url);
if (!fs.existsSync(main)) {
  console.error('textback is not built yet: run `npm run build` (or `npm install`) at the root of the repository, then run the command again.');
  process.exit(1);
}
await import(main.href);
