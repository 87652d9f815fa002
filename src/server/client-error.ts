import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { newRequestId } from '../shared/ids.js';

/** What the HTTP parser's error codes mean to a caller, as status, error code and message. */
function describe(code: string | undefined): [status: number, errorCode: string, message: string] {
  if (code === 'HPE_HEADER_OVERFLOW') return [431, 'payload_too_large', 'the request headers are too large'];
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return [408, 'invalid_argument', 'the request did not arrive in time'];
  return [400, 'invalid_argument', `the request is not valid HTTP${code ? ` (${code})` : ''}`];
}

/**
 * Answers bytes the HTTP parser cannot read (bad framing, invalid characters in the URL or
 * headers, headers too large) with Sextant's error shape, then closes the connection. A request
 * before them on the same connection may still be running: its answer goes first (HTTP answers in
 * order), where Fastify's default handler wrote the 400 at once and cut that answer off.
 */
export function clientErrorHandler(err: Error & { code?: string }, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, code, message] = describe(err.code);
  const body = JSON.stringify({ error: { code, message, requestId: newRequestId() } });
  let answered = false;
  const answer = () => {
    if (answered) return;
    answered = true;
    if (!socket.writable) return socket.destroy();
    socket.end(
      `HTTP/1.1 ${status} ${status === 400 ? 'Bad Request' : status === 408 ? 'Request Timeout' : 'Request Header Fields Too Large'}\r\n` +
        `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      () => socket.destroy(),
    );
  };
  const owed = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
  if (owed && !owed.writableFinished) owed.once('finish', answer).once('close', answer);
  else answer();
}
