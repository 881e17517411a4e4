import { CoreV1Api, type CoreV1Event, type KubeConfig } from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import type { Clock } from './clock.ts';
import { isNotFound } from './errors.ts';
import { mergePatch } from './patch-options.ts';

/** The object an Event is about. */
export interface EventSubject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly uid?: string;
  readonly resourceVersion?: string;
}

export type EventType = 'Normal' | 'Warning';

export interface EventRecorder {
  record(subject: EventSubject, type: EventType, reason: string, message: string): Promise<void>;
}

/**
 * Kubernetes Events (core/v1, what `kubectl describe` shows). A repeat of the same event within ten
 * minutes bumps its count instead of creating another object, as client-go's correlator does.
 * Recording never throws: an Event is a report, not a step that can fail a reconcile.
 */
export class KubeEventRecorder implements EventRecorder {
  readonly #core: CoreV1Api;
  readonly #component: string;
  readonly #instance: string;
  readonly #clock: Clock;
  readonly #onError: (err: unknown) => void;
  readonly #recent = new Map<string, { name: string; count: number; first: number; last: number }>();

  constructor(
    kubeConfig: KubeConfig,
    component: string,
    instance: string,
    clock: Clock,
    onError: (err: unknown) => void,
  ) {
    this.#core = kubeConfig.makeApiClient(CoreV1Api);
    this.#component = component;
    this.#instance = instance;
    this.#clock = clock;
    this.#onError = onError;
  }

  async record(subject: EventSubject, type: EventType, reason: string, message: string): Promise<void> {
    const now = this.#clock.now();
    const key = `${subject.namespace}/${subject.kind}/${subject.name}/${type}/${reason}/${message}`;
    const seen = this.#recent.get(key);
    try {
      if (seen && now - seen.last < 600_000) {
        seen.count++;
        seen.last = now;
        await this.#core.patchNamespacedEvent(
          {
            name: seen.name,
            namespace: subject.namespace,
            body: { count: seen.count, lastTimestamp: new Date(now) },
          },
          mergePatch(),
        );
        return;
      }
      const name = `${subject.name}.${randomBytes(8).toString('hex')}`;
      const body: CoreV1Event = {
        metadata: { name, namespace: subject.namespace },
        involvedObject: {
          apiVersion: subject.apiVersion,
          kind: subject.kind,
          namespace: subject.namespace,
          name: subject.name,
          ...(subject.uid ? { uid: subject.uid } : {}),
          ...(subject.resourceVersion ? { resourceVersion: subject.resourceVersion } : {}),
        },
        type,
        reason,
        message: message.slice(0, 1024),
        count: 1,
        firstTimestamp: new Date(now),
        lastTimestamp: new Date(now),
        source: { component: this.#component },
        reportingComponent: this.#component,
        reportingInstance: this.#instance,
      };
      await this.#core.createNamespacedEvent({ namespace: subject.namespace, body });
      this.#recent.set(key, { name, count: 1, first: now, last: now });
      if (this.#recent.size > 1000) this.#recent.delete(this.#recent.keys().next().value as string);
    } catch (err) {
      if (seen && isNotFound(err)) this.#recent.delete(key);
      this.#onError(err);
    }
  }
}

/** Records in memory (unit tests, dry runs). */
export class MemoryEventRecorder implements EventRecorder {
  readonly events: { subject: EventSubject; type: EventType; reason: string; message: string }[] = [];
  async record(subject: EventSubject, type: EventType, reason: string, message: string): Promise<void> {
    this.events.push({ subject, type, reason, message });
  }
}
