// The application/json body parser. fastify's own rejects __proto__/constructor keys
// too (onProtoPoisoning/onConstructorPoisoning: 'error', also set), but reports every
// failure as "not valid JSON"; this one says what and where, so the problem can name it.
// Every check is iterative: a hostile body of 100,000 nested brackets costs one pass
// over its text and a constant stack, and is a 400, never a stack overflow.
import { badRequest } from './problem.js';

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** No API body nests deeper than a few levels; this leaves room and bounds the walk. */
export const MAX_JSON_DEPTH = 32;

/** The deepest bracket nesting of a JSON text (brackets inside strings do not count); stops counting past `limit`. */
function nestingDepth(text: string, limit: number): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      depth++;
      if (depth > max) max = depth;
      if (max > limit) return max;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) depth--;
  }
  return max;
}

/** Walks parsed JSON (iteratively) for keys that could poison prototypes once merged into an object. */
function findForbiddenKey(root: unknown): string | undefined {
  const stack: Array<{ v: unknown; path: string }> = [{ v: root, path: '' }];
  while (stack.length > 0) {
    const { v, path } = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ v: v[i], path: `${path}[${i}]` });
      continue;
    }
    const keys = Object.keys(v);
    for (const k of keys) if (FORBIDDEN_KEYS.has(k)) return path ? `${path}.${k}` : k;
    for (let i = keys.length - 1; i >= 0; i--) stack.push({ v: (v as Record<string, unknown>)[keys[i]], path: path ? `${path}.${keys[i]}` : keys[i] });
  }
  return undefined;
}

export function parseJsonBody(text: string): unknown {
  if (text.length === 0) throw badRequest('the body is empty but Content-Type is application/json', '(body)');
  if (nestingDepth(text, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) {
    throw badRequest(`the body nests deeper than ${MAX_JSON_DEPTH} levels of objects and arrays`, '(body)');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw badRequest(`the body is not valid JSON: ${(err as Error).message}`, '(body)');
  }
  const key = findForbiddenKey(value);
  if (key) throw badRequest(`the key ${key} is not allowed (prototype poisoning)`, key);
  return value;
}
