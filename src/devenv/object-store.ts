import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { S3Client } from '../storage/s3-client.ts';
import { freePort } from './free-port.ts';
import { ManagedProcess } from './managed-process.ts';
import type { Progress } from './progress.ts';
import { silentProgress } from './progress.ts';
import type { VersitygwBinary } from './versitygw-binary.ts';
import { waitFor } from './wait-for.ts';

/**
 * The local environment's S3-compatible object store: versitygw on a loopback port, its POSIX
 * backend in a directory of the environment, root credentials generated per start. Flink reaches it
 * through `s3.endpoint` with path-style addressing, exactly as it would reach an in-cluster
 * S3-compatible service; tests and the demo list what Flink wrote through the S3 API, never the disk.
 */
export interface ObjectStore {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** The bucket created at start, for Flink state. */
  readonly bucket: string;
  readonly client: S3Client;
  readonly running: boolean;
  /** Stops the server (the data stays): an outage as clients see it. */
  pause(): Promise<void>;
  /** Starts it again on the same address, credentials and data. */
  resume(): Promise<void>;
  stop(): Promise<void>;
}

export interface ObjectStoreOptions {
  readonly binary: VersitygwBinary;
  readonly dir: string;
  readonly bucket?: string;
  readonly region?: string;
  readonly progress?: Progress;
  readonly startTimeoutMs?: number;
}

export const DEFAULT_STATE_BUCKET = 'flink-state';

export async function startObjectStore(options: ObjectStoreOptions): Promise<ObjectStore> {
  const progress = options.progress ?? silentProgress;
  const region = options.region ?? 'us-east-1';
  const bucket = options.bucket ?? DEFAULT_STATE_BUCKET;
  const data = join(options.dir, 'data');
  // Object metadata goes to a sidecar directory, so the backend needs no extended attributes
  // from whatever file system the temporary directory is on.
  const sidecar = join(options.dir, 'meta');
  await mkdir(data, { recursive: true });
  await mkdir(sidecar, { recursive: true });
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const accessKeyId = `flinkvisor${randomBytes(6).toString('hex')}`;
  const secretAccessKey = randomBytes(24).toString('base64url');
  const client = new S3Client({ endpoint, region, accessKeyId, secretAccessKey });
  let server: ManagedProcess | undefined;

  const launch = async () => {
    const started = ManagedProcess.start({
      name: 'versitygw',
      command: options.binary.path,
      // Credentials go through the environment, never the command line (which `ps` shows).
      args: [
        '--port',
        `127.0.0.1:${port}`,
        '--region',
        region,
        '--quiet',
        'posix',
        '--sidecar',
        sidecar,
        data,
      ],
      env: {
        PATH: process.env['PATH'] ?? '/usr/bin:/bin',
        ROOT_ACCESS_KEY_ID: accessKeyId,
        ROOT_SECRET_ACCESS_KEY: secretAccessKey,
      },
      logFile: join(options.dir, 'versitygw.log'),
    });
    server = started;
    await waitFor(
      `versitygw on ${endpoint}`,
      async () =>
        (await client.headBucket(bucket).then(
          () => true,
          (err: unknown) => (err instanceof Error && 'status' in err ? true : undefined),
        ))
          ? true
          : undefined,
      {
        timeoutMs: options.startTimeoutMs ?? 30_000,
        intervalMs: 100,
        abortIf: () =>
          started.running
            ? undefined
            : `versitygw exited (${JSON.stringify(started.exitStatus)}); see ${started.logFile}`,
      },
    );
  };

  await progress.step(`start versitygw (S3) on ${endpoint}, bucket ${bucket}`, async () => {
    await launch();
    await client.createBucket(bucket);
  });

  return {
    endpoint,
    region,
    accessKeyId,
    secretAccessKey,
    bucket,
    client,
    get running() {
      return server?.running ?? false;
    },
    pause: async () => {
      await server?.stop(5_000);
    },
    resume: async () => {
      if (server?.running) return;
      await launch();
    },
    stop: async () => {
      await server?.stop(5_000);
    },
  };
}
