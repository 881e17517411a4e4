#!/usr/bin/env node
// The lean operator entry: `flinkvisor operator run ...` with the `operator run` command alone
// registered. `npm run build:bundles` bundles it into dist/operator.mjs, which bin/flinkvisor.js
// runs for `operator run` (docs/performance.md says why: resident memory).
import { registerOperatorCommands } from './commands/operator.ts';
import { runLeanEntry } from './lean-entry.ts';

await runLeanEntry('operator', registerOperatorCommands);
