/**
 * The path rule of forwarded requests: what could leave an app's base path on some upstream is
 * refused before anything is sent.
 */

/**
 * True when a path (query excluded) could leave the app's base path on some upstream: a `.` or
 * `..` segment once percent-decoded, an encoded `/` or `\` (nginx decodes `%2F`), a literal `\`
 * (some servers read it as `/`), a `#`, a NUL (`%00`: some servers cut the path there), or
 * percent-encoding that does not decode. A segment's `;parameters` are ignored first, and a
 * segment that still holds `%` once decoded is checked decoded once more (`%252e%252e`), for
 * chains of a proxy and an app that each decode.
 */
export function unsafePath(path: string): boolean {
  const encoded = path.includes("%");
  if (!encoded && !path.includes("/.") && !path.includes("\\") && !path.includes("#")) {
    return false;
  }
  // A `#` is no part of a request target (RFC 9112 §3.2); an upstream may cut the path there.
  if (path.includes("#")) return true;
  if (encoded && /%(?:2f|5c)/i.test(path)) return true;
  if (path.includes("\\")) return true;
  for (const segment of path.split("/")) {
    if (unsafeSegment(segment, encoded ? 2 : 0)) return true;
  }
  return false;
}

/** One segment, decoded up to `decodes` times while it still holds `%`. */
function unsafeSegment(segment: string, decodes: number): boolean {
  let decoded = segment;
  if (decodes > 0 && segment.includes("%")) {
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      return decodes === 2; // undecodable as sent: refused; after one decode it is just text
    }
    if (decoded.includes("\0") || /[/\\]/.test(decoded)) return true;
  }
  // `..;x` is `..` to servers that read `;` as a parameter separator (Tomcat, Jetty).
  const name = decoded.includes(";") ? decoded.slice(0, decoded.indexOf(";")) : decoded;
  if (name === "." || name === "..") return true;
  return decoded !== segment && unsafeSegment(decoded, decodes - 1);
}

/** The first non-empty path segment of `rest` (`/x/y?q` -> `x`), decoded, in lower case. */
export function firstSegment(rest: string): string {
  let start = 0;
  while (rest.charCodeAt(start) === 47) start++;
  let end = start;
  while (end < rest.length && rest.charCodeAt(end) !== 47 && rest.charCodeAt(end) !== 63) end++;
  return decodeSafe(rest.slice(start, end)).toLowerCase();
}

export function decodeSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
