// undici's Agent with its request API (and its TLS connector), loaded without the rest of the
// package, and the Pool and Client that multiplexing.ts builds its pools from (the Agent loads
// them anyway). undici's entry point also loads fetch, WebSocket, the cache and the mocks, which
// cost every CLI start about 90 ms of compile time. undici is pinned to an exact version in
// package.json because these paths are not part of its public API. Below: how a dispatcher is
// closed at the end of a command.
import type {
  Agent as UndiciAgent,
  buildConnector as undiciBuildConnector,
  Client as UndiciClient,
  errors as undiciErrors,
  Pool as UndiciPool,
} from "undici";
import api from "undici/lib/api/index.js";
import buildConnectorImpl from "undici/lib/core/connect.js";
import errorsImpl from "undici/lib/core/errors.js";
import AgentImpl from "undici/lib/dispatcher/agent.js";
import ClientImpl from "undici/lib/dispatcher/client.js";
import PoolImpl from "undici/lib/dispatcher/pool.js";
import DispatcherImpl from "undici/lib/dispatcher/dispatcher.js";

// The same step undici's index.js takes; repeating it is harmless when both are loaded.
Object.assign(DispatcherImpl.prototype, api);

export const Agent = AgentImpl as typeof UndiciAgent;
export type Agent = UndiciAgent;

export const Pool = PoolImpl as typeof UndiciPool;
export type Pool = UndiciPool;
export const Client = ClientImpl as typeof UndiciClient;
export type Client = UndiciClient;

export const buildConnector = buildConnectorImpl as typeof undiciBuildConnector;

export const ClientDestroyedError = (errorsImpl as unknown as typeof undiciErrors)
  .ClientDestroyedError;

// Closing a dispatcher at the end of a command, without formatting a stack trace.
// undici's close() waits for the requests in flight, then destroys each connection with a new
// ClientDestroyedError. Node reads the stack of every error a stream is destroyed with
// (`checkError` in its stream destruction), and formatting the first stack that has a frame in
// a script makes V8 index the lines of that whole script: for the CLI's 1.35 MB bundle that cost
// every registry command ~3 ms at its end, ~15 M instructions of it the line index alone
// (docs/design.md, "A command's end"). A dispatcher with nothing in flight is therefore destroyed
// with the same error made without frames, which is the step close() would take next; one with
// requests in flight is closed as before, so that they finish.

/** undici's ClientDestroyedError, without stack frames: its stack formats as one line. */
export function framelessDestroyedError(): Error {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new ClientDestroyedError();
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** Whether an Agent or a Pool has no request queued, pending or running. */
export function isIdle(dispatcher: Agent | Pool): boolean {
  const stats = dispatcher.stats;
  if ("size" in stats && typeof stats.size === "number") return stats.size === 0;
  return Object.values(stats as Agent["stats"]).every((origin) => origin.size === 0);
}

/** Closes `dispatcher`: destroyed at once when idle, else closed once its requests end. */
export async function closeDispatcher(dispatcher: Agent | Pool): Promise<void> {
  if (isIdle(dispatcher)) await dispatcher.destroy(framelessDestroyedError());
  else await dispatcher.close();
}
