/// <reference lib="dom" />
import type { Reply } from '../../console-protocol.ts';

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
