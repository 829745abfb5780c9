// Errors the route handlers map to a status: a request the store cannot answer as asked.

/** A bad window, step or host argument, or a window too large to answer: a 4xx, not a 5xx. */
export class StoreRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreRequestError';
  }
}
