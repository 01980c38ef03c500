/**
 * The kernel's socket tables (/proc/net/tcp, tcp6, udp, udp6), read as goss reads them: a TCP
 * port listens when a socket is in state LISTEN on it, a UDP port when any socket is bound to
 * it; `ip` lists the local addresses of those sockets. Pure.
 */

export type Protocol = 'tcp' | 'tcp6' | 'udp' | 'udp6';

const TCP_LISTEN = '0A';

/** Port to the local addresses bound to it ("0.0.0.0", "::", "127.0.0.1"). */
export function boundPorts(table: string, protocol: Protocol): Map<number, string[]> {
  const ports = new Map<number, string[]>();
  for (const line of table.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    const [hexAddress, hexPort] = (fields[1] ?? '').split(':');
    if (!hexAddress || !hexPort) continue;
    if (protocol.startsWith('tcp') && fields[3] !== TCP_LISTEN) continue;
    const port = Number.parseInt(hexPort, 16);
    const ip = decodeAddress(hexAddress);
    const ips = ports.get(port) ?? [];
    if (!ips.includes(ip)) ips.push(ip);
    ports.set(port, ips);
  }
  return ports;
}

/** The table prints addresses as the kernel stores them: 32-bit words in host (little-endian) order. */
export function decodeAddress(hex: string): string {
  const words = hex.match(/.{8}/g) ?? [];
  const bytes = words.flatMap((word) => [6, 4, 2, 0].map((at) => Number.parseInt(word.slice(at, at + 2), 16)));
  if (bytes.length === 4) return bytes.join('.');
  const groups = Array.from({ length: 8 }, (_, i) => (((bytes[2 * i] ?? 0) << 8) | (bytes[2 * i + 1] ?? 0)).toString(16));
  // The URL parser writes IPv6 in its canonical short form ("::", "::1", "fe80::1").
  return new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1);
}
