#!/usr/bin/env node
// The published entry point: the compiled CLI. In a source checkout, build first (npm run build).
import { main } from "../dist/src/cli/main.js";

process.exitCode = await main(process.argv.slice(2));
