/** The browser session cookie: httpOnly, SameSite=Lax, Secure in production. */
import type { FastifyReply, FastifyRequest } from 'fastify';

export const SESSION_COOKIE = 'swarm_session';

export function setSessionCookie(res: FastifyReply, token: string, expiresAt: Date, secure: boolean) {
  res.setCookie(SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: 'lax',
    secure,
    path: '/',
    expires: expiresAt,
  });
}

export function clearSessionCookie(res: FastifyReply, secure: boolean) {
  res.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'lax', secure, path: '/' });
}

/** A bearer token from `Authorization`, else the session cookie. */
export function requestToken(req: FastifyRequest): string | null {
  const header = req.headers.authorization;
  if (header) {
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    return match?.[1] ?? null;
  }
  return req.cookies[SESSION_COOKIE] ?? null;
}
