import { access, constants } from 'node:fs/promises';
import type { Progress } from './progress.ts';
import { runCommand, ToolMissingError } from './run-command.ts';

/** Debian's Chromium, for the visualizer's browser test (no browser download by a test tool). */
export const CHROMIUM_PATH = '/usr/bin/chromium';

async function present(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Installs Debian's chromium package when it is missing (as root); else says exactly what to install. */
export async function ensureChromium(progress: Progress, env: NodeJS.ProcessEnv): Promise<string> {
  if (await present(CHROMIUM_PATH)) return CHROMIUM_PATH;
  if (process.getuid?.() !== 0) {
    throw new ToolMissingError(
      `Chromium is needed for the browser tests and ${CHROMIUM_PATH} is missing: run "sudo apt-get install -y chromium"`,
    );
  }
  await progress.step('install Chromium (Debian package chromium)', async () => {
    const aptEnv = { ...env, DEBIAN_FRONTEND: 'noninteractive' };
    try {
      await runCommand('apt-get', ['install', '-y', '--no-install-recommends', 'chromium'], {
        env: aptEnv,
        timeoutMs: 900_000,
      });
    } catch {
      await runCommand('apt-get', ['update'], { env: aptEnv, timeoutMs: 600_000 });
      await runCommand('apt-get', ['install', '-y', '--no-install-recommends', 'chromium'], {
        env: aptEnv,
        timeoutMs: 900_000,
      });
    }
  });
  if (!(await present(CHROMIUM_PATH)))
    throw new ToolMissingError(`apt-get installed chromium but ${CHROMIUM_PATH} is still missing`);
  return CHROMIUM_PATH;
}
