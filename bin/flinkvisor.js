#!/usr/bin/env node
// Installed entry point. Node 24+ runs the TypeScript sources directly (type stripping), so the
// image and a checkout run the same files: there is no separate build output to drift.
//
// One exception, for memory: `supervisor run` runs the lean supervisor bundle (dist/supervisor.mjs,
// built from src/cli/supervisor-main.ts by the image's bundle stage, `npm run build:supervisor` and
// every local environment) when it is there, and the sources otherwise. docs/performance.md has the figures.
import { existsSync } from 'node:fs';

const [command, subcommand] = process.argv.slice(2);
const bundle = new URL('../dist/supervisor.mjs', import.meta.url);
if (command === 'supervisor' && subcommand === 'run' && existsSync(bundle)) await import(bundle.href);
else await import('../src/cli/main.ts');
