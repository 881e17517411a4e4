import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import type { ReadableStream } from 'node:stream/web';
import { pipeline } from 'node:stream/promises';

export class DownloadError extends Error {}

export interface ExpectedDigest {
  readonly algorithm: 'sha256' | 'sha1';
  readonly hex: string;
}

/** Streams a URL to a file (never whole in memory), checking its digest before the file appears. */
export async function downloadFile(
  url: string,
  destination: string,
  expected: ExpectedDigest | undefined,
  timeoutMs = 15 * 60 * 1000,
): Promise<void> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    throw new DownloadError(`download failed: ${url}: ${(err as Error).message}`, { cause: err });
  }
  if (!response.ok || !response.body) {
    throw new DownloadError(`download failed: ${url}: HTTP ${response.status}`);
  }
  const hash = createHash(expected?.algorithm ?? 'sha256');
  const partial = `${destination}.partial`;
  const hasher = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
  try {
    await pipeline(Readable.fromWeb(response.body as ReadableStream), hasher, createWriteStream(partial));
  } catch (err) {
    await rm(partial, { force: true });
    throw new DownloadError(`download interrupted: ${url}: ${(err as Error).message}`, { cause: err });
  }
  const actual = hash.digest('hex');
  if (expected && actual !== expected.hex.toLowerCase()) {
    await rm(partial, { force: true });
    throw new DownloadError(
      `digest mismatch for ${url}: expected ${expected.algorithm} ${expected.hex}, got ${actual}`,
    );
  }
  await rename(partial, destination);
}

export async function fetchText(url: string, timeoutMs = 60_000): Promise<string> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    throw new DownloadError(`request failed: ${url}: ${(err as Error).message}`, { cause: err });
  }
  if (!response.ok) throw new DownloadError(`request failed: ${url}: HTTP ${response.status}`);
  return response.text();
}

/**
 * Finds a file in a PEP 503 "simple" index page: the link's URL and the sha256 in its fragment.
 */
export function findInSimpleIndex(
  html: string,
  filename: string,
): { url: string; sha256: string } | undefined {
  const hrefs = html.matchAll(/href="([^"]+)"/g);
  for (const [, href] of hrefs) {
    if (!href) continue;
    const [location, fragment] = href.split('#');
    if (!location || !location.endsWith(`/${filename}`)) continue;
    const sha = /sha256=([0-9a-f]{64})/.exec(fragment ?? '');
    if (sha?.[1]) return { url: location.replaceAll('&amp;', '&'), sha256: sha[1] };
  }
  return undefined;
}
