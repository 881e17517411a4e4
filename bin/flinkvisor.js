#!/usr/bin/env node
// Installed entry point: runs the compiled CLI when present, else the TypeScript sources directly.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
const compiled = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
await import(existsSync(compiled) ? compiled : '../src/cli/main.ts');
