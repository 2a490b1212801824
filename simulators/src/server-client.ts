/** The few server HTTP calls the simulators make (see /api contract): login, then stored scan ids. */
import type { ApiReply } from '@sk/protocol';

export class ServerError extends Error {}

async function reply<T>(res: Response, what: string): Promise<T> {
  let body: ApiReply<T>;
  try {
    body = (await res.json()) as ApiReply<T>;
  } catch {
    throw new ServerError(`${what}: HTTP ${res.status}, not a JSON reply`);
  }
  if (!body.ok) throw new ServerError(`${what}: ${body.error.code}: ${body.error.message}`);
  return body.data;
}

/** Logs in and returns the `sk_session` cookie for later calls. */
export async function login(server: string, username: string, password: string): Promise<string> {
  const res = await fetch(new URL('/api/auth/login', server), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  await reply<unknown>(res, 'login');
  const cookie = res.headers.getSetCookie().map((c) => c.split(';')[0]!).find((c) => c.startsWith('sk_session='));
  if (!cookie) throw new ServerError('login: the server set no sk_session cookie');
  return cookie;
}

/** Every stored scanId with scan time in [from, to), duplicates included. */
export async function storedScanIds(server: string, cookie: string, from: string, to: string): Promise<string[]> {
  const url = new URL('/api/stored-scan-ids', server);
  url.searchParams.set('from', from);
  url.searchParams.set('to', to);
  const res = await fetch(url, { headers: { cookie } });
  const data = await reply<{ scanIds: string[] }>(res, 'stored-scan-ids');
  if (!Array.isArray(data.scanIds)) throw new ServerError('stored-scan-ids: reply without scanIds');
  return data.scanIds;
}
