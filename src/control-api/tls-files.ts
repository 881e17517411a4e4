import { readFile } from 'node:fs/promises';
import { ControlApiConfigError, type ControlApiTls } from './control-api-server.ts';

/** Where the control API's certificates are (a mounted Secret: tls.crt, tls.key, ca.crt). */
export interface ControlApiTlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
  readonly clientCaFile?: string;
  readonly requireClientCertificate?: boolean;
}

async function read(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new ControlApiConfigError(
      `cannot read the control API ${what} ${path}: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}

/** The `tls` option of startControlApi from PEM files (for `flinkvisor operator run`). */
export async function readControlApiTls(files: ControlApiTlsFiles): Promise<ControlApiTls> {
  const clientCa = files.clientCaFile ? await read(files.clientCaFile, 'client CA') : undefined;
  return {
    cert: await read(files.certFile, 'certificate'),
    key: await read(files.keyFile, 'key'),
    ...(clientCa ? { clientCa } : {}),
    requireClientCertificate: files.requireClientCertificate ?? false,
  };
}
