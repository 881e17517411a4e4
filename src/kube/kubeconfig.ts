import { KubeConfig } from '@kubernetes/client-node';

/** A KubeConfig from a file, or the in-cluster service account when no file is named. */
export function loadKubeConfig(path?: string): KubeConfig {
  const kc = new KubeConfig();
  if (path) kc.loadFromFile(path);
  else kc.loadFromDefault();
  return kc;
}
