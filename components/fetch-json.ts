// The SWR fetcher: JSON, or an Error carrying the server's `{ error }` message (never an empty result).
export async function fetchJson<T>(url: string): Promise<T> {
  // No cache option: the API answers no-store, and the page's preload of the first history must match.
  const res = await fetch(url);
  if (!res.ok) {
    let message = `${res.status} ${res.statusText}`;
    try {
      const body: unknown = await res.json();
      if (typeof body === 'object' && body !== null && 'error' in body && typeof body.error === 'string') message = body.error;
    } catch {
      // not JSON: keep the status line
    }
    throw new Error(`${url}: ${message}`);
  }
  // Our own API, documented in docs/api.md; the server validated what it stored.
  return (await res.json()) as T;
}
