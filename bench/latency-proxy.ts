// A TCP relay that delivers every chunk, both ways, a fixed time after it arrived: a link with a
// round-trip time of twice that, for comparing tools on something closer to a real network than
// loopback. Bench only: it adds latency, not bandwidth limits or loss.
import { connect, createServer, type AddressInfo, type Socket } from "node:net";

export interface LatencyProxy {
  /** `127.0.0.1:PORT` */
  host: string;
  close(): Promise<void>;
}

function relay(from: Socket, to: Socket, delayMs: number): void {
  from.on("data", (chunk: Buffer) => setTimeout(() => to.write(chunk), delayMs));
  from.on("end", () => setTimeout(() => to.end(), delayMs));
  from.on("error", () => to.destroy());
  from.on("close", () => setTimeout(() => to.destroy(), delayMs));
}

/** Listens on 127.0.0.1 and relays to `target` (`host:port`), `delayMs` late each way. */
export async function startLatencyProxy(target: string, delayMs: number): Promise<LatencyProxy> {
  const colon = target.lastIndexOf(":");
  const [targetHost, targetPort] = [target.slice(0, colon), Number(target.slice(colon + 1))];
  const sockets = new Set<Socket>();
  const track = (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  };
  // Without TCP_NODELAY, Nagle's algorithm would hold small writes for the peer's delayed ACK
  // (tens of ms): latency of the relay's own making, which no real link adds.
  const server = createServer({ noDelay: true }, (client) => {
    const upstream = connect({ port: targetPort, host: targetHost, noDelay: true });
    track(client);
    track(upstream);
    relay(client, upstream, delayMs);
    relay(upstream, client, delayMs);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    host: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
