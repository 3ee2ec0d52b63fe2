/**
 * A webhook's IP allowlist: CIDR blocks (IPv4 or IPv6; a bare address means that one address).
 * Matching uses `node:net`'s BlockList, which also matches IPv4-mapped IPv6 addresses
 * (`::ffff:10.0.0.1`) against IPv4 blocks. The client address is Fastify's `request.ip`, which
 * honours X-Forwarded-For only when TRUST_PROXY is on — never the raw header, which anyone can set.
 */
import { BlockList, isIP } from 'node:net';

export interface ParsedCidr {
  address: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

/** Parses `10.0.0.0/8`, `2001:db8::/32` or a bare address; returns the problem as a string. */
export function parseCidr(text: string): ParsedCidr | string {
  const trimmed = text.trim();
  const [address = '', prefixText, extra] = trimmed.split('/');
  if (extra !== undefined) return 'not a CIDR block (like 203.0.113.0/24 or 2001:db8::/32)';
  const version = isIP(address);
  if (version === 0) return `"${address}" is not an IPv4 or IPv6 address`;
  const max = version === 4 ? 32 : 128;
  let prefix = max;
  if (prefixText !== undefined) {
    if (!/^\d{1,3}$/.test(prefixText)) return `prefix length must be a number from 0 to ${max}`;
    prefix = Number(prefixText);
    if (prefix > max) return `prefix length must be a number from 0 to ${max}`;
  }
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

/** The problems of an allowlist, by index (`ipAllowlist[1]`), for validation messages. */
export function allowlistIssues(cidrs: readonly string[], path = 'ipAllowlist') {
  const issues: Array<{ path: string; message: string }> = [];
  cidrs.forEach((cidr, i) => {
    const parsed = parseCidr(cidr);
    if (typeof parsed === 'string') issues.push({ path: `${path}[${i}]`, message: parsed });
  });
  return issues;
}

/** Whether `ip` may call a webhook with this allowlist (empty: anyone; unparsable entries match nothing). */
export function isIpAllowed(ip: string, cidrs: readonly string[]): boolean {
  if (cidrs.length === 0) return true;
  const version = isIP(ip);
  if (version === 0) return false;
  const list = new BlockList();
  for (const cidr of cidrs) {
    const parsed = parseCidr(cidr);
    if (typeof parsed !== 'string') list.addSubnet(parsed.address, parsed.prefix, parsed.family);
  }
  if (list.check(ip, version === 4 ? 'ipv4' : 'ipv6')) return true;
  // `::ffff:a.b.c.d` (IPv4 on a dual-stack socket) is checked as the IPv4 address it carries too.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  return mapped ? list.check(mapped[1]!, 'ipv4') : false;
}
