import type { V1Container, V1Probe } from '@kubernetes/client-node';
import { connect } from 'node:net';
import { request } from 'node:http';

/** One probe attempt against the pod IP: httpGet (2xx/3xx) or tcpSocket; exec probes count as passing. */
export async function runProbe(probe: V1Probe, container: V1Container, podIp: string): Promise<boolean> {
  const timeoutMs = Math.max(1, probe.timeoutSeconds ?? 1) * 1000;
  const port = (p: number | string | undefined): number | undefined => {
    if (typeof p === 'number') return p;
    if (p === undefined) return undefined;
    if (/^\d+$/.test(p)) return Number(p);
    return container.ports?.find((cp) => cp.name === p)?.containerPort;
  };
  if (probe.httpGet) {
    const p = port(probe.httpGet.port as number | string);
    if (!p) return false;
    return new Promise((resolve) => {
      const req = request(
        {
          host: probe.httpGet?.host ?? podIp,
          port: p,
          path: probe.httpGet?.path ?? '/',
          method: 'GET',
          timeout: timeoutMs,
        },
        (res) => {
          res.resume();
          resolve((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 400);
        },
      );
      req.on('timeout', () => req.destroy());
      req.on('error', () => resolve(false));
      req.end();
    });
  }
  if (probe.tcpSocket) {
    const p = port(probe.tcpSocket.port as number | string);
    if (!p) return false;
    return new Promise((resolve) => {
      const socket = connect({ host: probe.tcpSocket?.host ?? podIp, port: p, timeout: timeoutMs });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('timeout', () => {
        socket.destroy();
        resolve(false);
      });
      socket.once('error', () => resolve(false));
    });
  }
  return true;
}
