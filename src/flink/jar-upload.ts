import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { FlinkInvalidArgumentError, FlinkInvalidResponseError } from './errors.ts';

/**
 * The `multipart/form-data` body of `POST /jars/upload`, streamed from disk: the jar goes out in
 * 64 KiB chunks between a small header and trailer, so a 200 MB jar never sits in memory, and the
 * Content-Length is known up front (Flink's upload handler wants the `jarfile` part typed
 * `application/x-java-archive` and a file name ending in `.jar`).
 */
export interface MultipartBody {
  readonly contentType: string;
  readonly contentLength: number;
  /** A fresh stream on every call, so a request that never left can be sent again. */
  open(): AsyncIterable<Uint8Array>;
}

export interface JarUploadBodyOptions {
  /** The file name Flink records (default: the file's own name). Must end with `.jar`. */
  readonly fileName?: string;
  readonly boundary?: string;
  readonly chunkBytes?: number;
}

export const JAR_CONTENT_TYPE = 'application/x-java-archive';

function checkFileName(name: string): string {
  if (!name.toLowerCase().endsWith('.jar')) {
    throw new FlinkInvalidArgumentError(`Flink accepts only .jar files, got ${JSON.stringify(name)}`);
  }
  if (/["\r\n\\/]/.test(name)) {
    throw new FlinkInvalidArgumentError(
      `jar file name must not contain quotes, slashes or line breaks: ${JSON.stringify(name)}`,
    );
  }
  return name;
}

export async function jarUploadBody(
  path: string,
  options: JarUploadBodyOptions = {},
): Promise<MultipartBody> {
  const fileName = checkFileName(options.fileName ?? basename(path));
  const info = await stat(path).catch((err: NodeJS.ErrnoException) => {
    throw new FlinkInvalidArgumentError(`cannot read jar ${path}: ${err.code ?? err.message}`, {
      cause: err,
    });
  });
  if (!info.isFile()) throw new FlinkInvalidArgumentError(`jar ${path} is not a regular file`);
  if (info.size === 0) throw new FlinkInvalidArgumentError(`jar ${path} is empty`);
  const boundary = options.boundary ?? `flinkvisor-${randomBytes(12).toString('hex')}`;
  const head = Buffer.from(
    `--${boundary}\r\n` +
      `Content-Disposition: form-data; name="jarfile"; filename="${fileName}"\r\n` +
      `Content-Type: ${JAR_CONTENT_TYPE}\r\n\r\n`,
    'latin1',
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`, 'latin1');
  const size = info.size;
  const chunkBytes = options.chunkBytes ?? 64 * 1024;
  return {
    contentType: `multipart/form-data; boundary=${boundary}`,
    contentLength: head.length + size + tail.length,
    async *open() {
      yield head;
      // Breaking out of this loop (an aborted request) closes the file.
      for await (const chunk of createReadStream(path, { highWaterMark: chunkBytes, end: size - 1 })) {
        yield chunk as Buffer;
      }
      yield tail;
    },
  };
}

/** Flink answers the upload with the stored path; the jar id is its last segment (`<uuid>_<name>.jar`). */
export function jarIdFromUploadPath(filename: string): string {
  const id = filename.split('/').at(-1) ?? '';
  if (!id) throw new FlinkInvalidResponseError(`cannot take a jar id from ${JSON.stringify(filename)}`);
  return id;
}
