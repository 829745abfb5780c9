'use client';
// Shown instead of a view when the server needs a viewer token: the token goes into a cookie that
// pages, fetches and the event stream all send.
import { useState } from 'react';

export function TokenGate({ reason }: { readonly reason: string }) {
  const [token, setToken] = useState('');
  return (
    <form
      className="mx-auto mt-16 max-w-md space-y-3 rounded border border-slate-300 p-6 dark:border-slate-700"
      onSubmit={(e) => {
        e.preventDefault();
        document.cookie = `vcpumap_token=${encodeURIComponent(token)}; path=/; samesite=strict`;
        window.location.reload();
      }}
    >
      <p>{reason}</p>
      <label className="block">
        <span className="text-sm">Viewer token</span>
        <input type="password" value={token} onChange={(e) => setToken(e.currentTarget.value)} className="mt-1 w-full rounded border border-slate-300 px-2 py-1 dark:border-slate-700 dark:bg-slate-900" />
      </label>
      <button type="submit" className="rounded bg-sky-700 px-3 py-1 text-white">
        Open
      </button>
    </form>
  );
}
