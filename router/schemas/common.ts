// Shared pieces of the API contract. Every request schema sets additionalProperties:
// false, so the server's Ajv (coerceTypes: false, removeAdditional: false) rejects
// unknown fields and wrong types instead of guessing.
import { Type } from '@sinclair/typebox';

export const Problem = Type.Object(
  {
    type: Type.String({ description: 'URI naming the kind of problem' }),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    field: Type.Optional(Type.String({ description: 'the request field at fault (JSON path in the body, or a header/parameter name)' })),
    errors: Type.Optional(Type.Array(Type.Object({ field: Type.String(), message: Type.String() }))),
  },
  { $id: 'Problem', additionalProperties: true, description: 'RFC 9457 problem details (application/problem+json)' },
);

export const problemResponses = {
  '4xx': Type.Ref('Problem'),
  '5xx': Type.Ref('Problem'),
};

/** Free-form object answered by a provider the daemon wires (plan, repartition, train). */
export const OpenObject = Type.Object({}, { additionalProperties: true });

export const Resources = Type.Object(
  { cpuCores: Type.Number(), memoryMiB: Type.Number() },
  { additionalProperties: false },
);

export const Name = (description: string) =>
  Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$', description });

export const ZoneName = Type.String({ minLength: 1, maxLength: 32, pattern: '^[a-z][a-z0-9-]{0,31}$', description: 'a class name or "general"' });

/** An empty or absent body is fine for these POSTs; a present one is checked strictly. */
export const EmptyBody = Type.Object({}, { additionalProperties: false });
