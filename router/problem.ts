// RFC 9457 problem details: every error the API returns is application/problem+json
// {type, title, status, detail, field?, errors?}, naming the offending field when there is one.
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
const TYPE_BASE = 'https://virtzone.dev/problems/';

export interface FieldError {
  field: string;
  message: string;
}

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  field?: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

export class ProblemError extends Error {
  readonly status: number;
  readonly title: string;
  readonly field?: string;
  readonly errors?: FieldError[];
  readonly slug: string;
  readonly headers: Record<string, string>;
  readonly extensions: Record<string, unknown>;

  constructor(
    status: number,
    slug: string,
    title: string,
    detail: string,
    opts: { field?: string; errors?: FieldError[]; headers?: Record<string, string>; extensions?: Record<string, unknown> } = {},
  ) {
    super(detail);
    this.name = 'ProblemError';
    this.status = status;
    this.slug = slug;
    this.title = title;
    this.field = opts.field;
    this.errors = opts.errors;
    this.headers = opts.headers ?? {};
    this.extensions = opts.extensions ?? {};
  }

  body(): ProblemBody {
    return problemBody(this.status, this.slug, this.title, this.message, {
      field: this.field,
      errors: this.errors,
      extensions: this.extensions,
    });
  }
}

export function problemBody(
  status: number,
  slug: string,
  title: string,
  detail: string,
  opts: { field?: string; errors?: FieldError[]; extensions?: Record<string, unknown> } = {},
): ProblemBody {
  const body: ProblemBody = { type: TYPE_BASE + slug, title, status, detail, ...opts.extensions };
  if (opts.field !== undefined) body.field = opts.field;
  if (opts.errors !== undefined && opts.errors.length) body.errors = opts.errors;
  return body;
}

export const badRequest = (detail: string, field?: string) => new ProblemError(400, 'invalid-request', 'Invalid request', detail, { field });
export const unprocessable = (detail: string, field?: string) => new ProblemError(422, 'unprocessable', 'Request cannot be carried out', detail, { field });
export const notFound = (detail: string, field?: string) => new ProblemError(404, 'not-found', 'Not found', detail, { field });
export const conflict = (detail: string, field?: string) => new ProblemError(409, 'conflict', 'Conflict', detail, { field });
export const unavailable = (detail: string) => new ProblemError(503, 'unavailable', 'Service unavailable', detail);
