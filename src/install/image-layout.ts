import { cp, mkdir, readFile, stat } from 'node:fs/promises';
import { basename, join, posix, relative, resolve } from 'node:path';
import { copyArguments, DockerfileError, execForm, type Dockerfile, type Stage } from './dockerfile.ts';

// The file system of an image stage, reproduced into a directory without a container engine: the
// stage's COPY, ADD, RUN, WORKDIR, ENV, USER and ENTRYPOINT steps are replayed, with the build
// context filtered by .dockerignore. Each stage gets its own directory standing for `/`.

export interface LayoutSources {
  /** The build context (the repository root). */
  readonly contextDir: string;
  /** Patterns of .dockerignore (empty: nothing ignored). */
  readonly dockerignore: readonly string[];
  /** A local file with the content of an `ADD <url>`; the checksum flag, when present, is passed on. */
  readonly remoteFile: (url: string, checksum: string | undefined) => Promise<string>;
  /** Runs a RUN step (shell form) in `cwd`, the stage's working directory. */
  readonly run: (command: string, cwd: string, env: Readonly<Record<string, string>>) => Promise<void>;
}

export interface StageLayout {
  /** The directory that stands for the stage's `/`. */
  readonly root: string;
  readonly from: string;
  readonly workdir: string;
  readonly env: Readonly<Record<string, string>>;
  readonly user: string | undefined;
  readonly entrypoint: readonly string[] | undefined;
  /** A path of the image, as a path in `root`. */
  hostPath(imagePath: string): string;
}

/** .dockerignore semantics (the subset used here): later patterns win, `!` re-includes, a match on a directory covers what is in it. */
export function dockerignoreFilter(patterns: readonly string[]): (path: string) => boolean {
  const rules = patterns
    .map((p) => p.trim())
    .filter((p) => p !== '' && !p.startsWith('#'))
    .map((p) => {
      const negated = p.startsWith('!');
      const glob = posix.normalize((negated ? p.slice(1) : p).replace(/^\/+/, '')).replace(/\/+$/, '');
      const source = glob
        .split('')
        .map((c, i, all) => {
          if (c === '*') return all[i + 1] === '*' ? '' : all[i - 1] === '*' ? '.*' : '[^/]*';
          if (c === '?') return '[^/]';
          return c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
        })
        .join('');
      return { negated, pattern: new RegExp(`^${source}(/.*)?$`) };
    });
  /** True when the path (relative to the context, with `/`) is sent to the build. */
  return (path: string) => {
    let included = true;
    for (const rule of rules) if (rule.pattern.test(path)) included = rule.negated;
    return included;
  };
}

async function isDirectory(path: string): Promise<boolean> {
  return (await stat(path)).isDirectory();
}

/** Copies like COPY: a directory's contents into the destination directory, a file into or as the destination. */
async function copyInto(
  source: string,
  destination: string,
  destinationIsDirectory: boolean,
  filter: (source: string) => boolean,
): Promise<void> {
  if (await isDirectory(source)) {
    await mkdir(destination, { recursive: true });
    await cp(source, destination, { recursive: true, filter: (s) => filter(s), verbatimSymlinks: true });
    return;
  }
  if (!filter(source)) return;
  const target = destinationIsDirectory ? join(destination, basename(source)) : destination;
  await mkdir(destinationIsDirectory ? destination : resolve(target, '..'), { recursive: true });
  await cp(source, target);
}

function parseEnv(args: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("([^"]*)"|\S*)/g)) {
    out[m[1] ?? ''] = m[3] ?? m[2] ?? '';
  }
  return out;
}

/** Replays one stage (and the stages it copies from) into `outDir/<stage>`. */
export async function reproduceStage(
  dockerfile: Dockerfile,
  stageName: string,
  outDir: string,
  sources: LayoutSources,
  done: Map<string, StageLayout> = new Map(),
): Promise<StageLayout> {
  const cached = done.get(stageName);
  if (cached) return cached;
  const stage: Stage | undefined = dockerfile.stages.find((s) => s.name === stageName);
  if (!stage) throw new DockerfileError(`no stage named ${stageName}`);
  const root = join(outDir, stageName);
  await mkdir(root, { recursive: true });
  const hostPath = (imagePath: string) => join(root, posix.resolve('/', imagePath));
  const included = dockerignoreFilter(sources.dockerignore);
  const fromContext = (path: string) => {
    const rel = relative(sources.contextDir, path).split('\\').join('/');
    return rel === '' || included(rel);
  };
  let workdir = '/';
  const env: Record<string, string> = {};
  let user: string | undefined;
  let entrypoint: string[] | undefined;
  for (const step of stage.instructions) {
    switch (step.keyword) {
      case 'WORKDIR':
        workdir = posix.resolve(workdir, step.args.trim());
        await mkdir(hostPath(workdir), { recursive: true });
        break;
      case 'ENV':
        Object.assign(env, parseEnv(step.args));
        break;
      case 'USER':
        user = step.args.trim();
        break;
      case 'ENTRYPOINT':
        entrypoint = execForm(step);
        break;
      case 'RUN':
        await sources.run(step.args, hostPath(workdir), env);
        break;
      case 'COPY':
      case 'ADD': {
        const { sources: from, destination } = copyArguments(step);
        const target = hostPath(posix.resolve(workdir, destination));
        const intoDirectory = destination.endsWith('/') || from.length > 1;
        const fromStage = step.flags['from'];
        for (const source of from) {
          if (/^https?:\/\//.test(source)) {
            if (step.keyword !== 'ADD')
              throw new DockerfileError(`line ${step.line}: COPY cannot fetch ${source}`);
            const local = await sources.remoteFile(source, step.flags['checksum']);
            const name = posix.basename(new URL(source).pathname);
            const dest = intoDirectory ? join(target, name) : target;
            await mkdir(resolve(dest, '..'), { recursive: true });
            await cp(local, dest);
          } else if (fromStage) {
            const other = await reproduceStage(dockerfile, fromStage, outDir, sources, done);
            await copyInto(
              other.hostPath(posix.resolve(other.workdir, source)),
              target,
              intoDirectory,
              () => true,
            );
          } else {
            const path = resolve(sources.contextDir, source);
            if (!fromContext(path)) {
              throw new DockerfileError(`line ${step.line}: ${source} is excluded by .dockerignore`);
            }
            await copyInto(path, target, intoDirectory, fromContext);
          }
        }
        break;
      }
      default:
        // LABEL, EXPOSE, STOPSIGNAL ... change no file.
        break;
    }
  }
  const layout: StageLayout = { root, from: stage.from, workdir, env, user, entrypoint, hostPath };
  done.set(stageName, layout);
  return layout;
}

export async function readDockerignore(contextDir: string): Promise<string[]> {
  const text = await readFile(join(contextDir, '.dockerignore'), 'utf8').catch(
    (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return '';
      throw err;
    },
  );
  return text.split('\n');
}
