// Closing undici dispatchers at the end of a command without formatting a stack trace.
// undici's close() waits for the requests in flight, then destroys each connection with a new
// ClientDestroyedError. Node reads the stack of every error a stream is destroyed with
// (`checkError` in its stream destruction), and formatting the first stack that has a frame in
// a script makes V8 index the lines of that whole script: for the CLI's 1.35 MB bundle that cost
// every registry command ~3 ms at its end, ~15 M instructions of it the line index alone
// (docs/design.md, "A command's end"). A dispatcher with nothing in flight is therefore destroyed
// with the same error made without frames, which is the step close() would take next; one with
// requests in flight is closed as before, so that they finish.
import type { Agent, Pool } from "./undici-agent.js";
import { ClientDestroyedError } from "./undici-agent.js";

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
