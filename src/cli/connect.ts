import type { Client } from '@temporalio/client';
import { connectClient, temporalTarget, type TemporalTarget } from '../temporal/connection';
import { isListening } from '../temporal/dev-server';
import { CliError, explain, noServerMessage } from './errors';
import { EXIT } from './exit-codes';

/**
 * Runs `fn` with a client for the server in use (TEMPORAL_ADDRESS & co., or
 * the local dev server), closes it afterwards, and turns whatever fails into
 * advice.
 */
export async function withClient<T>(
  fn: (client: Client, target: TemporalTarget) => Promise<T>,
  workflowId?: string,
): Promise<T> {
  const target = await serverInUse();
  let client: Client;
  try {
    client = await connectClient(target);
  } catch (err) {
    throw new CliError(noServerMessage(target, (err as Error).message), EXIT.noServer);
  }
  try {
    return await fn(client, target);
  } catch (err) {
    throw explain(err, target, workflowId);
  } finally {
    await client.connection.close();
  }
}

/**
 * The server in use. A loopback address is probed first so that a missing
 * local server is reported at once rather than after the connect timeout.
 */
export async function serverInUse(): Promise<TemporalTarget> {
  const target = temporalTarget();
  const [host, port] = target.address.split(':');
  if ((host === '127.0.0.1' || host === 'localhost') && !(await isListening(Number(port), host))) {
    throw new CliError(noServerMessage(target), EXIT.noServer);
  }
  return target;
}
