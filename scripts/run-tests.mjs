// Runs every test/**/*.test.ts file with Node's own test runner (Node 20 has no glob for --test).
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

function collect(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "fixtures" ? [] : collect(path);
    return entry.name.endsWith(".test.ts") ? [path] : [];
  });
}

const filter = process.argv.slice(2);
const files = collect("test")
  .filter((f) => filter.length === 0 || filter.some((part) => f.includes(part)))
  .sort();
if (files.length === 0) {
  console.error("run-tests: no test files matched");
  process.exit(2);
}
// Registry clients honour the proxy variables (src/content/registry/proxy-env.ts). The tests set
// them where they test proxies; one set on the machine (for npm and apt) must not send the other
// tests' made-up host names to it. A registries.conf named in the environment is dropped for
// the same reason; the tests that read one name their own.
const env = { ...process.env };
for (const name of ["HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY", "ALL_PROXY"]) {
  delete env[name];
  delete env[name.toLowerCase()];
}
delete env.CONTAINERS_REGISTRIES_CONF;
// The CLI runs the tests start keep their V8 code cache (bin/ocicompat.js) in a directory of this
// run, not in the user's ~/.cache: each build of a working tree would leave a set there.
const codeCache = mkdtempSync(join(tmpdir(), "ocicompat-test-code-"));
env.OCICOMPAT_CODE_CACHE_DIR = codeCache;
let result;
try {
  result = spawnSync(
    process.execPath,
    ["--import", "tsx", "--test", "--test-reporter=spec", ...files],
    { stdio: "inherit", env },
  );
} finally {
  rmSync(codeCache, { recursive: true, force: true });
}
process.exit(result.status ?? 2);
