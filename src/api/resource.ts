import type { V1ObjectMeta } from '@kubernetes/client-node';
import { z } from 'zod';
import type { CrossFieldRule } from './cel-rules.ts';
import { API_GROUP_VERSION, DNS_LABEL_PATTERN } from './names.ts';

/** metadata as the API server returns it; only the name is checked here (the API server owns the rest). */
export const objectMeta = z
  .looseObject({})
  .meta({ 'x-kubernetes-preserve-unknown-fields': true })
  .describe('Standard object metadata.') as unknown as z.ZodType<V1ObjectMeta>;

/** apiVersion, kind, metadata, spec, status: the whole custom resource. */
export function resourceEnvelope<K extends string, Spec extends z.ZodType, Status extends z.ZodType>(
  kind: K,
  spec: Spec,
  status: Status,
  description: string,
) {
  return z
    .object({
      // Defaulted so parse() also takes a bare object (a request body, a test fixture).
      apiVersion: z.literal(API_GROUP_VERSION).default(API_GROUP_VERSION).describe(`${API_GROUP_VERSION}.`),
      kind: z.literal(kind).default(kind).describe(`${kind}.`),
      metadata: objectMeta,
      spec,
      status: status.exactOptional(),
    })
    .describe(description);
}

const dnsLabel = new RegExp(DNS_LABEL_PATTERN);

/**
 * Rules on metadata.name (CEL at the root of the schema may read metadata.name): the name ends up
 * in label values and in the names of derived objects (names.ts explains the limits).
 */
export function nameRules<T extends { metadata: V1ObjectMeta }>(
  maxLength: number,
  what: string,
): CrossFieldRule<T>[] {
  return [
    {
      rule: `size(self.metadata.name) <= ${maxLength}`,
      message: `metadata.name: ${what} must be at most ${maxLength} characters long`,
      check: (r) => (r.metadata.name ?? '').length <= maxLength,
    },
    {
      rule: `self.metadata.name.matches('${DNS_LABEL_PATTERN}')`,
      message: `metadata.name: ${what} must be a DNS label (lower-case letters, digits and '-', no dots)`,
      check: (r) => r.metadata.name === undefined || dnsLabel.test(r.metadata.name),
    },
  ];
}
