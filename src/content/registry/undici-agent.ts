// undici's Agent with its request API (and its TLS connector), loaded without the rest of the
// package, and the Pool and Client that multiplexing.ts builds its pools from (the Agent loads
// them anyway). undici's entry point also loads fetch, WebSocket, the cache and the mocks, which
// cost every CLI start about 90 ms of compile time. undici is pinned to an exact version in
// package.json because these paths are not part of its public API.
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
