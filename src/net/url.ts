/**
 * URL parsing, in one place: clients, app registration, listen addresses and the command line
 * all accept "an absolute http(s) URL" by this one rule and differ only in the error they throw.
 */

/** Makes the error a caller throws for a refused URL. */
export type UrlErrorFactory = (message: string, cause?: unknown) => Error;

/**
 * Parses `text` as an absolute URL whose scheme is one of `protocols` (http and https by
 * default). Messages never repeat the URL's credentials and clip what they quote.
 */
export function parseHttpUrl(
  text: string,
  fail: UrlErrorFactory,
  protocols: readonly string[] = ["http:", "https:"],
): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch (cause) {
    throw fail(
      `Invalid URL ${JSON.stringify(clipText(redactUrlText(text)))}: expected e.g. http://127.0.0.1:8080`,
      cause,
    );
  }
  if (!protocols.includes(url.protocol)) {
    const names = protocols.map((p) => p.slice(0, -1)).join(" or ");
    throw fail(`URL must use ${names}, not ${url.protocol.slice(0, -1)}`);
  }
  return url;
}

/** The URL without credentials, query or fragment, for messages. */
export function safeUrlText(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}

/** URL text with any `user:password@` replaced by `***@`: safe to quote, parseable or not. */
export function redactUrlText(text: string): string {
  return text.replace(/\/\/[^/?#]*@/, "//***@");
}

/** Clips text quoted in an error: a megabyte of input must not come back in the reply. */
export function clipText(text: string, max = 100): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
