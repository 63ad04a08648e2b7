// Asking the person at the terminal, as `podman login` and `docker login` do: the question on
// standard error (standard output stays the command's own), a password read without echo. Only
// on a terminal; scripts give flags or standard input instead, and are never left waiting.
import { OcicompatError } from "../oci/errors.js";

/** Whether someone can be asked: standard input and standard error are both a terminal. */
export function canPrompt(
  streams: { stdin: { isTTY?: boolean }; stderr: { isTTY?: boolean } } = process,
): boolean {
  return streams.stdin.isTTY === true && streams.stderr.isTTY === true;
}

/** One line from the terminal; `silent` for a password. Ctrl-C is CANCELLED. */
export async function promptLine(
  question: string,
  options: { silent?: boolean } = {},
): Promise<string> {
  // npm's own prompt reader, loaded only when someone is asked (docs/dependencies.md).
  const { read } = await import("read");
  let answer: string;
  try {
    answer = await read({
      prompt: question,
      input: process.stdin,
      output: process.stderr,
      ...(options.silent === true ? { silent: true, replace: "" } : {}),
    });
  } catch (err) {
    process.stderr.write("\n");
    throw new OcicompatError(
      "CANCELLED",
      `nothing was entered at "${question}" (${(err as Error).message})`,
    );
  }
  // The Enter that ends a silent answer is not echoed either: end the prompt's line here.
  if (options.silent === true) process.stderr.write("\n");
  return answer;
}
