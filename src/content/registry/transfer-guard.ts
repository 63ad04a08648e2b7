// A floor under the speed of every response body. undici's own body timeout counts only silence,
// so a server that sends one byte every few seconds (or promises a Content-Length it never
// delivers, and keeps the socket open) would hold a command forever. This interceptor counts the
// bytes that arrive and aborts the request with TIMEOUT when, over a sliding window, fewer arrive
// than the minimum rate asks for.
//
// Only time in which the network could have delivered counts: while the reader holds the stream
// back (undici paused it because its buffer is full), the window starts afresh, so a slow
// consumer (a slow destination of a copy) is never blamed on the server. A short pause on a
// healthy stream does not trip the floor either: what counts is the total over the window.
import type { Dispatcher } from "undici";
import { OcicompatError } from "../../oci/errors.js";
import { redactUrl } from "./errors.js";

export interface TransferFloor {
  /** Fewer bytes per second than this, over `windowMs`, fail the transfer. 0 turns it off. */
  minBytesPerSecond: number;
  /** The sliding window over which the rate is measured. */
  windowMs: number;
}

export const DEFAULT_TRANSFER_FLOOR: Readonly<TransferFloor> = {
  minBytesPerSecond: 1024,
  windowMs: 30_000,
};

/** How often the window is checked, as a fraction of it. */
const CHECKS_PER_WINDOW = 5;

interface Sample {
  at: number;
  bytes: number;
}

/** The undici interceptor that applies `floor` to every response body. */
export function transferFloorInterceptor(
  floor: TransferFloor,
): Dispatcher.DispatcherComposeInterceptor {
  return (dispatch) => (opts, handler) =>
    floor.minBytesPerSecond > 0 && floor.windowMs > 0
      ? dispatch(opts, new FloorHandler(handler, floor, describeRequest(opts)))
      : dispatch(opts, handler);
}

/** The method, and the URL (query values redacted) that the error's subject names. */
function describeRequest(opts: Dispatcher.DispatchOptions): { method: string; url: string } {
  const origin = typeof opts.origin === "string" ? opts.origin : (opts.origin?.toString() ?? "");
  return { method: String(opts.method), url: redactUrl(`${origin}${opts.path}`) };
}

class FloorHandler implements Dispatcher.DispatchHandler {
  private samples: Sample[] = [];
  private received = 0;
  private paused = false;
  private timer: NodeJS.Timeout | undefined;
  private controller: Dispatcher.DispatchController | undefined;
  private view: Dispatcher.DispatchController | undefined;

  constructor(
    private readonly inner: Dispatcher.DispatchHandler,
    private readonly floor: TransferFloor,
    private readonly request: { method: string; url: string },
  ) {}

  /** The controller the inner handler sees: its pause() and resume() are noted on the way. */
  private viewOf(controller: Dispatcher.DispatchController): Dispatcher.DispatchController {
    if (this.view !== undefined && this.controller === controller) return this.view;
    this.controller = controller;
    const pause = (): void => {
      this.paused = true;
      controller.pause();
    };
    const resume = (): void => {
      // Readers call resume() on every read; only the end of a pause starts a new window.
      if (this.paused) {
        this.paused = false;
        this.restart();
      }
      controller.resume();
    };
    this.view = {
      get aborted() {
        return controller.aborted;
      },
      get paused() {
        return controller.paused;
      },
      get reason() {
        return controller.reason;
      },
      abort: (reason) => controller.abort(reason),
      pause,
      resume,
    };
    return this.view;
  }

  onRequestStart(controller: Dispatcher.DispatchController, context: unknown): void {
    this.inner.onRequestStart?.(this.viewOf(controller), context);
  }

  onRequestUpgrade(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Parameters<NonNullable<Dispatcher.DispatchHandler["onRequestUpgrade"]>>[2],
    socket: Parameters<NonNullable<Dispatcher.DispatchHandler["onRequestUpgrade"]>>[3],
  ): void {
    this.inner.onRequestUpgrade?.(this.viewOf(controller), statusCode, headers, socket);
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Parameters<NonNullable<Dispatcher.DispatchHandler["onResponseStart"]>>[2],
    statusMessage?: string,
  ): void {
    // 1xx answers come before the real one; the body starts after the last.
    if (statusCode >= 200) this.start(controller);
    this.inner.onResponseStart?.(this.viewOf(controller), statusCode, headers, statusMessage);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.received += chunk.byteLength;
    this.inner.onResponseData?.(this.viewOf(controller), chunk);
  }

  onResponseEnd(
    controller: Dispatcher.DispatchController,
    trailers: Parameters<NonNullable<Dispatcher.DispatchHandler["onResponseEnd"]>>[1],
  ): void {
    this.stop();
    this.inner.onResponseEnd?.(this.viewOf(controller), trailers);
  }

  onResponseError(controller: Dispatcher.DispatchController, error: Error): void {
    this.stop();
    this.inner.onResponseError?.(this.viewOf(controller), error);
  }

  private start(controller: Dispatcher.DispatchController): void {
    if (this.timer !== undefined) return;
    this.restart();
    this.timer = setInterval(
      () => this.check(controller),
      Math.max(1, Math.round(this.floor.windowMs / CHECKS_PER_WINDOW)),
    );
    // The socket keeps the process alive while the transfer runs; the check must not.
    this.timer.unref();
  }

  private stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  private restart(): void {
    this.samples = [{ at: Date.now(), bytes: this.received }];
  }

  private check(controller: Dispatcher.DispatchController): void {
    if (this.paused || controller.paused) {
      this.restart();
      return;
    }
    const now = Date.now();
    this.samples.push({ at: now, bytes: this.received });
    // The newest sample at least a window old is where the window starts; older ones go.
    let start = -1;
    for (let i = this.samples.length - 1; i >= 0; i--) {
      if (now - (this.samples[i] as Sample).at >= this.floor.windowMs) {
        start = i;
        break;
      }
    }
    if (start < 0) return;
    this.samples = this.samples.slice(start);
    const from = this.samples[0] as Sample;
    const seconds = (now - from.at) / 1000;
    const bytes = this.received - from.bytes;
    if (bytes >= this.floor.minBytesPerSecond * seconds) return;
    this.stop();
    controller.abort(
      new OcicompatError(
        "TIMEOUT",
        `the ${this.request.method} stalled: ${bytes} bytes arrived in the last ${formatSeconds(seconds)}, below the minimum rate of ${this.floor.minBytesPerSecond} bytes/s`,
        { subject: this.request.url },
      ),
    );
  }
}

function formatSeconds(seconds: number): string {
  return `${seconds >= 10 ? Math.round(seconds) : seconds.toFixed(1)} s`;
}
