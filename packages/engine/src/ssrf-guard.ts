/**
 * The outbound-address guard. A URL's host is only a claim: what matters is the address a socket
 * connects to. So the guard (1) normalises IP literals the way URL parsers and `inet_aton` read
 * them (`0x7f.1`, `2130706433`, `127.1`, `::ffff:127.0.0.1`), (2) resolves names itself, checks
 * every address returned, and hands the checked address to the socket through the `lookup` hook —
 * there is no second resolution a DNS-rebinding server could answer differently.
 *
 * Blocked unless allowed by configuration: loopback, private (RFC 1918), CGNAT, link-local (cloud
 * metadata lives there), unique-local, multicast, unspecified, documentation/benchmark and reserved
 * ranges, and IPv6 forms that embed one of those IPv4 addresses (mapped, compatible, NAT64, 6to4).
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import type { ResolvedAddress } from './node-type.ts';
import { NodeError } from './node-type.ts';

export class BlockedAddressError extends NodeError {
  constructor(
    readonly host: string,
    readonly address: string,
    reason: string,
  ) {
    super(
      'blocked_address',
      `refused to connect to ${host}${host === address ? '' : ` (${address})`}: ${reason} addresses are blocked (set allowPrivateNetworks to reach them)`,
    );
    this.name = 'BlockedAddressError';
  }
}

/**
 * Reads an IPv4 address the lenient way (`inet_aton`): 1–4 parts, each decimal, octal (`0` prefix)
 * or hex (`0x`), the last part filling the remaining bytes. Returns the 4 bytes or null.
 */
export function parseIPv4(text: string): [number, number, number, number] | null {
  const parts = text.split('.');
  if (parts.length > 0 && parts[parts.length - 1] === '' && parts.length > 1) parts.pop();
  if (parts.length < 1 || parts.length > 4) return null;
  const numbers: number[] = [];
  for (const part of parts) {
    let value: number;
    if (/^0x[0-9a-f]*$/i.test(part)) value = part.length === 2 ? 0 : Number.parseInt(part.slice(2), 16);
    else if (/^0[0-7]+$/.test(part)) value = Number.parseInt(part.slice(1), 8);
    else if (/^(0|[1-9][0-9]*)$/.test(part)) value = Number(part);
    else return null;
    if (!Number.isSafeInteger(value)) return null;
    numbers.push(value);
  }
  const last = numbers.pop()!;
  if (numbers.some((n) => n > 255)) return null;
  const lastBytes = 4 - numbers.length;
  if (last >= 256 ** lastBytes) return null;
  const bytes = [...numbers];
  for (let i = lastBytes - 1; i >= 0; i--) bytes.push(Math.floor(last / 256 ** i) % 256);
  return bytes as [number, number, number, number];
}

/** Parses an IPv6 address (with `::`, an embedded IPv4 tail, an optional `%zone`) into 16 bytes. */
export function parseIPv6(text: string): number[] | null {
  let s = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  if (isIP(s) !== 6) return null;
  let tail: number[] = [];
  const lastColon = s.lastIndexOf(':');
  const maybeV4 = s.slice(lastColon + 1);
  if (maybeV4.includes('.')) {
    const v4 = parseIPv4(maybeV4);
    if (!v4) return null;
    tail = v4;
    s = `${s.slice(0, lastColon + 1)}0:0`;
  }
  const [head = '', rest] = s.split('::') as [string, string | undefined];
  const toWords = (part: string) => (part === '' ? [] : part.split(':').map((w) => Number.parseInt(w, 16)));
  const headWords = toWords(head);
  const restWords = rest === undefined ? [] : toWords(rest);
  const fill = 8 - headWords.length - restWords.length;
  const words = rest === undefined ? headWords : [...headWords, ...Array(fill).fill(0), ...restWords];
  if (words.length !== 8) return null;
  const bytes = words.flatMap((w) => [w >> 8, w & 0xff]);
  if (tail.length === 4) bytes.splice(12, 4, ...tail);
  return bytes;
}

