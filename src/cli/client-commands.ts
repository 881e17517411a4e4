import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import {
  judgeAction,
  judgePause,
  judgeScale,
  waitUntilDone,
  type ResourceKind,
  type StatusView,
  type WaitOptions,
} from './action-wait.ts';
import { actionLine, pauseLine, statusTable } from './client-tables.ts';
import {
  withClient,
  withClientOptions,
  type ClientOptions,
  type ControlApiClient,
} from './control-api-client.ts';
import { UsageError } from './exit-codes.ts';
import { renderOutput, type OutputFormat } from './output.ts';
import { clockOf, type CliContext } from './context.ts';

// Building blocks of the client command groups (src/cli/commands/{deployments,clusters,jobs,...}.ts):
// a command with the connection options, spec files, and actions and scales with `--wait`.

export interface WaitFlags {
  wait?: boolean;
  timeout: string;
}

/** A subcommand of `parent` with the connection and output options. */
export function clientCommand(parent: Command, name: string, description: string): Command {
  return withClientOptions(parent.command(name).description(description));
}

export function withWaitOptions(command: Command): Command {
  return command
    .option('--wait', 'wait until it is done, printing progress on stderr')
    .option('--timeout <seconds>', 'how long --wait waits', '600');
}

/** Runs a client command: a client for its options, the output format, and the context. */
export function clientAction<O extends ClientOptions>(
  command: Command,
  ctx: CliContext,
  run: (client: ControlApiClient, format: OutputFormat, opts: O) => Promise<void>,
): Command {
  return command.action(async (opts: O) =>
    withClient(opts, ctx, (client, format) => run(client, format, opts)),
  );
}

export function print(ctx: CliContext, format: OutputFormat, value: unknown, table: () => string): void {
  ctx.stdout.write(renderOutput(format, value, table));
}

/** The wait's time from the context's clock. */
function clockOptions(ctx: CliContext): Pick<WaitOptions, 'now' | 'sleep'> {
  const clock = clockOf(ctx);
  return { now: () => clock.now(), sleep: (ms) => clock.sleep(ms) };
}

function timeoutMs(flags: WaitFlags): number {
  const seconds = Number(flags.timeout);
  if (!Number.isFinite(seconds) || seconds <= 0)
    throw new UsageError('--timeout must be a positive number of seconds');
  return seconds * 1000;
}

/**
 * A spec from a JSON or YAML file: the spec itself, or a whole resource (its `spec` is taken), so
 * `kubectl get fc demo -o yaml > demo.yaml` can be edited and sent back.
 */
