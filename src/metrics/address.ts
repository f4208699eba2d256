/**
 * Where a worker's Prometheus endpoint listens, from COLLM_METRICS_ADDRESS:
 * unset or empty, nowhere (off). A bare port means 127.0.0.1:port, so that
 * turning metrics on never opens them to the network by accident; another
 * interface (0.0.0.0, a host's address, [::]) must be written out.
 */
export function metricsBindAddress(text: string | undefined): string | undefined {
  const value = text?.trim();
  if (!value) return undefined;
  const bare = /^\d+$/.test(value);
  const match = bare ? ['', '127.0.0.1', value] : /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d+)$/.exec(value);
  const port = Number(match?.[2]);
  if (!match || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(
      `COLLM_METRICS_ADDRESS: '${value}' is not a port or host:port; use e.g. 9464 (127.0.0.1:9464), or 0.0.0.0:9464 to listen on every interface`,
    );
  }
  return `${match[1]}:${port}`;
}