const v4Blocked: Array<[string, number, string]> = [
  ['0.0.0.0', 8, 'unspecified'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'shared (CGNAT)'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'reserved'],
  ['192.0.2.0', 24, 'documentation'],
  ['192.88.99.0', 24, 'reserved'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'benchmarking'],
  ['198.51.100.0', 24, 'documentation'],
  ['203.0.113.0', 24, 'documentation'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'],
];
const v6Blocked: Array<[string, number, string]> = [
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  ['64:ff9b:1::', 48, 'local NAT64'],
  ['100::', 64, 'discard'],
  ['2001::', 32, 'Teredo'],
  ['2001:db8::', 32, 'documentation'],
  ['fc00::', 7, 'unique-local'],
  ['fe80::', 10, 'link-local'],
  ['fec0::', 10, 'site-local'],
  ['ff00::', 8, 'multicast'],
];

function v4Text(bytes: ArrayLike<number>, offset = 0): string {
  return [bytes[offset], bytes[offset + 1], bytes[offset + 2], bytes[offset + 3]].join('.');
}

function v6Text(bytes: number[]): string {
  const words: string[] = [];
  for (let i = 0; i < 16; i += 2) words.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return words.join(':');
}

function classifyV4(address: string): string | null {
  for (const [network, prefix, reason] of v4Blocked) {
    const list = new BlockList();
    list.addSubnet(network, prefix, 'ipv4');
    if (list.check(address, 'ipv4')) return reason;
  }
  return null;
}

/**
 * Why an address is blocked (`"loopback"`, `"private"`…), or null when it is public. Accepts any
 * spelling of an IP; a string that is no IP at all is blocked as `"unparseable"`.
 */
export function blockedAddressReason(text: string): string | null {
  const v4 = text.includes(':') ? null : parseIPv4(text);
  if (v4) return classifyV4(v4Text(v4));
  const v6 = parseIPv6(text);
  if (!v6) return 'unparseable';
  const isZero = (from: number, to: number) => v6.slice(from, to).every((b) => b === 0);
  // Forms that carry an IPv4 address: judge the IPv4 address.
  if (isZero(0, 10) && v6[10] === 0xff && v6[11] === 0xff) return classifyV4(v4Text(v6, 12)); // ::ffff:a.b.c.d
  if (isZero(0, 12) && !isZero(12, 14)) return classifyV4(v4Text(v6, 12)); // ::a.b.c.d (deprecated)
  if (v6[0] === 0 && v6[1] === 0x64 && v6[2] === 0xff && v6[3] === 0x9b && isZero(4, 12))
    return classifyV4(v4Text(v6, 12)); // 64:ff9b::a.b.c.d (NAT64)
  if (v6[0] === 0x20 && v6[1] === 0x02) return classifyV4(v4Text(v6, 2)); // 2002:AABB:CCDD:: (6to4)
  const text6 = v6Text(v6);
  for (const [network, prefix, reason] of v6Blocked) {
    const list = new BlockList();
    list.addSubnet(network, prefix, 'ipv6');
    if (list.check(text6, 'ipv6')) return reason;
  }
  // Only global unicast (2000::/3) is routable on the internet.
  if ((v6[0]! & 0xe0) !== 0x20) return 'reserved';
  return null;
}

/** The canonical text of an IP literal (`0x7f.1` → `127.0.0.1`), or null for a host name. */
export function normalizeIpLiteral(host: string): string | null {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (bare.includes(':')) {
    const v6 = parseIPv6(bare);
    return v6 ? v6Text(v6) : null;
  }
  // A name whose last label is numeric is an IPv4 literal to URL parsers (and so to us).
  if (
    !/^[0-9a-fx.]+$/i.test(bare) ||
    !/^(0x[0-9a-f]*|[0-9]+)$/i.test(bare.split('.').filter(Boolean).pop() ?? '')
  )
    return null;
  const v4 = parseIPv4(bare);
  return v4 ? v4Text(v4) : null;
}

export interface AddressPolicy {
  allowPrivateNetworks?: boolean | undefined;
  allowedPrivateRanges?: readonly string[] | undefined;
}

/** Builds the check for one policy: throws `BlockedAddressError` for an address it refuses. */
export function createAddressCheck(policy: AddressPolicy): (host: string, address: string) => void {
  if (policy.allowPrivateNetworks) return () => {};
  const allowed = new BlockList();
  for (const range of policy.allowedPrivateRanges ?? []) {
    const [network = '', prefixText] = range.split('/');
    const family = network.includes(':') ? 'ipv6' : 'ipv4';
    const prefix = prefixText === undefined ? (family === 'ipv6' ? 128 : 32) : Number(prefixText);
    allowed.addSubnet(network, prefix, family);
  }
  return (host, address) => {
    const reason = blockedAddressReason(address);
    if (reason === null) return;
    const canonical = normalizeIpLiteral(address) ?? address;
    const family = canonical.includes(':') ? 'ipv6' : 'ipv4';
    if (reason !== 'unparseable' && allowed.check(canonical, family)) return;
    throw new BlockedAddressError(host, canonical, reason);
  };
}

export type HostResolver = (hostname: string) => Promise<ResolvedAddress[]>;

export const systemResolver: HostResolver = async (hostname) => {
  const found = await dnsLookup(hostname, { all: true, verbatim: true });
  return found.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
};

/**
 * A `lookup` for `http.request`/`net.connect`: resolves with `resolver`, refuses the whole name if
 * any address is blocked (a name that points anywhere private is not one to trust), and gives the
 * socket exactly the addresses it checked.
 */
export function createGuardedLookup(
  check: (host: string, address: string) => void,
  resolver: HostResolver = systemResolver,
): LookupFunction {
  return (hostname, options, callback) => {
    resolver(hostname).then(
      (addresses) => {
        try {
          if (addresses.length === 0) throw new NodeError('dns_error', `${hostname} did not resolve`);
          for (const a of addresses) check(hostname, a.address);
          const wanted = options.family === 4 || options.family === 6 ? options.family : undefined;
          const usable = wanted ? addresses.filter((a) => a.family === wanted) : addresses;
          if (usable.length === 0)
            throw new NodeError('dns_error', `${hostname} has no IPv${wanted} address`);
          if (options.all) callback(null, usable);
          else callback(null, usable[0]!.address, usable[0]!.family);
        } catch (err) {
          callback(err as NodeJS.ErrnoException, '', 0);
        }
      },
      (err: unknown) => {
        const message = err instanceof Error ? err.message : String(err);
        callback(
          new NodeError('dns_error', `could not resolve ${hostname}: ${message}`) as NodeJS.ErrnoException,
          '',
          0,
        );
      },
    );
  };
}
