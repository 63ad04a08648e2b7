// The strict I-JSON parser, for what the fast path (ijson-native.ts) cannot vouch for. It is
// iterative (an explicit stack of open containers) so that hostile nesting can never overflow
// the call stack, whatever maxDepth a caller chooses.
import { invalid, unexpected, where } from "./ijson-errors.js";
import {
  readEscapedString,
  readKey,
  readNumber,
  scanEnd,
  simpleStringEnd,
  type Container,
  type JsonObject,
} from "./ijson-tokens.js";

/**
 * The whole grammar in one function so the position stays in a local variable. Containers
 * are opened and closed on an explicit stack rather than by recursion.
 */
export function parseValue(src: string, maxDepth: number): unknown {
  if (src.length === 0) throw invalid("empty document");
  const stack: Container[] = [];
  /** For each open object, the key whose value is being parsed; "" for arrays. */
  const keys: string[] = [];
  let pos = 0;
  let c = src.charCodeAt(0);
  while (c <= 0x20 && (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09)) {
    c = src.charCodeAt(++pos);
  }
  if (pos >= src.length) throw invalid("empty document (only whitespace)");

  let value: unknown;
  for (;;) {
    c = src.charCodeAt(pos);
    while (c <= 0x20 && (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09)) {
      c = src.charCodeAt(++pos);
    }
    if (c === 0x22 /* " */) {
      const end = simpleStringEnd(src, pos + 1);
      if (end >= 0) {
        value = src.slice(pos + 1, end);
        pos = end + 1;
      } else {
        value = readEscapedString(src, pos + 1, -1 - end);
        pos = scanEnd;
      }
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (stack.length >= maxDepth) {
        throw invalid(`nesting deeper than ${maxDepth} levels at ${where(src, pos)}`);
      }
      const open = c;
      c = src.charCodeAt(++pos);
      while (c <= 0x20 && (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09)) {
        c = src.charCodeAt(++pos);
      }
      if (open === 0x7b) {
        const obj: JsonObject = {};
        if (c !== 0x7d /* } */) {
          stack.push(obj);
          keys.push(readKey(src, pos, obj, stack, keys));
          pos = scanEnd;
          continue;
        }
        pos++;
        value = obj;
      } else {
        const arr: unknown[] = [];
        if (c !== 0x5d /* ] */) {
          stack.push(arr);
          keys.push("");
          continue;
        }
        pos++;
        value = arr;
      }
    } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      value = readNumber(src, pos);
      pos = scanEnd;
    } else if (c === 0x74 && src.startsWith("true", pos)) {
      value = true;
      pos += 4;
    } else if (c === 0x66 && src.startsWith("false", pos)) {
      value = false;
      pos += 5;
    } else if (c === 0x6e && src.startsWith("null", pos)) {
      value = null;
      pos += 4;
    } else {
      unexpected(src, pos, "a JSON value");
    }

    // A complete value: store it, then close every container it completes.
    for (;;) {
      c = src.charCodeAt(pos);
      while (c <= 0x20 && (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09)) {
        c = src.charCodeAt(++pos);
      }
      const depth = stack.length;
      if (depth === 0) {
        if (pos < src.length) unexpected(src, pos, "end of input");
        return value;
      }
      const top = stack[depth - 1] as Container;
      if (Array.isArray(top)) {
        top.push(value);
        if (c === 0x2c /* , */) {
          pos = afterComma(src, pos, 0x5d);
          break;
        }
        if (c !== 0x5d /* ] */) unexpected(src, pos, '"," or "]"');
      } else {
        const key = keys[depth - 1] as string;
        // readKey has ruled out an own property, so a defined value here is inherited
        // (__proto__, constructor, ...). Assignment would replace the prototype or, under a
        // frozen Object.prototype, throw; JSON means an ordinary own property.
        if (top[key] === undefined) {
          top[key] = value;
        } else {
          Object.defineProperty(top, key, {
            value,
            writable: true,
            enumerable: true,
            configurable: true,
          });
        }
        if (c === 0x2c /* , */) {
          keys[depth - 1] = readKey(src, afterComma(src, pos, 0x7d), top, stack, keys);
          pos = scanEnd;
          break;
        }
        if (c !== 0x7d /* } */) unexpected(src, pos, '"," or "}"');
      }
      pos++;
      stack.pop();
      keys.pop();
      value = top;
    }
  }
}

/** Skips whitespace after the comma at `pos`; a closing bracket there is a trailing comma. */
function afterComma(src: string, pos: number, close: number): number {
  let c = src.charCodeAt(++pos);
  while (c <= 0x20 && (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09)) {
    c = src.charCodeAt(++pos);
  }
  if (c === close) {
    throw invalid(
      `trailing comma before "${String.fromCharCode(close)}" at ${where(src, pos)}: remove the comma`,
    );
  }
  return pos;
}
