// No hangs: the header deadline, the minimum transfer rate of bodies, and cancellation through
// an AbortSignal, against in-test servers that misbehave on purpose (distribution 2.8 cannot be
// made to trickle, stall or lie about Content-Length). Tests that could hang carry a test timeout
// as a guard; none asserts how long anything took.
import assert from "node:assert/strict";
import type { IncomingMessage, ServerResponse } from "node:http";
import { after, before, beforeEach, describe, test } from "node:test";
import {
  RegistryClient,
  type RegistryClientOptions,
} from "../../../src/content/registry/client.js";
import { createRegistryStore, type RegistryStore } from "../../../src/content/registry/store.js";
import { createStoreOpener } from "../../../src/content/open.js";
import { MediaType } from "../../../src/oci/media-types.js";
import { parseReference } from "../../../src/oci/reference.js";
import { OcicompatError } from "../../../src/oci/errors.js";
import {
  content,
  FakeRegistry,
  fastRetry,
  image,
  randomBytes,
  readStream,
  requestLog,
  startServer,
  type TestServer,
} from "./helpers.js";

const GUARD = { timeout: 20_000 };
const fake = new FakeRegistry();
let server: TestServer;
const { log, onRequest } = requestLog();
const blob = content(MediaType.ImageLayerGzip, randomBytes(4000, 3));
const big = content(MediaType.ImageLayerGzip, randomBytes(16 * 1024 * 1024, 4));
const img = image("arm64");
const timers = new Set<NodeJS.Timeout>();

before(async () => {
  server = await startServer(fake.handler);
  fake.blobs.set(blob.desc.digest, Buffer.from(blob.bytes));
  fake.blobs.set(big.desc.digest, Buffer.from(big.bytes));
  fake.manifests.set(img.manifest.desc.digest, {
    mediaType: MediaType.ImageManifest,
    bytes: Buffer.from(img.manifest.bytes),
  });
  fake.tags.set("v1", img.manifest.desc.digest);
});

after(async () => {
  await server?.close();
});

beforeEach(() => {
  fake.intercept = undefined;
  log.length = 0;
  for (const t of timers) clearInterval(t);
  timers.clear();
});

/** A store on its own client (closed by `use`), with a fast floor unless told otherwise. */
async function use<T>(
  options: Partial<RegistryClientOptions>,
  work: (store: RegistryStore) => Promise<T>,
): Promise<T> {
  const client = new RegistryClient({
    registry: server.host,
    onRequest,
    retry: fastRetry,
    transferFloor: { minBytesPerSecond: 200, windowMs: 500 },
    ...options,
  });
  try {
    return await work(createRegistryStore({ repository: "team/app", client }));
  } finally {
    await client.close();
  }
}

/** Writes `bytes` `step` bytes at a time, every `everyMs`, then leaves the socket open. */
function trickle(res: ServerResponse, bytes: Uint8Array, step: number, everyMs: number): void {
  let at = 0;
  const timer = setInterval(() => {
    if (res.destroyed || at >= bytes.byteLength) {
      clearInterval(timer);
      return;
    }
    res.write(bytes.subarray(at, at + step));
    at += step;
  }, everyMs);
  timers.add(timer);
}

const blobGets = () => log.filter((l) => l.startsWith("GET") && l.includes("/blobs/")).length;

function answers(match: (req: IncomingMessage) => boolean, answer: (res: ServerResponse) => void) {
  fake.intercept = (req, res) => {
    if (!match(req)) return false;
    answer(res);
    return true;
  };
}

const isBlob = (req: IncomingMessage) =>
  req.method === "GET" && (req.url ?? "").includes(`/blobs/${blob.desc.digest}`);

