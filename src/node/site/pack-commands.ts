// Label packs' discovery commands: a community label may name a program whose trimmed stdout is
// the node's fact, read as the label's type. Run without a shell, with the label's time limit.
import type { LabelDefinition } from "../../compat/label-definition.js";
import type { Fact } from "../../compat/label-types.js";
import { commandFailure, runCommand } from "../run-command.js";
import { factFromText } from "./typed-fact.js";

export async function runDiscoveryCommand(
  def: LabelDefinition,
  defaultTimeoutMs: number,
  root: string,
  note: (message: string) => void,
): Promise<Fact | undefined> {
  const discovery = def.discovery;
  if (discovery === undefined) return undefined;
  const timeoutMs = discovery.timeoutMs ?? defaultTimeoutMs;
  const result = await runCommand(discovery.command, {
    timeoutMs,
    env: { ...process.env, OCICOMPAT_ROOT: root },
  });
  const command = discovery.command.join(" ");
  const failure = commandFailure(result, timeoutMs);
  if (failure !== undefined) {
    note(`${command} ${failure}`);
    return undefined;
  }
  const text = result.stdout.trim();
  if (text === "") {
    note(`${command} printed nothing`);
    return undefined;
  }
  const read = factFromText(def.type, text);
  if ("problem" in read) {
    note(`${command}: output ${read.problem} (${def.name} is a ${def.type} label)`);
    return undefined;
  }
  return read.fact;
}
