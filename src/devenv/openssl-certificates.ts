import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCommand } from './run-command.ts';

/**
 * Throwaway certificates made with the openssl command in one directory, for the local environment
 * and the tests (never committed): EC P-256 keys without a passphrase, valid a day. A file set is
 * named by its base name: `<name>.key`, `<name>.crt`.
 */
export class OpensslCertificates {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  /** A self-signed CA `<name>.crt` / `<name>.key` with subject `/CN=<cn>`. */
  async ca(name: string, cn: string = name): Promise<void> {
    await this.#openssl(
      ['req', '-x509', ...EC_KEY, '-keyout', `${name}.key`, '-out', `${name}.crt`].concat([
        '-days',
        '1',
        '-subj',
        `/CN=${cn}`,
      ]),
    );
  }

  /**
   * A certificate `<name>.crt` / `<name>.key` for `subject` (openssl's `/O=…/CN=…` form) signed by
   * CA `ca`, with `extensions` in openssl's extfile syntax (subjectAltName, extendedKeyUsage).
   */
  async sign(name: string, subject: string, ca: string, extensions: string): Promise<void> {
    await writeFile(join(this.dir, `${name}.ext`), extensions);
    await this.#openssl([
      'req',
      ...EC_KEY,
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
      '-subj',
      subject,
    ]);
    await this.#openssl(
      [
        'x509',
        '-req',
        '-in',
        `${name}.csr`,
        '-CA',
        `${ca}.crt`,
        '-CAkey',
        `${ca}.key`,
        '-CAcreateserial',
      ].concat(['-days', '1', '-out', `${name}.crt`, '-extfile', `${name}.ext`]),
    );
  }

  /** The path of one of the files. */
  file(name: string): string {
    return join(this.dir, name);
  }

  async #openssl(args: string[]): Promise<void> {
    await runCommand('openssl', args, { cwd: this.dir, timeoutMs: 30_000 });
  }
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
