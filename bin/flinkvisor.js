#!/usr/bin/env node
// Installed entry point. Node 24+ runs the TypeScript sources directly (type stripping), so the
// image and a checkout run the same files: there is no separate build output to drift.
//
// The exception, for memory: the long-running roles, `supervisor run` and `operator run`, run their
// lean bundles (dist/supervisor.mjs, dist/operator.mjs, built from src/cli/supervisor-main.ts and
// src/cli/operator-main.ts by the image's bundle stage, `npm run build:bundles` and every local
// environment) when they are there, and the sources otherwise. docs/performance.md has the figures.
import { existsSync } from 'node:fs';

const LEAN_BUNDLES = { supervisor: 'supervisor.mjs', operator: 'operator.mjs' };
const [command, subcommand] = process.argv.slice(2);
const lean = subcommand === 'run' && Object.hasOwn(LEAN_BUNDLES, command) ? LEAN_BUNDLES[command] : undefined;
const bundle = lean && new URL(`../dist/${lean}`, import.meta.url);
if (bundle && existsSync(bundle)) await import(bundle.href);
else await import('../src/cli/main.ts');
