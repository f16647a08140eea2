/**
 * What the launcher needs of a service class and its instances, said structurally: the launcher
 * never imports the Service class (which hands `launch()` over to it), so there is no import circle.
 */
import type { ServiceOptions } from "../service/options.js";
import type { ServeOptions, ServedService } from "../service/serve.js";

/** A service instance as a launched process runs it. */
export interface ServableService {
  serve(options?: ServeOptions): Promise<ServedService>;
  /** Called when the service's `shutdown` endpoint is called. */
  onShutdownRequest(hook: () => void): void;
}

/** A service class the launcher can start in a child process. */
export interface LaunchableClass {
  new (options?: ServiceOptions): ServableService;
  readonly name: string;
  /** URL of the module exporting the class (`static moduleUrl = import.meta.url`). */
  readonly moduleUrl?: string | undefined;
  /** Gateways need a shared registry to run several workers. */
  readonly isGateway: boolean;
}
