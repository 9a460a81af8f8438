/// <reference lib="dom" />
import type { ConsoleCommand, Reply } from '../../console-protocol.ts';

const TOKEN_KEY = 'labloop.console.token';

/** The token lives in this tab's sessionStorage only (never in the URL, so it never reaches a log). */
export const tokenStore = {
  get: (): string | undefined => sessionStorage.getItem(TOKEN_KEY) ?? undefined,
  set: (token: string): void => sessionStorage.setItem(TOKEN_KEY, token),
  clear: (): void => sessionStorage.removeItem(TOKEN_KEY),
};

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** GET a JSON API route with the bearer token; throws ApiError with the server's reason. */
export async function getJson<T>(path: string): Promise<T> {
  const token = tokenStore.get();
  const res = await fetch(path, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const body = (await res.json().catch(() => ({ ok: false, error: res.statusText }))) as Reply & T;
  if (!res.ok || !body.ok) throw new ApiError(res.status, body.ok ? res.statusText : body.error);
  return body;
}

/** Downloads an export with the token (a plain link cannot carry the Authorization header). */
export async function download(path: string, filename: string): Promise<void> {
  const token = tokenStore.get();
  const res = await fetch(path, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  if (!res.ok) throw new ApiError(res.status, `export failed: ${res.status}`);
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 5000);
}

/** POSTs a command to `/api/commands` with the token; resolves with the server's reply (never rejects). */
export async function postCommand(cmd: ConsoleCommand): Promise<Reply<{ detail?: string }>> {
  const token = tokenStore.get();
  try {
    const res = await fetch('/api/commands', { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(cmd) });
    return (await res.json()) as Reply<{ detail?: string }>;
  } catch (e) {
    return { ok: false, code: 'internal', error: (e as Error).message };
  }
}
