/**
 * The SSRF guard: which addresses the gateway may connect to. Checked on the resolved address
 * when a registration comes in and again at connect time (a guarded `lookup`, and a check of
 * literal IPs, inside the one connector every upstream pool uses), so a name that resolves
 * somewhere else later cannot slip through.
 */
import { lookup as dnsLookup } from "node:dns/promises";
import type { LookupAddress } from "node:dns";
import { isIP } from "node:net";
import type { LookupFunction } from "node:net";
import { UpstreamNotAllowedError, UpstreamUnreachableError } from "../../errors.js";
import { clipText } from "../../net/url.js";
import { listHasAddress, listHasName, parseAddressList, plainAddress } from "../../net/address.js";
import type { AddressList } from "../../net/address.js";

/** One resolved address of a host name. */
export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Resolves a host name to its addresses (default: the system resolver, `dns.lookup`). */
export type UpstreamResolver = (hostname: string) => Promise<ResolvedAddress[]>;

/** Loopback and the private ranges: where apps live unless `allowedUpstreams` says otherwise. */
export const DEFAULT_ALLOWED_UPSTREAMS: readonly string[] = [
  "127.0.0.0/8",
  "::1/128",
  "10.0.0.0/8",
  "172.16.0.0/12",
  "192.168.0.0/16",
  "fc00::/7",
];

/**
 * Never allowed unless an `allowedUpstreams` entry lies inside them: link-local (cloud metadata
 * lives at 169.254.169.254), the AWS IPv6 metadata address, and the unspecified addresses (which
 * reach this very machine on every interface).
 */
const NEVER_UNLESS_NAMED = parseAddressList(
  ["169.254.0.0/16", "fe80::/10", "fd00:ec2::254/128", "0.0.0.0/32", "::/128"],
  "built-in deny list",
);

const systemResolver: UpstreamResolver = async (hostname) =>
  (await dnsLookup(hostname, { all: true, verbatim: true })).map((a) => ({
    address: a.address,
    family: a.family === 6 ? 6 : 4,
  }));

/** Options of the guard. */
export interface UpstreamGuardOptions {
  /** CIDRs, addresses and host names (default: `DEFAULT_ALLOWED_UPSTREAMS`). */
  allowed?: readonly string[];
  resolver?: UpstreamResolver;
}

/** Decides whether an upstream address may be reached. */
export class UpstreamGuard {
  readonly resolver: UpstreamResolver;
  private readonly allowed: AddressList;
  /** Entries that name a never-allowed range themselves: the operator asked for it. */
  private readonly named: AddressList;

  constructor(options: UpstreamGuardOptions = {}) {
    const entries = options.allowed ?? DEFAULT_ALLOWED_UPSTREAMS;
    this.allowed = parseAddressList(entries, "allowedUpstreams");
    this.named = parseAddressList(entries.filter(namesDeniedRange), "allowedUpstreams");
    this.resolver = options.resolver ?? systemResolver;
  }

  /** True when a connection to this IP address is allowed. */
  allowsAddress(address: string, hostname?: string): boolean {
    const plain = plainAddress(address);
    const deniedUnlessNamed = listHasAddress(NEVER_UNLESS_NAMED, plain);
    if (deniedUnlessNamed) return listHasAddress(this.named, plain);
    if (hostname !== undefined && listHasName(this.allowed, hostname)) return true;
    return listHasAddress(this.allowed, plain);
  }

  /**
   * Resolves `hostname` and throws UPSTREAM_NOT_ALLOWED unless every address it resolves to is
   * allowed (one bad address could be picked at connect time).
   */
  async check(hostname: string): Promise<void> {
    const host = plainAddress(hostname);
    let addresses: string[];
    try {
      addresses = (await this.resolve(host)).map((entry) => entry.address);
    } catch (cause) {
      throw new UpstreamUnreachableError(
        `Cannot resolve ${clipText(host)}: ${(cause as Error).message}`,
        {
          cause,
          data: { host: clipText(host), cause: (cause as { code?: string }).code },
        },
      );
    }
    const refused = addresses.find((address) => !this.allowsAddress(address, host));
    if (refused !== undefined || addresses.length === 0) {
      throw this.refusal(host, refused);
    }
  }

  /** The error for a refused host (and the address that made it so). */
  refusal(hostname: string, address?: string): UpstreamNotAllowedError {
    const at = address && address !== hostname ? ` (${address})` : "";
    return new UpstreamNotAllowedError(
      `Upstream ${hostname}${at} is not in allowedUpstreams (${this.allowed.entries.join(", ")})`,
      { data: { host: hostname, address: address ?? null } },
    );
  }

  /** A `net.connect` lookup that only ever yields allowed addresses. */
  readonly lookup: LookupFunction = (hostname, options, callback) => {
    this.resolve(hostname).then(
      (all) => {
        const ok = all.filter((entry) => this.allowsAddress(entry.address, hostname));
        if (ok.length === 0) {
          const error = Object.assign(this.refusal(hostname, all[0]?.address), {
            code: "UPSTREAM_NOT_ALLOWED" as const,
          });
          return callback(error, "", 0);
        }
        if (options.all) {
          const list: LookupAddress[] = ok.map((e) => ({ address: e.address, family: e.family }));
          return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, list);
        }
        const first =
          (options.family ? ok.find((e) => e.family === options.family) : ok[0]) ?? ok[0]!;
        callback(null, first.address, first.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, "", 0),
    );
  };

  private async resolve(hostname: string): Promise<ResolvedAddress[]> {
    if (isIP(hostname)) return [{ address: hostname, family: isIP(hostname) === 6 ? 6 : 4 }];
    return this.resolver(hostname);
  }
}

/** The never-allowed ranges, one list each, to tell whether an entry lies inside one. */
const DENIED_RANGES = [
  "169.254.0.0/16",
  "fe80::/10",
  "fd00:ec2::254/128",
  "0.0.0.0/32",
  "::/128",
].map((range) => ({
  prefix: Number(range.split("/")[1]),
  family: isIP(range.split("/")[0] ?? ""),
  list: parseAddressList([range], "built-in deny list"),
}));

/**
 * True when a CIDR or address entry lies within a never-allowed range: at least as narrow as
 * that range and starting inside it (`169.254.169.254/32` names the metadata address; `::/64`
 * or `0.0.0.0/0` name nothing, though they contain a denied range).
 */
function namesDeniedRange(entry: string): boolean {
  const [base = "", prefixText] = entry.trim().split("/");
  const address = plainAddress(base);
  const family = isIP(address);
  if (family === 0) return false;
  const prefix = prefixText === undefined ? (family === 4 ? 32 : 128) : Number(prefixText);
  return DENIED_RANGES.some(
    (range) =>
      range.family === family && prefix >= range.prefix && listHasAddress(range.list, address),
  );
}
