/** A failed call: its error code first (what to search the docs for), then the message. */
import { isRefusal } from "../api";
import type { WireError } from "../types";

/** Props of an error box. */
export interface ErrorBoxProps {
  status: number | undefined;
  error: WireError;
  /** What failed, in words ("Registering"). */
  what: string;
  /** Say that the admin token is needed when refused. */
  admin?: boolean;
}

/** Shows a refused or failed call. */
export function ErrorBox({ status, error, what, admin }: ErrorBoxProps) {
  const refused =
    status !== undefined ? isRefusal(status) : /UNAUTHORIZED|FORBIDDEN/.test(error.code);
  return (
    <div class="error-box" role="alert">
      <p>
        <span class="error-label">{what} failed</span>
        {status ? <span class="status">HTTP {status}</span> : null}
        <code class="error-code">{error.code}</code>
      </p>
      {error.message && <p class="error-message">{error.message}</p>}
      {error.code === "FORBIDDEN_ORIGIN" ? (
        // From the console's own origin this means the gateway has no admin token: no token
        // typed here can help, the gateway must be started with one.
        <p class="hint">
          The gateway takes admin calls from its pages only when it has an admin token: start it
          with <code>--admin-token</code> (<code>adminToken</code> in code), then type that token in
          the token field at the top.
        </p>
      ) : (
        refused && (
          <p class="hint">
            {admin
              ? "This needs the gateway's admin token: enter it in the token field at the top."
              : "Enter the gateway's caller or admin token in the token field at the top."}
          </p>
        )
      )}
    </div>
  );
}
