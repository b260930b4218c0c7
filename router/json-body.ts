// The application/json body parser. fastify's own rejects __proto__/constructor keys
// too (onProtoPoisoning/onConstructorPoisoning: 'error', also set), but reports every
// failure as "not valid JSON"; this one says what and where, so the problem can name it.
import { badRequest } from './problem.js';

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** Walks parsed JSON for keys that could poison prototypes once merged into an object. */
function findForbiddenKey(v: unknown, path: string): string | undefined {
  if (v === null || typeof v !== 'object') return undefined;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const hit = findForbiddenKey(v[i], `${path}[${i}]`);
      if (hit) return hit;
    }
    return undefined;
  }
  for (const k of Object.keys(v)) {
    const here = path ? `${path}.${k}` : k;
    if (FORBIDDEN_KEYS.has(k)) return here;
    const hit = findForbiddenKey((v as Record<string, unknown>)[k], here);
    if (hit) return hit;
  }
  return undefined;
}

export function parseJsonBody(text: string): unknown {
  if (text.length === 0) throw badRequest('the body is empty but Content-Type is application/json', '(body)');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw badRequest(`the body is not valid JSON: ${(err as Error).message}`, '(body)');
  }
  const key = findForbiddenKey(value, '');
  if (key) throw badRequest(`the key ${key} is not allowed (prototype poisoning)`, key);
  return value;
}
