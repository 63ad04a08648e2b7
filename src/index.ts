// The ocicompat library API. Everything here is typed and free of CLI concerns. The names are
// listed in src/api/, one module per part, so that no module grows past 400 lines.
export { VERSION } from "./version.js";
export * from "./api/documents.js";
export * from "./api/content.js";
export * from "./api/operations.js";
