import { StoreRequestError } from './store/store-errors';

// Errors that carry their HTTP status, so handlers answer 4xx/5xx with a message a person can act on.
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export function errorResponse(err: unknown): Response {
  if (err instanceof StoreRequestError) return Response.json({ error: err.message }, { status: 400 });
  if (err instanceof HttpError) {
    return Response.json({ error: err.message }, { status: err.status, headers: err.headers });
  }
  console.error('vcpumap server error:', err);
  return Response.json({ error: 'internal error; see the server log' }, { status: 500 });
}