describe("(in-test server: slow and lying bodies) the transfer floor", () => {
  test(
    "a body that trickles a byte at a time fails with TIMEOUT, without resuming (an in-test server that trickles its body)",
    GUARD,
    async () => {
      answers(isBlob, (res) => {
        res.writeHead(200, { "content-length": String(blob.desc.size), "accept-ranges": "bytes" });
        trickle(res, blob.bytes, 1, 50);
      });
      await use({}, async (store) => {
        await assert.rejects(readStream(await store.fetch(blob.desc)), (err: OcicompatError) => {
          assert.equal(err.code, "TIMEOUT");
          assert.match(
            err.message,
            /^the GET stalled: \d+ bytes arrived in the last [\d.]+ s, below the minimum rate of 200 bytes\/s$/,
          );
          assert.equal(err.subject, `http://${server.host}/v2/team/app/blobs/${blob.desc.digest}`);
          return true;
        });
      });
      assert.equal(blobGets(), 1);
    },
  );

  test(
    "the opener passes its transfer floor to the clients it makes (an in-test server that trickles its body)",
    GUARD,
    async () => {
      answers(isBlob, (res) => {
        res.writeHead(200, { "content-length": String(blob.desc.size) });
        trickle(res, blob.bytes, 1, 50);
      });
      const opener = createStoreOpener({
        transferFloor: { minBytesPerSecond: 200, windowMs: 500 },
      });
      try {
        const { store } = await opener.open(parseReference(`${server.host}/team/app`));
        await assert.rejects(readStream(await store.fetch(blob.desc)), { code: "TIMEOUT" });
      } finally {
        await opener.close();
      }
    },
  );

  test(
    "a short Content-Length with the socket kept open fails with TIMEOUT (an in-test server that promises more than it sends)",
    GUARD,
    async () => {
      answers(isBlob, (res) => {
        res.writeHead(200, { "content-length": String(blob.desc.size), "accept-ranges": "bytes" });
        res.write(blob.bytes.subarray(0, 1000));
      });
      await use({}, async (store) => {
        await assert.rejects(readStream(await store.fetch(blob.desc)), { code: "TIMEOUT" });
      });
    },
  );

  test(
    "a manifest whose body stalls fails with TIMEOUT too (an in-test server that promises more than it sends)",
    GUARD,
    async () => {
      answers(
        (req) => req.method === "GET" && (req.url ?? "").includes("/manifests/v1"),
        (res) => {
          res.writeHead(200, {
            "content-type": MediaType.ImageManifest,
            "content-length": String(img.manifest.bytes.byteLength),
          });
          res.write(img.manifest.bytes.subarray(0, 10));
        },
      );
      await use({}, async (store) => {
        await assert.rejects(store.getManifest("v1"), { code: "TIMEOUT" });
      });
    },
  );

  test(
    "a short pause inside a healthy stream does not trip the floor (an in-test server that pauses)",
    GUARD,
    async () => {
      answers(isBlob, (res) => {
        res.writeHead(200, { "content-length": String(blob.desc.size) });
        res.write(blob.bytes.subarray(0, 2000));
        const timer = setTimeout(() => res.end(blob.bytes.subarray(2000)), 300);
        timers.add(timer);
      });
      const bytes = await use(
        { transferFloor: { minBytesPerSecond: 1000, windowMs: 1000 } },
        async (store) => readStream(await store.fetch(blob.desc)),
      );
      assert.equal(bytes.byteLength, blob.desc.size);
    },
  );

  test("a reader that holds the stream back is not blamed on the server", GUARD, async () => {
    const bytes = await use({}, async (store) => {
      const stream = (await store.fetch(big.desc))[Symbol.asyncIterator]();
      const first = await stream.next();
      // Longer than the window: the body is paused (its buffer is full), so this time is the reader's.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const rest: Uint8Array[] = [first.value as Uint8Array];
      for (let step = await stream.next(); !step.done; step = await stream.next())
        rest.push(step.value);
      return Buffer.concat(rest);
    });
    assert.equal(bytes.byteLength, big.desc.size);
  });

  test(
    "headers that trickle in still meet the header deadline: TIMEOUT (an in-test server that trickles its headers)",
    GUARD,
    async () => {
      fake.intercept = (req) => {
        if (!(req.method === "GET" && (req.url ?? "").includes("/manifests/v1"))) return false;
        const head = Buffer.from("HTTP/1.1 200 OK\r\nx-slow: " + "a".repeat(200));
        let at = 0;
        const timer = setInterval(() => {
          if (req.socket.destroyed || at >= head.byteLength) return clearInterval(timer);
          req.socket.write(head.subarray(at, at + 1));
          at++;
        }, 20);
        timers.add(timer);
        return true;
      };
      await use({ headersTimeoutMs: 400, retry: { maxAttempts: 1 } }, async (store) => {
        await assert.rejects(store.getManifest("v1"), {
          code: "TIMEOUT",
          message: /no answer in time \(headers timeout\)/,
        });
      });
    },
  );
});

