import { describe, expect, it } from "vitest";
import { serviceWorkerScope } from "../../src/gateway/forward/headers.js";

describe("serviceWorkerScope: the widest scope an app's service worker may claim", () => {
  it("is the app's own path, whatever the script's URL under it", () => {
    expect(serviceWorkerScope("/app/sw.js")).toBe("/app/");
    expect(serviceWorkerScope("/app/deep/er/sw.js?v=1")).toBe("/app/");
    // Scripts whose folder is `/`: a browser would grant the whole origin without the header.
    expect(serviceWorkerScope("/app")).toBe("/app/");
    expect(serviceWorkerScope("/app?sw")).toBe("/app/");
    expect(serviceWorkerScope("/app?next=/other/x")).toBe("/app/");
  });
});
