import { join } from 'node:path';
import { OpensslCertificates } from './openssl-certificates.ts';

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

/** Writes the CA and both certificates into `dir` with the openssl command. */
export async function createKubeletPki(dir: string): Promise<KubeletPki> {
  const certificates = new OpensslCertificates(dir);
  await certificates.ca('kubelet-ca', 'flinkvisor-kubelet-ca');
  await certificates.sign(
    'kubelet-serving',
    '/CN=flinkvisor-node-agent',
    'kubelet-ca',
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n',
  );
  await certificates.sign(
    'apiserver-kubelet-client',
    '/CN=kube-apiserver-kubelet-client',
    'kubelet-ca',
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
