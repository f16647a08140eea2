/**
 * Addresses, in one place: loopback tests, `Host` header parsing and address lists (CIDRs) on
 * node's `BlockList`. Used by the access policy and by the upstream guard.
 */
import { BlockList, isIP } from "node:net";
import { InvalidOptionsError } from "../errors.js";

/** `[::1]` -> `::1`; `::ffff:127.0.0.1` -> `127.0.0.1` (an IPv4 peer on a dual-stack socket). */
export function plainAddress(address: string): string {
  let plain = address.startsWith("[") && address.endsWith("]") ? address.slice(1, -1) : address;
  if (plain.startsWith("::ffff:") && isIP(plain.slice(7)) === 4) plain = plain.slice(7);
  return plain.toLowerCase();
}

/** True for 127.0.0.0/8 and ::1 (in any of their spellings). */
export function isLoopbackAddress(address: string): boolean {
  const plain = plainAddress(address);
  const family = isIP(plain);
  if (family === 4) return plain.startsWith("127.");
  return family === 6 && LOOPBACK_V6.check(plain, "ipv6");
}

const LOOPBACK_V6 = new BlockList();
LOOPBACK_V6.addAddress("::1", "ipv6");

/** True for loopback addresses and `localhost` names (RFC 6761: `*.localhost` too). */
export function isLoopbackHost(host: string): boolean {
  const name = host.toLowerCase();
  return name === "localhost" || name.endsWith(".localhost") || isLoopbackAddress(name);
}

/** The host of a `Host` header without its port: `[::1]:80` -> `::1`, `a.b:8080` -> `a.b`. */
export function hostOfHeader(header: string): string {
  if (header.startsWith("[")) {
    const end = header.indexOf("]");
    return end === -1 ? header.toLowerCase() : header.slice(1, end).toLowerCase();
  }
  const colon = header.indexOf(":");
  return (colon === -1 ? header : header.slice(0, colon)).toLowerCase();
}

/** A parsed list of addresses and CIDRs, plus the host names it names (lower case). */
export interface AddressList {
  readonly blocks: BlockList;
  readonly names: ReadonlySet<string>;
  /** The entries as given, for messages. */
  readonly entries: readonly string[];
}

/**
 * Parses entries such as `10.0.0.0/8`, `::1`, `fd00::/8` or `api.internal` (a host name;
 * `*.internal` matches its subdomains). Throws INVALID_OPTIONS on a malformed CIDR.
 */
export function parseAddressList(entries: readonly string[], what: string): AddressList {
  const blocks = new BlockList();
  const names = new Set<string>();
  for (const raw of entries) {
    const entry = raw.trim();
    if (entry === "") continue;
    const [base = "", prefixText] = entry.split("/");
    const address = plainAddress(base);
    const family = isIP(address);
    if (family === 0) {
      if (prefixText !== undefined || !/^(\*\.)?[a-z0-9.-]+$/i.test(entry)) {
        throw new InvalidOptionsError(
          `${what}: ${JSON.stringify(entry)} is not an address, CIDR or host name`,
        );
      }
      names.add(entry.toLowerCase());
      continue;
    }
    const type = family === 4 ? "ipv4" : "ipv6";
    if (prefixText === undefined) {
      blocks.addAddress(address, type);
      continue;
    }
    const prefix = /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
    if (!(prefix >= 0 && prefix <= (family === 4 ? 32 : 128))) {
      throw new InvalidOptionsError(
        `${what}: ${JSON.stringify(entry)} has an invalid prefix length`,
      );
    }
    blocks.addSubnet(address, prefix, type);
  }
  return { blocks, names, entries: [...entries] };
}

/** True when `address` (an IP) is in the list's blocks. */
export function listHasAddress(list: AddressList, address: string): boolean {
  const plain = plainAddress(address);
  const family = isIP(plain);
  if (family === 0) return false;
  return list.blocks.check(plain, family === 4 ? "ipv4" : "ipv6");
}

/** True when `host` (a name) is named by the list, exactly or by a `*.` suffix entry. */
export function listHasName(list: AddressList, host: string): boolean {
  const name = host.toLowerCase();
  if (list.names.has(name)) return true;
  for (const entry of list.names) {
    if (entry.startsWith("*.") && name.endsWith(entry.slice(1))) return true;
  }
  return false;
}

/**
 * True for an IP address or a syntactically valid DNS name: labels of letters, digits and
 * hyphens (1 to 63 characters, no hyphen at either end), 253 characters at most, one trailing dot
 * allowed. A name whose last label is a number (`0.0.0.0.0`, `1.2.3`, `0x7f`) is refused: the
 * system resolver would read it as a mangled IPv4 address, or fail with ENOTFOUND.
 */
export function isValidListenHost(host: string): boolean {
  if (isIP(host) !== 0) return true;
  const name = host.endsWith(".") ? host.slice(0, -1) : host;
  if (name.length === 0 || name.length > 253) return false;
  const labels = name.split(".");
  if (!labels.every((label) => DNS_LABEL.test(label))) return false;
  return !NUMERIC_LABEL.test(labels[labels.length - 1] ?? "");
}

const DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;
const NUMERIC_LABEL = /^(?:\d+|0x[0-9a-f]*)$/i;
