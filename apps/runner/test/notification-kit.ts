/**
 * Receivers for notification tests: a real SMTP server (`smtp-server`) keeping what it is sent,
 * and a local HTTP server that verifies Standard Webhooks signatures with the sender-side library
 * (`standardwebhooks`) and can be told to fail a path's first calls.
 */
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { Webhook } from 'standardwebhooks';

export interface ReceivedMail {
  to: string[];
  raw: string;
  /** `raw` with quoted-printable undone (soft line breaks joined, =XX bytes decoded). */
  text: string;
}

function decodeQuotedPrintable(raw: string): string {
  const joined = raw.replace(/=\r?\n/g, '');
  const bytes: number[] = [];
  for (let i = 0; i < joined.length; i++) {
    const hex = joined[i] === '=' ? joined.slice(i + 1, i + 3) : '';
    if (/^[0-9A-F]{2}$/.test(hex)) {
      bytes.push(Number.parseInt(hex, 16));
      i += 2;
    } else bytes.push(...Buffer.from(joined[i]!, 'utf8'));
  }
  return Buffer.from(bytes).toString('utf8');
}

export async function startSmtpReceiver() {
  const mails: ReceivedMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        mails.push({
          to: session.envelope.rcptTo.map((r) => r.address),
          raw,
          text: decodeQuotedPrintable(raw),
        });
        callback();
      });
    },
  });
  const listening = server.listen(0, '127.0.0.1');
  await once(listening, 'listening');
  const { port } = listening.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    mails,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface ReceivedCall {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** The payload when the signature verified against the path's secret; null when it did not. */
  verified: unknown;
  answered: number;
}

export async function startHttpReceiver() {
  const calls: ReceivedCall[] = [];
  const secrets = new Map<string, string>();
  const failuresLeft = new Map<string, number>();
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const path = request.url ?? '/';
      const body = Buffer.concat(chunks).toString('utf8');
      const secret = secrets.get(path);
      let verified: unknown = null;
      if (secret) {
        try {
          verified = new Webhook(secret).verify(body, request.headers as Record<string, string>);
        } catch {
          verified = null;
        }
      }
      const left = failuresLeft.get(path) ?? 0;
      if (left > 0) failuresLeft.set(path, left - 1);
      const answered = left > 0 ? 503 : secret && !verified ? 401 : 204;
      calls.push({ path, headers: request.headers, body, verified, answered });
      response.writeHead(answered).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    calls,
    /** Calls to `path` must carry a valid signature made with `secret`. */
    expectSignedWith: (path: string, secret: string) => secrets.set(path, secret),
    /** The next `count` calls to `path` are answered 503. */
    failNext: (path: string, count: number) => failuresLeft.set(path, count),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
