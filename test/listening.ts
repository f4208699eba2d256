import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

/**
 * The TCP addresses a process listens on, read from /proc (no tool needed):
 * its sockets' inodes, looked up in the kernel's TCP tables. "127.0.0.1:9461",
 * "0.0.0.0:9461", "[::]:9461".
 */
export function listeningAddresses(pid: number): string[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {
      // closed meanwhile
    }
  }
  const out: string[] = [];
  for (const [file, v6] of [['tcp', false], ['tcp6', true]] as const) {
    let table: string;
    try {
      table = readFileSync(`/proc/${pid}/net/${file}`, 'utf8');
    } catch {
      continue;
    }
    for (const line of table.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      // st 0A is LISTEN; col 9 is the inode.
      if (cols.length < 10 || cols[3] !== '0A' || !inodes.has(cols[9]!)) continue;
      const [hex, portHex] = cols[1]!.split(':') as [string, string];
      out.push(`${v6 ? `[${v6Address(hex)}]` : v4Address(hex)}:${parseInt(portHex, 16)}`);
    }
  }
  return out;
}

/** /proc writes an IPv4 address as one little-endian word. */
function v4Address(hex: string): string {
  return [3, 2, 1, 0].map((i) => parseInt(hex.slice(i * 2, i * 2 + 2), 16)).join('.');
}

/** Only the addresses a test meets: any (::) and loopback (::1); others are shown raw. */
function v6Address(hex: string): string {
  if (/^0+$/.test(hex)) return '::';
  if (hex === '00000000000000000000000001000000') return '::1';
  return hex;
}
