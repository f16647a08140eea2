/**
 * Portico: typed microservices and the gateway that joins them. The public API, in one place.
 */
export { task } from "./contract/task.js";
export type {
  AnyTask,
  InferHandlerInput,
  InferHandlerOutput,
  InferInput,
  InferOutput,
  Task,
  TaskDefinition,
  TaskRecord,
} from "./contract/task.js";
export { ENDPOINT_NAME_PATTERN } from "./contract/endpoint.js";
export type { EndpointDescriptor, HttpMethod, JsonSchema } from "./contract/endpoint.js";
export { builtinTasks, ServiceStatus } from "./contract/builtins.js";

export { Service } from "./service/service.js";
export type { ClientOf, ServiceClass, ServiceOptions } from "./service/service.js";
export type {
  EndpointOptions,
  Handler,
  HandlerContext,
  HandlerResult,
} from "./service/endpoint.js";
export { JsonText } from "./service/json-text.js";
export type { ServeOptions, ServedService } from "./service/serve.js";
export type { RegistrationInfo, SelfRegistrationOptions } from "./service/self-registration.js";
export { LOG_LEVELS } from "./observe/log-options.js";
export type { LogLevel } from "./observe/log-options.js";

export { connect } from "./client/connect.js";
export type { ConnectOptions, ConnectTasksOptions } from "./client/connect.js";
export { isDown, probeHeartbeat } from "./client/probe.js";
export type { ProbeOptions, ProbeResult } from "./client/probe.js";
export { ConnectionManager } from "./client/connection-manager.js";
export type { ClientInit, ManagedProcess, ShutdownOptions } from "./client/connection-manager.js";
export { createDiscoveredClient, createServiceClient } from "./client/create-client.js";
export type { CallOptions, TransportOptions } from "./client/transport.js";
export type { EndpointMethod, EndpointMethods, ServiceClient, TasksOf } from "./client/types.js";

export type { LaunchOptions } from "./launcher/launch.js";

export { Gateway } from "./gateway/gateway.js";
export type { GatewayOptions, RegisterOptions } from "./gateway/gateway.js";
export type { HealthOptions } from "./gateway/upstream/health.js";
export type { InstanceHealth, PassiveOptions } from "./gateway/upstream/instance.js";
export type { BalanceStrategy } from "./gateway/upstream/balancer.js";
export type {
  GatewayChange,
  GatewayClient,
  GatewayClientMembers,
  RegisterAppOptions,
} from "./gateway/gateway-client.js";
export type { AppCallOptions, AppClient, AppClientMembers } from "./gateway/app-client.js";
export { APP_NAME_PATTERN, RESERVED_APP_NAMES, isValidAppName } from "./gateway/app-name.js";
export { gatewayTasks } from "./gateway/tasks.js";
export type {
  AppInfo,
  AppKind,
  AppStatsReply,
  InstanceInfo,
  RegisteredApp,
} from "./gateway/tasks.js";
export type { FeedFollower, FeedListener } from "./gateway/state/feed-follower.js";
export { SseParser } from "./gateway/client/event-stream.js";
export type { ServerEvent } from "./gateway/client/event-stream.js";

export { MemoryFeedRegistry as MemoryRegistry } from "./registry/memory/memory-registry.js";
export { createRegistry } from "./registry/create-registry.js";
export type {
  AppRecord,
  Change,
  ChangeRequest,
  FeedEvent,
  Registry,
  Snapshot,
  Ticket,
} from "./registry/registry.js";

export {
  ERROR_CODES,
  PorticoError,
  AlreadyRunningError,
  AppNotRegisteredError,
  BadRequestError,
  DefinitionError,
  EndpointNotFoundError,
  InternalError,
  InvalidAppNameError,
  InvalidAppUrlError,
  InvalidOptionsError,
  LaunchError,
  LaunchTimeoutError,
  MethodNotAllowedError,
  OutputValidationError,
  PayloadTooLargeError,
  RemoteError,
  ToolError,
  RequestAbortedError,
  RequestTimeoutError,
  ResponseInvalidError,
  ServiceStoppingError,
  ServiceUnavailableError,
  ShutdownTimeoutError,
  UnsupportedMediaTypeError,
  UpstreamTimeoutError,
  UpstreamUnreachableError,
  ValidationError,
  UnauthorizedError,
  ForbiddenError,
  ForbiddenHostError,
  ForbiddenOriginError,
  UpstreamNotAllowedError,
  RequestTooSlowError,
  RateLimitedError,
  HeadersTooLargeError,
  DiscoveryTooLargeError,
  UpstreamBusyError,
  NoHealthyInstanceError,
  InstanceMismatchError,
  OpenApiInvalidError,
  LoopDetectedError,
  ConsoleNotBuiltError,
  WorkersUnavailableError,
  RegistryUnavailableError,
  InsecureBindError,
  errorFromWire,
  isErrorCode,
} from "./errors.js";
export type { ErrorClass, ErrorCode, ErrorSpec, ValidationIssue, WireErrorBody } from "./errors.js";
