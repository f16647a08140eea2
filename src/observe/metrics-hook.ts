/** The fastify hook that counts an endpoint route's replies (src/service/http-app.ts adds it). */
import type { onResponseHookHandler } from "fastify";
import type { RequestCounts } from "./metrics-counts.js";

/** An `onResponse` hook counting each reply's status and time into `counts`. */
export function countReplies(counts: RequestCounts): onResponseHookHandler {
  return (_request, reply, done) => {
    counts.observe(reply.statusCode, reply.elapsedTime / 1000);
    done();
  };
}
