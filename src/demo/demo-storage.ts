import type { V1Secret } from '@kubernetes/client-node';

/** The part of the demo FlinkDeployment that says where its state lives. */
export interface DemoStorageSpec {
  scheme: string;
  baseDir: string;
  s3?: { endpoint?: string; credentialsSecret?: { name: string } };
}

export interface LocalObjectStore {
  readonly endpoint: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/**
 * What a user does before applying the example in a cluster, done for the local object store: point
 * `s3.endpoint` at it and create the credentials Secret the example names, with the keys the
 * supervisor reads by default. The credentials exist only in this Secret (never in a file).
 */
export function localizeDemoStorage(
  storage: DemoStorageSpec | undefined,
  namespace: string,
  store: LocalObjectStore,
): V1Secret[] {
  if (!storage?.s3) return [];
  storage.s3.endpoint = store.endpoint;
  const secret = storage.s3.credentialsSecret?.name;
  if (!secret) return [];
  return [
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: secret, namespace },
      type: 'Opaque',
      stringData: { AWS_ACCESS_KEY_ID: store.accessKeyId, AWS_SECRET_ACCESS_KEY: store.secretAccessKey },
    },
  ];
}