export async function readSpecFile(path: string, what: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new UsageError(
      `cannot read the ${what} file ${path}: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new UsageError(
      `${path} is neither JSON nor YAML: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  const isObject = (v: unknown): v is Record<string, unknown> =>
    v !== null && typeof v === 'object' && !Array.isArray(v);
  if (!isObject(doc)) throw new UsageError(`${path} must hold a ${what} (an object)`);
  if (isObject(doc['spec']) && (typeof doc['kind'] === 'string' || typeof doc['apiVersion'] === 'string'))
    return doc['spec'];
  return doc;
}

export interface ActionCall {
  readonly kind: ResourceKind;
  readonly method: 'PUT' | 'DELETE';
  readonly actionPath: string;
  readonly statusPath: string;
  readonly body?: unknown;
  /** `flinkjob/demo-a`, for progress lines. */
  readonly what: string;
}

/** PUT/DELETE an action route; with `--wait`, wait until the action's effect is there. */
export async function runAction(
  ctx: CliContext,
  client: ControlApiClient,
  format: OutputFormat,
  call: ActionCall,
  flags: WaitFlags,
): Promise<void> {
  const limit = flags.wait ? timeoutMs(flags) : 0;
  const before = flags.wait ? await client.request<StatusView>('GET', call.statusPath) : undefined;
  const accepted = await client.request<{ action: string; actionTimestamp: number }>(
    call.method,
    call.actionPath,
    call.body,
  );
  print(ctx, format, accepted, () => actionLine(accepted));
  if (!flags.wait) return;
  const request = {
    kind: call.kind,
    action: accepted.action,
    actionTimestamp: accepted.actionTimestamp,
    ...(before ? { before } : {}),
  };
  await waitUntilDone(
    call.what,
    () => client.request<StatusView>('GET', call.statusPath),
    (s) => judgeAction(request, s),
    {
      timeoutMs: limit,
      progress: (line) => ctx.stderr.write(`${line}\n`),
      ...clockOptions(ctx),
    },
  );
}

export interface ScaleCall {
  readonly kind: ResourceKind;
  readonly scalePath: string;
  readonly statusPath: string;
  readonly body: unknown;
  readonly what: string;
  /** The answer's line for people. */
  readonly line: (answer: Record<string, unknown>) => string;
}

export async function runScale(
  ctx: CliContext,
  client: ControlApiClient,
  format: OutputFormat,
  call: ScaleCall,
  flags: WaitFlags,
): Promise<void> {
  const limit = flags.wait ? timeoutMs(flags) : 0;
  const answer = await client.request<Record<string, unknown>>('PUT', call.scalePath, call.body);
  print(ctx, format, answer, () => call.line(answer));
  if (!flags.wait) return;
  const generation = typeof answer['generation'] === 'number' ? answer['generation'] : undefined;
  const parallelism =
    typeof answer['effectiveParallelism'] === 'number' ? answer['effectiveParallelism'] : undefined;
  const request = { kind: call.kind, generation, ...(parallelism === undefined ? {} : { parallelism }) };
  await waitUntilDone(
    call.what,
    () => client.request<StatusView>('GET', call.statusPath),
    (s) => judgeScale(request, s),
    {
      timeoutMs: limit,
      progress: (line) => ctx.stderr.write(`${line}\n`),
      ...clockOptions(ctx),
    },
  );
}

export interface PauseCall {
  /** The resource's path: `<path>/pause`, `<path>/resume` and `<path>/status` are its routes. */
  readonly path: string;
  readonly paused: boolean;
  readonly what: string;
}

/** Pause or resume (ADR 0019); with `--wait`, wait until the status says so. */
export async function runPause(
  ctx: CliContext,
  client: ControlApiClient,
  format: OutputFormat,
  call: PauseCall,
  flags: WaitFlags,
): Promise<void> {
  const limit = flags.wait ? timeoutMs(flags) : 0;
  const answer = await client.request('PUT', `${call.path}/${call.paused ? 'pause' : 'resume'}`, {});
  print(ctx, format, answer, () => pauseLine(answer));
  if (!flags.wait) return;
  await waitUntilDone(
    call.what,
    () => client.request<StatusView>('GET', `${call.path}/status`),
    (s) => judgePause(call.paused, s),
    {
      timeoutMs: limit,
      progress: (line) => ctx.stderr.write(`${line}\n`),
      ...clockOptions(ctx),
    },
  );
}

/** `<parent> pause|resume`, with the options `named` gives a command of `parent`. */
export function registerPauseCommands<O extends ClientOptions>(
  parent: Command,
  ctx: CliContext,
  named: (parent: Command, name: string, description: string) => Command,
  target: (o: O) => { path: string; what: string },
  noun: string,
): void {
  for (const paused of [true, false]) {
    const description = paused
      ? `pause reconciliation of the ${noun} (annotation flinkvisor.io/paused): it is observed, not acted on`
      : `resume reconciliation of the ${noun}, from what is observed then`;
    clientAction<O & WaitFlags>(
      withWaitOptions(named(parent, paused ? 'pause' : 'resume', description)),
      ctx,
      (client, format, o) => runPause(ctx, client, format, { ...target(o), paused }, o),
    );
  }
}

export async function printStatus(
  ctx: CliContext,
  client: ControlApiClient,
  format: OutputFormat,
  path: string,
) {
  const status = await client.request('GET', path);
  print(ctx, format, status, () => statusTable(status));
}

/** A non-negative integer option. */
export function count(value: string, option: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`${option} must be a whole number, got ${value}`);
  return n;
}
