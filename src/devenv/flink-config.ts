import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';

export type FlinkConfig = Record<string, string | number | boolean>;

/** Flink's config.yaml nests keys; both nested and dotted forms mean the same, so flatten to dotted. */
export function flattenConfig(value: unknown, prefix = '', out: FlinkConfig = {}): FlinkConfig {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      flattenConfig(v, prefix ? `${prefix}.${k}` : k, out);
    }
  } else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
    out[prefix] = value;
  } else if (Array.isArray(value)) {
    out[prefix] = value.join(';');
  }
  return out;
}

export async function readDistributionConfig(flinkHome: string): Promise<FlinkConfig> {
  const text = await readFile(join(flinkHome, 'conf', 'config.yaml'), 'utf8');
  return flattenConfig(parse(text));
}

/** Flat `key: value` lines, every value quoted: valid for Flink's YAML parser (1.19+ config.yaml). */
export function renderConfig(config: FlinkConfig): string {
  return (
    Object.entries(config)
      .map(([k, v]) => `${k}: ${typeof v === 'string' ? JSON.stringify(v) : String(v)}`)
      .join('\n') + '\n'
  );
}
