import { Client, Connection } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import type { NativeConnection } from '@temporalio/worker';

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

/**
 * The largest gRPC message a client reads: a page of history is up to 1,000
 * events of up to 2 MB each (the server's payload limit), and gRPC's default
 * of 4 MB refused pages that `temporal workflow show` reads. The same bound
 * the Temporal CLI and Go SDK use.
 */
export const MAX_RECEIVE_BYTES = 128 * 1024 * 1024;

export async function connectClient(target: TemporalTarget = temporalTarget()): Promise<Client> {
  const connection = await Connection.connect({
    ...(target.connectionOptions as Parameters<typeof Connection.connect>[0]),
    channelArgs: { 'grpc.max_receive_message_length': MAX_RECEIVE_BYTES },
  });
  return new Client({ connection, namespace: target.namespace });
}

export async function connectWorker(target: TemporalTarget = temporalTarget()): Promise<NativeConnection> {
  // Loaded here, not at the top: the worker's native module costs every CLI command ~90 ms it does not need.
  const { NativeConnection: Native } = await import('@temporalio/worker');
  return Native.connect(target.connectionOptions);
}

/** Web UI link for a workflow, for a local dev server (UI on gRPC port + 1000). */
export function webUiLink(target: TemporalTarget, workflowId?: string): string | undefined {
  if (target.external) return undefined;
  const [host, port] = target.address.split(':');
  const base = `http://${host}:${Number(port) + 1000}/namespaces/${target.namespace}/workflows`;
  return workflowId ? `${base}/${encodeURIComponent(workflowId)}` : base;
}
