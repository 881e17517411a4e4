// A Dockerfile read into stages and instructions: enough of the syntax for the image-layout check
// (FROM with ARG defaults, COPY/ADD with flags, RUN, ENV, WORKDIR, USER, ENTRYPOINT in exec form).
// It is not a general parser: what it does not understand is reported, not guessed.

export interface Instruction {
  readonly keyword: string;
  /** `--from=deps`, `--checksum=sha256:...` → { from: 'deps', checksum: 'sha256:...' }. */
  readonly flags: Readonly<Record<string, string>>;
  /** The rest of the line, after the flags. */
  readonly args: string;
  readonly line: number;
}

export interface Stage {
  readonly name: string | undefined;
  /** The base image with build arguments substituted. */
  readonly from: string;
  readonly instructions: readonly Instruction[];
}

export interface Dockerfile {
  /** Build arguments declared before the first FROM, with their defaults. */
  readonly args: Readonly<Record<string, string>>;
  readonly stages: readonly Stage[];
}

export class DockerfileError extends Error {}

/** Logical lines: comments and blank lines dropped, `\` continuations joined. */
function logicalLines(text: string): { text: string; line: number }[] {
  const out: { text: string; line: number }[] = [];
  let pending: { text: string; line: number } | undefined;
  text.split('\n').forEach((raw, index) => {
    const trimmed = raw.trim();
    if (pending === undefined && (trimmed === '' || trimmed.startsWith('#'))) return;
    if (pending !== undefined && trimmed.startsWith('#')) return;
    const continued = trimmed.endsWith('\\');
    const part = continued ? trimmed.slice(0, -1).trim() : trimmed;
    pending = pending
      ? { text: `${pending.text} ${part}`.trim(), line: pending.line }
      : { text: part, line: index + 1 };
    if (!continued) {
      out.push(pending);
      pending = undefined;
    }
  });
  if (pending) out.push(pending);
  return out;
}

function substitute(value: string, args: Readonly<Record<string, string>>, line: number): string {
  return value.replace(
    /\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (_m, a?: string, b?: string) => {
      const name = a ?? b ?? '';
      const v = args[name];
      if (v === undefined) throw new DockerfileError(`line ${line}: build argument ${name} has no default`);
      return v;
    },
  );
}

export function parseDockerfile(text: string): Dockerfile {
  const args: Record<string, string> = {};
  const stages: { name: string | undefined; from: string; instructions: Instruction[] }[] = [];
  for (const { text: lineText, line } of logicalLines(text)) {
    const m = /^(\S+)\s*(.*)$/.exec(lineText);
    if (!m) continue;
    const keyword = (m[1] ?? '').toUpperCase();
    let rest = m[2] ?? '';
    const flags: Record<string, string> = {};
    for (;;) {
      const f = /^--([a-z-]+)=(\S+)\s*/.exec(rest);
      if (!f) break;
      flags[f[1] ?? ''] = f[2] ?? '';
      rest = rest.slice(f[0].length);
    }
    if (keyword === 'ARG' && stages.length === 0) {
      const [name, value] = rest.split('=', 2);
      if (name) args[name.trim()] = (value ?? '').trim();
      continue;
    }
    if (keyword === 'FROM') {
      const f = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(rest.trim());
      if (!f) throw new DockerfileError(`line ${line}: cannot read FROM ${rest}`);
      stages.push({ name: f[2], from: substitute(f[1] ?? '', args, line), instructions: [] });
      continue;
    }
    const stage = stages[stages.length - 1];
    if (!stage) throw new DockerfileError(`line ${line}: ${keyword} before the first FROM`);
    stage.instructions.push({ keyword, flags, args: rest, line });
  }
  if (stages.length === 0) throw new DockerfileError('no FROM: not a Dockerfile');
  return { args, stages };
}

/** `["node", "/x.js"]` → ['node', '/x.js']; shell form is refused (signals would not reach the process). */
export function execForm(instruction: Instruction): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(instruction.args);
  } catch {
    throw new DockerfileError(
      `line ${instruction.line}: ${instruction.keyword} must use the exec form ["cmd", "arg"], got ${instruction.args}`,
    );
  }
  if (!Array.isArray(parsed) || !parsed.every((p) => typeof p === 'string')) {
    throw new DockerfileError(`line ${instruction.line}: ${instruction.keyword} must be a list of strings`);
  }
  return parsed as string[];
}

/** COPY/ADD arguments: sources and the destination (JSON form or space-separated). */
export function copyArguments(instruction: Instruction): { sources: string[]; destination: string } {
  const parts = instruction.args.trim().startsWith('[')
    ? execForm(instruction)
    : instruction.args.trim().split(/\s+/);
  const destination = parts[parts.length - 1];
  if (parts.length < 2 || destination === undefined) {
    throw new DockerfileError(
      `line ${instruction.line}: ${instruction.keyword} needs a source and a destination`,
    );
  }
  return { sources: parts.slice(0, -1), destination };
}
