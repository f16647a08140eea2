/**
 * What the API reference page adds to swagger-ui: its settings, a logo that names the service,
 * and a small script that asks for the caller token when the document needs one (the token stays
 * in the tab's memory, never in storage).
 */

/** swagger-ui's settings (serialised into its initializer script by @fastify/swagger-ui). */
export const UI_CONFIG = {
  deepLinking: true,
  tryItOutEnabled: true,
  displayRequestDuration: true,
  docExpansion: "list",
  defaultModelsExpandDepth: 0,
  // swagger-ui would send every document to validator.swagger.io for its badge.
  validatorUrl: null,
  persistAuthorization: false,
  // The functions are sent as their source text: they may use nothing but the page's globals.
  requestInterceptor: function (request: unknown): unknown {
    const docs = (globalThis as unknown as PageGlobals).porticoDocs;
    return docs ? docs.request(request) : request;
  },
  responseInterceptor: function (response: unknown): unknown {
    const docs = (globalThis as unknown as PageGlobals).porticoDocs;
    return docs ? docs.response(response) : response;
  },
  // Replacing the plugin list keeps swagger-ui's own (it loads the document) and adds one that
  // hands the page script the UI, to load the document again once a token is entered.
  plugins: [
    function DownloadUrl(system: unknown): unknown {
      return (globalThis as unknown as PageGlobals).SwaggerUIBundle.plugins.DownloadUrl(system);
    },
    function PorticoDocs(system: unknown): unknown {
      (globalThis as unknown as PageGlobals).porticoDocs?.attach(system);
      return {};
    },
  ],
};

/** The page's globals the settings' functions reach. */
interface PageGlobals {
  SwaggerUIBundle: { plugins: { DownloadUrl(system: unknown): unknown } };
  porticoDocs?: {
    attach(system: unknown): void;
    request(request: unknown): unknown;
    response(response: unknown): unknown;
  };
}

/**
 * The page script (`/docs/static/theme/portico-docs.js`): when the document answers 401 it shows
 * a token form above the reference; the token then goes with the document's request and every
 * "Try it out" call that carries no Authorization of its own (swagger's Authorize sets one).
 */
export const PAGE_SCRIPT = `"use strict";
(function () {
  var token;
  var system;
  function isDocument(url) {
    return /\\/json$/.test(new URL(url, location.href).pathname);
  }
  function ask() {
    if (document.getElementById("portico-token")) return;
    var form = document.createElement("form");
    form.id = "portico-token";
    form.className = "portico-token";
    var label = document.createElement("label");
    label.htmlFor = "portico-token-input";
    label.textContent = "This service needs its caller token to show its API. Token:";
    var input = document.createElement("input");
    input.id = "portico-token-input";
    input.type = "password";
    input.autocomplete = "off";
    input.required = true;
    var button = document.createElement("button");
    button.type = "submit";
    button.textContent = "Show the API";
    form.append(label, input, button);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      token = input.value.trim();
      form.remove();
      if (system) system.specActions.download();
    });
    var root = document.getElementById("swagger-ui");
    root.parentNode.insertBefore(form, root);
    input.focus();
  }
  window.porticoDocs = {
    attach: function (s) { system = s; },
    request: function (request) {
      var headers = request.headers || (request.headers = {});
      if (token && !headers.Authorization && !headers.authorization) {
        headers.Authorization = "Bearer " + token;
      }
      return request;
    },
    response: function (response) {
      if (response.status === 401 && isDocument(response.url)) ask();
      return response;
    },
  };
})();
`;

/**
 * Styles of the token form. The "Explore" box goes (it would load other documents), and so does
 * the server choice: there is one, the page's own (the band stays when it holds "Authorize").
 */
export const PAGE_STYLE = `.swagger-ui .topbar .download-url-wrapper { display: none; }
.swagger-ui .scheme-container .servers-title, .swagger-ui .scheme-container .servers { display: none; }
.swagger-ui .scheme-container:not(:has(.auth-wrapper)) { display: none; }
.portico-token { font-family: sans-serif; max-width: 1460px; margin: 1rem auto; padding: 0 20px;
  display: flex; gap: .5rem; align-items: center; flex-wrap: wrap; }
.portico-token input { padding: .4rem; min-width: 16rem; }
.portico-token button { padding: .4rem .8rem; }
`;

/**
 * The page's Content-Security-Policy: its own assets only, nothing fetched from anywhere else.
 * Styles allow inline ones: swagger-ui applies some at run time (scripts stay strictly 'self').
 */
export const PAGE_CSP =
  "default-src 'self'; base-uri 'self'; connect-src 'self'; img-src 'self' data:; " +
  "object-src 'none'; script-src 'self'; script-src-attr 'none'; style-src 'self' 'unsafe-inline'; " +
  "font-src 'self' data:; frame-ancestors 'self'; form-action 'self'";

/** An SVG logo showing `title` (swagger-ui's top bar is dark: white text). */
export function titleLogo(title: string): { type: string; content: string } {
  const text = title.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);
  const width = Math.max(40, Math.ceil(title.length * 16) + 8);
  return {
    type: "image/svg+xml",
    content:
      `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="40" viewBox="0 0 ${width} 40">` +
      `<text x="0" y="28" font-family="sans-serif" font-size="24" font-weight="700" fill="#fff">${text}</text></svg>`,
  };
}
