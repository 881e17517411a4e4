import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FlinkInvalidArgumentError } from '../../../src/flink/errors.ts';
import { jarIdFromUploadPath, jarUploadBody } from '../../../src/flink/jar-upload.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'jar-upload-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function collect(iterable: AsyncIterable<Uint8Array>): Promise<{ bytes: Buffer; chunks: number }> {
  const parts: Buffer[] = [];
  for await (const c of iterable) parts.push(Buffer.from(c));
  return { bytes: Buffer.concat(parts), chunks: parts.length };
}

describe('jarUploadBody', () => {
  it('frames the jar as the jarfile part of a multipart form, with an exact length', async () => {
    const jar = join(dir, 'job.jar');
    await writeFile(jar, Buffer.from('PK\u0003\u0004 fake jar bytes'));
    const body = await jarUploadBody(jar, { boundary: 'B0UNDARY' });
    expect(body.contentType).toBe('multipart/form-data; boundary=B0UNDARY');
    const { bytes } = await collect(body.open());
    expect(bytes.toString('latin1')).toBe(
      '--B0UNDARY\r\n' +
        'Content-Disposition: form-data; name="jarfile"; filename="job.jar"\r\n' +
        'Content-Type: application/x-java-archive\r\n\r\n' +
        'PK\u0003\u0004 fake jar bytes' +
        '\r\n--B0UNDARY--\r\n',
    );
    expect(body.contentLength).toBe(bytes.length);
  });

  it('streams a large jar in bounded chunks, and again on every open()', async () => {
    const jar = join(dir, 'big.jar');
    await writeFile(jar, Buffer.alloc(1024 * 1024, 7));
    const body = await jarUploadBody(jar, { chunkBytes: 64 * 1024 });
    const first = await collect(body.open());
    // head + 16 chunks of 64 KiB + tail
    expect(first.chunks).toBe(18);
    expect(first.bytes.length).toBe(body.contentLength);
    const second = await collect(body.open());
    expect(second.bytes.equals(first.bytes)).toBe(true);
    expect(body.contentType).toMatch(/^multipart\/form-data; boundary=flinkvisor-[0-9a-f]{24}$/);
  });

  it('refuses what Flink would refuse, before sending', async () => {
    await writeFile(join(dir, 'notes.txt'), 'x');
    await writeFile(join(dir, 'empty.jar'), '');
    await expect(jarUploadBody(join(dir, 'notes.txt'))).rejects.toThrow(/only \.jar files/);
    await expect(jarUploadBody(join(dir, 'missing.jar'))).rejects.toThrow(/cannot read jar .*ENOENT/);
    await expect(jarUploadBody(join(dir, 'empty.jar'))).rejects.toThrow(/is empty/);
    await expect(jarUploadBody(dir, { fileName: 'x.jar' })).rejects.toThrow(/not a regular file/);
    await expect(jarUploadBody(join(dir, 'job.jar'), { fileName: 'a"b.jar' })).rejects.toThrow(
      FlinkInvalidArgumentError,
    );
  });

  it('takes the jar id from the stored path', () => {
    expect(jarIdFromUploadPath('/tmp/x/flink-web-upload/82b5_TopSpeedWindowing.jar')).toBe(
      '82b5_TopSpeedWindowing.jar',
    );
    expect(() => jarIdFromUploadPath('/tmp/x/')).toThrow();
  });
});
