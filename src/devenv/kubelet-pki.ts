import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCommand } from './run-command.ts';

/**
 * The certificates of the API server ↔ node agent link, as a cluster's kubelet PKI has them:
 * one CA (made here, valid a day, private to this control plane) signs the node agent's serving
 * certificate (for 127.0.0.1, where the agent listens) and the API server's client certificate.
 * The API server verifies the agent with `--kubelet-certificate-authority`; the agent accepts only
 * clients with a certificate from that CA, i.e. only the API server, so `kubectl logs` goes through
 * the API server's authentication and RBAC (pods/log) like anywhere else.
 */
export interface KubeletPki {
  readonly caFile: string;
  readonly servingCertFile: string;
  readonly servingKeyFile: string;
  readonly apiserverClientCertFile: string;
  readonly apiserverClientKeyFile: string;
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** Writes the CA and both certificates into `dir` with the openssl command. */
export async function createKubeletPki(dir: string): Promise<KubeletPki> {
  const openssl = (args: string[]) => runCommand('openssl', args, { cwd: dir, timeoutMs: 30_000 });
  await openssl([
    'req',
    '-x509',
    ...EC_KEY,
    '-keyout',
    'kubelet-ca.key',
    '-out',
    'kubelet-ca.crt',
    '-days',
    '1',
    '-subj',
    '/CN=flinkvisor-kubelet-ca',
  ]);
  const sign = async (name: string, subject: string, extensions: string) => {
    await writeFile(join(dir, `${name}.ext`), extensions);
    await openssl(['req', ...EC_KEY, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject]);
    await openssl([
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'kubelet-ca.crt',
      '-CAkey',
      'kubelet-ca.key',
      '-CAcreateserial',
      '-days',
      '1',
      '-out',
      `${name}.crt`,
      '-extfile',
      `${name}.ext`,
    ]);
  };
  await sign(
    'kubelet-serving',
    '/CN=flinkvisor-node-agent',
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n',
  );
  await sign(
    'apiserver-kubelet-client',
    '/CN=kube-apiserver-kubelet-client',
    'extendedKeyUsage=clientAuth\n',
  );
  return {
    caFile: join(dir, 'kubelet-ca.crt'),
    servingCertFile: join(dir, 'kubelet-serving.crt'),
    servingKeyFile: join(dir, 'kubelet-serving.key'),
    apiserverClientCertFile: join(dir, 'apiserver-kubelet-client.crt'),
    apiserverClientKeyFile: join(dir, 'apiserver-kubelet-client.key'),
  };
}
