import { Client, Connection } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { NativeConnection } from '@temporalio/worker';

/**
 * Where to find Temporal. With TEMPORAL_ADDRESS (and TEMPORAL_NAMESPACE,
 * TEMPORAL_API_KEY, TEMPORAL_TLS*, or a TEMPORAL_PROFILE from the CLI's config
 * file: Temporal's environment-configuration conventions) we connect there and
 * start nothing; otherwise a local dev server on 127.0.0.1.
 */
export interface TemporalTarget {
  address: string;
  namespace: string;
  /** True when the server is someone else's (TEMPORAL_ADDRESS or a profile). */
  external: boolean;
  connectionOptions: ReturnType<typeof loadClientConnectConfig>['connectionOptions'];
}

export const LOCAL_PORT = 7233;

export function temporalTarget(env: NodeJS.ProcessEnv = process.env): TemporalTarget {
  const external = Boolean(env.TEMPORAL_ADDRESS || env.TEMPORAL_PROFILE);
  if (external) {
    const cfg = loadClientConnectConfig({ ...(env.TEMPORAL_PROFILE ? { profile: env.TEMPORAL_PROFILE } : {}) });
    const address = cfg.connectionOptions.address ?? env.TEMPORAL_ADDRESS ?? `127.0.0.1:${LOCAL_PORT}`;
    return { address, namespace: cfg.namespace ?? 'default', external, connectionOptions: { ...cfg.connectionOptions, address } };
  }
  const address = `127.0.0.1:${LOCAL_PORT}`;
  return { address, namespace: env.TEMPORAL_NAMESPACE ?? 'default', external, connectionOptions: { address } };
}

export async function connectClient(target: TemporalTarget = temporalTarget()): Promise<Client> {
  const connection = await Connection.connect(target.connectionOptions as Parameters<typeof Connection.connect>[0]);
  return new Client({ connection, namespace: target.namespace });
}

export async function connectWorker(target: TemporalTarget = temporalTarget()): Promise<NativeConnection> {
  return NativeConnection.connect(target.connectionOptions);
}

/** Web UI link for a workflow, for a local dev server (UI on gRPC port + 1000). */
export function webUiLink(target: TemporalTarget, workflowId?: string): string | undefined {
  if (target.external) return undefined;
  const [host, port] = target.address.split(':');
  const base = `http://${host}:${Number(port) + 1000}/namespaces/${target.namespace}/workflows`;
  return workflowId ? `${base}/${encodeURIComponent(workflowId)}` : base;
}
