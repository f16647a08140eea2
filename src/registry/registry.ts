/**
 * The Registry: the gateway's state as a revisioned change feed (see `change-feed.ts`). This
 * module names the public types.
 */
export type {
  AppRecord,
  Change,
  ChangeFeedRegistry as Registry,
  ChangeRequest,
  ExpiredLease,
  FeedEvent,
  Snapshot,
  StoredApp,
  Ticket,
} from "./change-feed.js";
