// HTTP/2 for clients that only read metadata (select, check, inspect, ls, affinity, fleet,
// webhook). Over HTTP/1.1 every request in flight needs a connection of its own: a warm select's
// parallel presence checks each wait for a TCP and a TLS handshake before their own round trip.
// Over HTTP/2 they share the first connection. undici offers HTTP/2 (`allowH2`), but its pool
// treats a connection as full once it carries `pipelining` requests (default 1), whatever the
// protocol, and a higher `pipelining` would apply to HTTP/1.1 connections too, which stay at one
// request at a time (pipelining is fragile through proxies, and one slow answer would hold up
// what is queued behind it). So each connection's limit is set when it is made, from the
// protocol the server chose in the TLS handshake (ALPN): HTTP/2 carries up to
// STREAMS_PER_CONNECTION requests, HTTP/1.1 one, exactly as without this module.
//
// Not for clients that write or download blobs: undici sends a request with a streamed body (a
// blob upload) on an HTTP/2 connection only when nothing else is in flight there, and its
// default flow-control windows (256 KiB a stream, 512 KiB a connection) cap a download at one
// window per round trip.
import type { Agent as UndiciAgent, buildConnector } from "undici";
import { Client, Pool } from "./undici-agent.js";

/** Requests one HTTP/2 connection carries at once: the registry stack's own concurrency. */
export const STREAMS_PER_CONNECTION = 16;

type ClientOptions = ConstructorParameters<typeof Client>[1];

/**
 * undici Agent options: connections on which the server chose HTTP/2 carry several requests.
 * HTTP/2 itself is offered in the TLS handshake by the connector (connector.ts, `allowH2`).
 */
export function multiplexingOptions(): UndiciAgent.Options {
  return {
    factory: (origin, options) =>
      new Pool(origin, {
        ...(options as ClientOptions),
        factory: (poolOrigin, clientOptions) =>
          multiplexingClient(poolOrigin, clientOptions as ClientOptions),
      }),
  };
}

function multiplexingClient(origin: string | URL, options: ClientOptions): Client {
  const connect = options?.connect as buildConnector.connector;
  let protocol: string | false | null | undefined;
  const client = new Client(origin, {
    ...options,
    connect: (params, callback) =>
      connect(params, (...result) => {
        const socket = result[1];
        protocol = socket != null && "alpnProtocol" in socket ? socket.alpnProtocol : undefined;
        callback(...result);
      }),
  });
  // Emitted once the connection's protocol is set up, before any request is sent on it.
  client.on("connect", () => {
    client.pipelining = protocol === "h2" ? STREAMS_PER_CONNECTION : 1;
  });
  return client;
}
