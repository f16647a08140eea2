/**
 * Sample services (`portico/samples`); their contracts alone are `portico/samples/contract`.
 */
export { EchoService } from "./echo-service.js";
export { echoTask, echoTasks } from "./contract.js";
