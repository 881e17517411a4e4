#!/usr/bin/env node
// Installed entry point. Node 24+ runs the TypeScript sources directly (type stripping), so the
// image and a checkout run the same files: there is no separate build output to drift.
await import('../src/cli/main.ts');
