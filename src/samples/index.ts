/**
 * Sample services (`portico/samples`).
 */
export { EchoService, echoTask } from "./echo-service.js";
