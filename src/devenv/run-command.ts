import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';

/** A command that exited badly; the message names the command and ends with its last output lines. */
export class CommandFailedError extends Error {
  readonly command: string;
  readonly exitCode: number | null;
  readonly outputTail: string;
  constructor(command: string, exitCode: number | null, outputTail: string) {
    super(`command failed (exit ${exitCode ?? 'signal'}): ${command}\n${outputTail}`);
    this.command = command;
    this.exitCode = exitCode;
    this.outputTail = outputTail;
  }
}

export class ToolMissingError extends Error {}

export interface RunOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Everything the command prints is appended here (the build log). */
  readonly logFile?: string;
  readonly timeoutMs?: number;
}

export interface RunResult {
  readonly stdout: string;
  readonly stderr: string;
}

const TAIL_LINES = 30;

export function runCommand(
  command: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<RunResult> {
  const display = [command, ...args].join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: options.timeoutMs,
      killSignal: 'SIGKILL',
    });
    const log = options.logFile ? createWriteStream(options.logFile, { flags: 'a' }) : undefined;
    log?.write(`\n$ ${display}\n`);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => {
      out.push(b);
      log?.write(b);
    });
    child.stderr.on('data', (b: Buffer) => {
      err.push(b);
      log?.write(b);
    });
    child.on('error', (e: NodeJS.ErrnoException) => {
      log?.end();
      if (e.code === 'ENOENT')
        reject(new ToolMissingError(`"${command}" was not found on PATH (needed for: ${display})`));
      else reject(e);
    });
    child.on('close', (code) => {
      log?.end();
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      if (code === 0) {
        resolve({ stdout, stderr });
        return;
      }
      const tail = `${stdout}\n${stderr}`.trim().split('\n').slice(-TAIL_LINES).join('\n');
      reject(new CommandFailedError(display, code, tail));
    });
  });
}
