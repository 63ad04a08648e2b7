// The undici files undici-agent.ts loads directly; their real types are undici's own.
declare module "undici/lib/api/index.js" {
  const api: Record<string, unknown>;
  export default api;
}
declare module "undici/lib/dispatcher/agent.js" {
  const Agent: new (...args: never[]) => unknown;
  export default Agent;
}
declare module "undici/lib/dispatcher/dispatcher.js" {
  const Dispatcher: { prototype: object };
  export default Dispatcher;
}
declare module "undici/lib/core/connect.js" {
  const buildConnector: (...args: never[]) => unknown;
  export default buildConnector;
}
declare module "undici/lib/dispatcher/client.js" {
  const Client: new (...args: never[]) => unknown;
  export default Client;
}
declare module "undici/lib/dispatcher/pool.js" {
  const Pool: new (...args: never[]) => unknown;
  export default Pool;
}
declare module "undici/lib/core/errors.js" {
  const errors: Record<string, unknown>;
  export default errors;
}