describe("(in-test server: slow and silent) cancellation through options.signal", () => {
  const reason = () => new OcicompatError("TIMEOUT", "gave up (the test's deadline)");

  test("every store method refuses an aborted signal with its reason, and sends nothing", async () => {
    const controller = new AbortController();
    const why = reason();
    controller.abort(why);
    const signal = controller.signal;
    await use({}, async (store) => {
      const calls: [string, () => Promise<unknown>][] = [
        ["resolve", () => store.resolve("v1", { signal })],
        ["getManifest", () => store.getManifest("v1", { signal })],
        ["fetch", () => store.fetch(blob.desc, { signal })],
        ["exists", () => store.exists(blob.desc, { signal })],
        ["push", () => store.push(blob.desc, blob.bytes, { signal })],
        ["tag", () => store.tag(img.manifest.desc, "v2", { signal })],
        ["listTags", () => store.listTags({ signal })],
        ["referrers", () => store.referrers(img.manifest.desc, undefined, { signal })],
        ["mount", () => store.mount(blob.desc, "team/other", { signal })],
        ["delete", () => store.delete(blob.desc, { signal })],
      ];
      for (const [name, call] of calls) {
        await assert.rejects(call(), (err) => err === why, name);
      }
    });
    assert.deepEqual(log, []);
  });

  test("a plain abort() rejects with CANCELLED", async () => {
    const controller = new AbortController();
    controller.abort();
    await use({}, async (store) => {
      await assert.rejects(store.resolve("v1", { signal: controller.signal }), {
        code: "CANCELLED",
      });
    });
  });

  test(
    "aborting while the answer is awaited cuts the request, and the server sees the connection close",
    GUARD,
    async () => {
      let closed!: () => void;
      const socketClosed = new Promise<void>((resolve) => (closed = resolve));
      fake.intercept = (req) => {
        if (!(req.url ?? "").includes("/manifests/v1")) return false;
        req.socket.once("close", () => closed());
        controller.abort(why);
        return true; // never answers
      };
      const controller = new AbortController();
      const why = reason();
      await use({ headersTimeoutMs: 60_000 }, async (store) => {
        await assert.rejects(
          store.resolve("v1", { signal: controller.signal }),
          (err) => err === why,
        );
      });
      await socketClosed;
    },
  );

  test("aborting during a Retry-After wait stops the wait: one attempt only", GUARD, async () => {
    const controller = new AbortController();
    const why = reason();
    fake.intercept = (req, res) => {
      if (!(req.url ?? "").includes("/manifests/v1")) return false;
      res.writeHead(503, { "retry-after": "3600" });
      res.end();
      setTimeout(() => controller.abort(why), 50);
      return true;
    };
    await use({ retry: { maxRetryAfterMs: 3_600_000, totalTimeMs: 7_200_000 } }, async (store) => {
      await assert.rejects(
        store.getManifest("v1", { signal: controller.signal }),
        (err) => err === why,
      );
    });
    assert.equal(log.length, 1);
  });

  test(
    "aborting cuts a stream fetch returned, mid-body, with the signal's reason",
    GUARD,
    async () => {
      let closed!: () => void;
      const socketClosed = new Promise<void>((resolve) => (closed = resolve));
      answers(isBlob, (res) => {
        res.socket?.once("close", () => closed());
        res.writeHead(200, { "content-length": String(blob.desc.size) });
        res.write(blob.bytes.subarray(0, 1000));
      });
      const controller = new AbortController();
      const why = reason();
      await use({ transferFloor: { minBytesPerSecond: 0 } }, async (store) => {
        const stream = (await store.fetch(blob.desc, { signal: controller.signal }))[
          Symbol.asyncIterator
        ]();
        await stream.next();
        controller.abort(why);
        await assert.rejects(
          (async () => {
            for (let s = await stream.next(); !s.done; s = await stream.next());
          })(),
          (err) => err === why,
        );
      });
      await socketClosed;
    },
  );

  test(
    "aborting a chunked upload midway cancels its session and stores nothing",
    GUARD,
    async () => {
      const controller = new AbortController();
      const why = reason();
      let patches = 0;
      fake.intercept = (req) => {
        if (req.method === "PATCH" && ++patches === 2) controller.abort(why);
        return false;
      };
      const upload = content(MediaType.ImageLayerGzip, randomBytes(64 * 1024, 8));
      async function* pieces(): AsyncIterable<Uint8Array> {
        for (let at = 0; at < upload.bytes.byteLength; at += 4096)
          yield upload.bytes.subarray(at, at + 4096);
      }
      await use({}, async (store) => {
        const chunked = createRegistryStore({
          repository: "team/app",
          client: store.client,
          chunkSize: 8192,
        });
        await assert.rejects(
          chunked.push(upload.desc, pieces(), { signal: controller.signal }),
          (err) => err === why,
        );
      });
      assert.equal(fake.blobs.has(upload.desc.digest), false);
      assert.ok(patches < 8, `all ${patches} chunks were sent`);
    },
  );
});
