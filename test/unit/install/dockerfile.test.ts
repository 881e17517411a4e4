import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  copyArguments,
  DockerfileError,
  execForm,
  parseDockerfile,
} from '../../../src/install/dockerfile.ts';
import { dockerignoreFilter, reproduceStage } from '../../../src/install/image-layout.ts';

describe('parseDockerfile', () => {
  it('reads stages, build-argument defaults, flags and continued lines', () => {
    const file = parseDockerfile(
      [
        '# syntax=docker/dockerfile:1.7',
        'ARG BASE=node:26.1.0-slim',
        'FROM ${BASE} AS deps',
        'WORKDIR /app',
        'RUN npm ci \\',
        '    # a comment inside a continuation',
        '    --omit=dev',
        'FROM scratch AS files',
        'ADD --checksum=sha256:ab https://example.com/a.jar /a/a.jar',
        'FROM $BASE',
        'COPY --from=deps /app/node_modules ./node_modules',
        'ENTRYPOINT ["node", "/app/main.js"]',
      ].join('\n'),
    );
    expect(file.args).toEqual({ BASE: 'node:26.1.0-slim' });
    expect(file.stages.map((s) => [s.name, s.from])).toEqual([
      ['deps', 'node:26.1.0-slim'],
      ['files', 'scratch'],
      [undefined, 'node:26.1.0-slim'],
    ]);
    expect(file.stages[0]?.instructions[1]).toMatchObject({
      keyword: 'RUN',
      args: 'npm ci --omit=dev',
      line: 5,
    });
    const add = file.stages[1]?.instructions[0];
    expect(add?.flags).toEqual({ checksum: 'sha256:ab' });
    expect(add && copyArguments(add)).toEqual({
      sources: ['https://example.com/a.jar'],
      destination: '/a/a.jar',
    });
    const last = file.stages[2]?.instructions ?? [];
    expect(last[0]?.flags).toEqual({ from: 'deps' });
    expect(last[1] && execForm(last[1])).toEqual(['node', '/app/main.js']);
  });

  it('refuses what it cannot read instead of guessing', () => {
    expect(() => parseDockerfile('RUN true')).toThrow(DockerfileError);
    expect(() => parseDockerfile('FROM ${NOPE}')).toThrow(/build argument NOPE has no default/);
    const shell = parseDockerfile('FROM x\nENTRYPOINT node main.js').stages[0]?.instructions[0];
    expect(() => shell && execForm(shell)).toThrow(/exec form/);
  });
});

describe('dockerignoreFilter', () => {
  it('keeps an allowlist: later patterns win and a directory pattern covers its contents', () => {
    const sent = dockerignoreFilter(['*', '!package.json', '!src/', 'src/**/*.test.ts']);
    expect(sent('package.json')).toBe(true);
    expect(sent('src')).toBe(true);
    expect(sent('src/cli/main.ts')).toBe(true);
    expect(sent('src/cli/main.test.ts')).toBe(false);
    expect(sent('test/unit/a.test.ts')).toBe(false);
    expect(sent('node_modules/x/index.js')).toBe(false);
    expect(dockerignoreFilter([])('anything')).toBe(true);
  });
});

describe('reproduceStage', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('replays COPY (context and other stages), ADD, RUN, WORKDIR, ENV and USER', async () => {
    dir = await mkdtemp(join(tmpdir(), 'flinkvisor-layout-'));
    const context = join(dir, 'context');
    await mkdir(join(context, 'src', 'sub'), { recursive: true });
    await writeFile(join(context, 'package.json'), '{}');
    await writeFile(join(context, 'src', 'sub', 'a.ts'), 'a');
    await writeFile(join(context, 'secret.txt'), 'not sent');
    await writeFile(join(dir, 'download.jar'), 'jar');
    const runs: string[] = [];
    const file = parseDockerfile(
      [
        'FROM base AS build',
        'WORKDIR /w',
        'COPY package.json ./',
        'RUN make',
        'FROM scratch AS jars',
        'ADD --checksum=sha256:x https://example.com/lib/x.jar /jars/',
        'FROM base AS final',
        'ENV MODE=prod OTHER="a b"',
        'WORKDIR /opt/app',
        'COPY --from=build /w/out ./out',
        'COPY src/ ./src/',
        'COPY --from=jars /jars/ ./jars/',
        'USER 1000:1000',
        'ENTRYPOINT ["node", "/opt/app/src/sub/a.ts"]',
      ].join('\n'),
    );
    const layout = await reproduceStage(file, 'final', join(dir, 'out'), {
      contextDir: context,
      dockerignore: ['*', '!package.json', '!src/'],
      remoteFile: async (url, checksum) => {
        expect([url, checksum]).toEqual(['https://example.com/lib/x.jar', 'sha256:x']);
        return join(dir ?? '', 'download.jar');
      },
      run: async (command, cwd) => {
        runs.push(command);
        await mkdir(join(cwd, 'out'), { recursive: true });
        await writeFile(join(cwd, 'out', 'built.txt'), 'built');
      },
    });
    expect(runs).toEqual(['make']);
    const app = layout.hostPath('/opt/app');
    expect((await readdir(app)).sort()).toEqual(['jars', 'out', 'src']);
    expect(await readFile(join(app, 'out', 'built.txt'), 'utf8')).toBe('built');
    expect(await readFile(join(app, 'src', 'sub', 'a.ts'), 'utf8')).toBe('a');
    expect(await readFile(join(app, 'jars', 'x.jar'), 'utf8')).toBe('jar');
    expect(layout.env).toEqual({ MODE: 'prod', OTHER: 'a b' });
    expect(layout.user).toBe('1000:1000');
    expect(layout.entrypoint).toEqual(['node', '/opt/app/src/sub/a.ts']);
    expect(layout.workdir).toBe('/opt/app');
    // A COPY of something .dockerignore keeps out of the context fails the build, as with docker.
    const bad = parseDockerfile('FROM base AS x\nCOPY secret.txt /s');
    await expect(
      reproduceStage(bad, 'x', join(dir, 'out2'), {
        contextDir: context,
        dockerignore: ['*', '!src/'],
        remoteFile: async () => '',
        run: async () => undefined,
      }),
    ).rejects.toThrow(/secret.txt is excluded by .dockerignore/);
  });
});
