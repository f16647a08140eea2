// Tokens for a secured Portico gateway (the portico-secured contender and npm run soak) and the
// startup check that proves the gateway enforces them, so that a "secured" figure can never come
// from an open gateway: a forwarded call or a registration without a token must get 401, a
// wrong token must be refused, and a foreign Host must get 403 even with the right token.
import { randomBytes } from "node:crypto";
import http from "node:http";

/** Fresh random tokens: { adminToken, callToken } (hex, never written to the results). */
export function newTokens() {
  return {
    adminToken: randomBytes(24).toString("hex"),
    callToken: randomBytes(24).toString("hex"),
  };
}

/** The environment of a secured gateway process: tokens in env vars, never on its command line. */
export function securedEnv({ adminToken, callToken }) {
  const env = { ...process.env, PORTICO_ADMIN_TOKEN: adminToken, PORTICO_CALL_TOKEN: callToken };
  delete env.PORTICO_TOKEN;
  return env;
}

/** The headers a caller of the secured gateway sends. */
export const callerHeaders = ({ callToken }) => ({ authorization: `Bearer ${callToken}` });

/** One POST with node:http (which, unlike fetch, lets us set Host): { status, text }. */
function post(url, headers, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: "POST", headers, timeout: 5000 }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d) => (text = (text + d).slice(0, 2000)));
      res.on("end", () => resolve({ status: res.statusCode, text }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`POST ${url}: no answer within 5 s`)));
    req.on("error", reject);
    req.end(body);
  });
}

/**
 * Probe a secured gateway at `origin` (forwarded path `path`, backend at `backendUrl`); throws
 * unless every probe is refused as it should be.
 */
export async function checkSecured({ origin, path, body, backendUrl, tokens }) {
  const json = { "content-type": "application/json" };
  const bearer = (token) => ({ ...json, authorization: `Bearer ${token}` });
  const { host } = new URL(origin);
  const register = JSON.stringify({ name: "bench-probe", url: backendUrl });
  const probes = [
    ["forwarded call without a token", path, json, body, [401]],
    ["forwarded call with a wrong token", path, bearer("wrong"), body, [401, 403]],
    [
      "forwarded call with Host: evil.example",
      path,
      { ...bearer(tokens.callToken), host: "evil.example" },
      body,
      [403],
    ],
    ["register_app without a token", "/register_app", json, register, [401]],
    [
      "register_app with the caller token",
      "/register_app",
      bearer(tokens.callToken),
      register,
      [401, 403],
    ],
  ];
  const failures = [];
  for (const [what, target, headers, payload, expected] of probes) {
    const res = await post(`${origin}${target}`, { host, ...headers }, payload);
    if (!expected.includes(res.status)) {
      failures.push(
        `${what}: ${res.status} (want ${expected.join(" or ")}) ${res.text.slice(0, 160)}`,
      );
    }
  }
  if (failures.length > 0) {
    throw new Error(
      `the secured gateway does not enforce its tokens/Host check:\n  ${failures.join("\n  ")}`,
    );
  }
  return probes.length;
}
