#!/usr/bin/env node
// The lean supervisor entry: `flinkvisor supervisor run ...` with the `supervisor run` command
// alone registered. `npm run build:bundles` bundles it into dist/supervisor.mjs, which
// bin/flinkvisor.js runs for `supervisor run` (docs/performance.md says why: resident memory).
import { registerSupervisorCommands } from './commands/supervisor.ts';
import { runLeanEntry } from './lean-entry.ts';

await runLeanEntry('supervisor', registerSupervisorCommands);
