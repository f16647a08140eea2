/**
 * The SSRF guard's address rule as a pure function: the default list (loopback and the private
 * ranges), the never-unless-named ranges (link-local, metadata, unspecified), explicit entries,
 * and `check` over an injected resolver. No traffic: nothing here opens a socket.
 */
import { describe, expect, it } from "vitest";
import { UpstreamNotAllowedError } from "../../src/errors.js";
import { DEFAULT_ALLOWED_UPSTREAMS, UpstreamGuard } from "../../src/gateway/upstream/guard.js";
import type { UpstreamResolver } from "../../src/gateway/upstream/guard.js";
import { expectRejects } from "../helpers/expect-error.js";

describe("UpstreamGuard.allowsAddress with the default list", () => {
  const guard = new UpstreamGuard();

  it.each([
    "169.254.169.254",
    "169.254.0.1",
    "::ffff:169.254.169.254",
    "fe80::1",
    "fd00:ec2::254",
    "0.0.0.0",
    "::",
    "8.8.8.8",
    "2001:4860:4860::8888",
    "172.32.0.1",
    "192.169.0.1",
    "11.0.0.1",
  ])("refuses %s", (address) => {
    expect(guard.allowsAddress(address)).toBe(false);
  });

  it.each([
    "10.1.2.3",
    "192.168.1.1",
    "172.16.0.1",
    "172.31.255.255",
    "fc00::1",
    "fd12:3456::1",
    "127.0.0.1",
    "127.0.0.2",
    "::1",
    "::ffff:127.0.0.1",
  ])("allows %s", (address) => {
    expect(guard.allowsAddress(address)).toBe(true);
  });
});

describe("UpstreamGuard.allowsAddress with explicit entries", () => {
  it("169.254.169.254/32 allows exactly that address", () => {
    const guard = new UpstreamGuard({ allowed: ["169.254.169.254/32"] });
    expect(guard.allowsAddress("169.254.169.254")).toBe(true);
    for (const address of ["169.254.169.253", "169.254.0.1", "fe80::1", "127.0.0.1", "10.1.2.3"]) {
      expect(guard.allowsAddress(address), address).toBe(false);
    }
  });

  it("next to the defaults, it unlocks that address and no other link-local one", () => {
    const guard = new UpstreamGuard({
      allowed: [...DEFAULT_ALLOWED_UPSTREAMS, "169.254.169.254/32"],
    });
    expect(guard.allowsAddress("169.254.169.254")).toBe(true);
    expect(guard.allowsAddress("10.1.2.3")).toBe(true);
    for (const address of ["169.254.169.253", "fe80::1", "fd00:ec2::254", "0.0.0.0"]) {
      expect(guard.allowsAddress(address), address).toBe(false);
    }
  });

  it("a range that merely contains the never-allowed ones does not unlock them", () => {
    for (const allowed of [["0.0.0.0/0", "::/0"], ["::/64"], ["::/96", "0.0.0.0/1"]]) {
      const guard = new UpstreamGuard({ allowed });
      const addresses = ["169.254.169.254", "::ffff:169.254.169.254", "fe80::1", "fd00:ec2::254"];
      for (const address of [...addresses, "0.0.0.0", "::"]) {
        expect(guard.allowsAddress(address), `${address} with ${allowed.join(",")}`).toBe(false);
      }
    }
    expect(new UpstreamGuard({ allowed: ["0.0.0.0/0"] }).allowsAddress("8.8.8.8")).toBe(true);
  });

  it("127.0.0.1/32 alone refuses the rest of loopback and the private ranges", () => {
    const guard = new UpstreamGuard({ allowed: ["127.0.0.1/32"] });
    expect(guard.allowsAddress("127.0.0.1")).toBe(true);
    for (const address of ["127.0.0.2", "::1", "10.1.2.3", "192.168.1.1"]) {
      expect(guard.allowsAddress(address), address).toBe(false);
    }
  });
});

describe("UpstreamGuard.check over an injected resolver", () => {
  const table: Record<string, string[]> = {
    "one.test": ["127.0.0.1"],
    "two.test": ["127.0.0.2"],
    "both.test": ["127.0.0.1", "127.0.0.2"],
    "none.test": [],
  };
  const resolver: UpstreamResolver = (hostname) =>
    Promise.resolve((table[hostname] ?? []).map((address) => ({ address, family: 4 as const })));
  const guard = new UpstreamGuard({ allowed: ["127.0.0.1/32"], resolver });

  it("allows a name whose every address is allowed, and a literal allowed address", async () => {
    await expect(guard.check("one.test")).resolves.toBeUndefined();
    await expect(guard.check("127.0.0.1")).resolves.toBeUndefined();
  });

  it.each(["two.test", "both.test", "none.test", "127.0.0.2", "[::1]"])(
    "refuses %s with UPSTREAM_NOT_ALLOWED",
    async (host) => {
      await expectRejects(guard.check(host), UpstreamNotAllowedError, "UPSTREAM_NOT_ALLOWED");
    },
  );
});
