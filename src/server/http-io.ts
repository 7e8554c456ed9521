/**
 * Reading and answering HTTP on the service: bodies bounded in bytes and nesting depth, JSON parsed
 * strictly (no repeated keys), answers as JSON with a stable error code.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseJsonText } from '../lib/json-text.js';

/**
 * The stable codes of the service's error answers (`{ error: { code, message } }`).
 *
 * @example
 * ```ts
 * const c: ServerErrorCode = 'body_too_large';
 * ```
 */
export type ServerErrorCode =
  | 'unauthenticated'
  | 'not_found'
  | 'method_not_allowed'
  | 'unsupported_media_type'
  | 'body_too_large'
  | 'invalid_json'
  | 'too_deep'
  | 'invalid_request'
  | 'bundle_refused'
  | 'outcome_not_recorded'
  | 'internal';

/** A body that could not be read or parsed, with the status and code to answer. */
export interface BodyProblem {
  status: number;
  code: ServerErrorCode;
  message: string;
}

/** Deepest JSON nesting accepted in a body. */
export const MAX_BODY_DEPTH = 64;

/**
 * Reads a request body up to `maxBytes` and parses it as strict JSON.
 *
 * @example
 * ```ts
 * const body = await readJsonBody(req, 1 << 20);
 * if ('problem' in body) return answerError(res, body.problem);
 * ```
 */
export async function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<{ value: unknown } | { problem: BodyProblem }> {
  const type = req.headers['content-type'];
  if (type !== undefined && type !== 'application/json' && !/^application\/json\s*(;\s*charset=utf-8\s*)?$/i.test(type)) {
    drain(req);
    return { problem: { status: 415, code: 'unsupported_media_type', message: `The body must be application/json; got ${JSON.stringify(type)}.` } };
  }
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) {
    drain(req);
    return { problem: tooLarge(maxBytes) };
  }
  const body = await readBoundedBody(req, maxBytes);
  if (body === TOO_LARGE) return { problem: tooLarge(maxBytes) };
  if (body instanceof Error) return { problem: { status: 400, code: 'invalid_request', message: `The body could not be read: ${body.message}.` } };
  return parseBody(body.toString('utf8'));
}

/** What {@link readBoundedBody} answers for a body over its limit. */
export const TOO_LARGE: unique symbol = Symbol('too large');

const EMPTY = Buffer.alloc(0);

/**
 * Reads a request's body up to `maxBytes`: the bytes, {@link TOO_LARGE} (the rest is then
 * discarded, so the connection can answer), or the error that ended the body early (a connection
 * closed before the body's end is one). Listens for the stream's events directly: an async
 * iterator costs a promise per chunk, and most bodies are one chunk.
 *
 * @example
 * ```ts
 * const body = await readBoundedBody(req, 1 << 20);
 * if (body === TOO_LARGE || body instanceof Error) return answerError(res, problemFor(body));
 * ```
 */
export function readBoundedBody(req: IncomingMessage, maxBytes: number): Promise<Buffer | typeof TOO_LARGE | Error> {
  return new Promise((resolve) => {
    let first: Buffer | null = null;
    let more: Buffer[] | null = null;
    let size = 0;
    const settle = (answer: Buffer | typeof TOO_LARGE | Error): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
      resolve(answer);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > maxBytes) {
        settle(TOO_LARGE);
        drain(req);
        return;
      }
      if (first === null) first = chunk;
      else (more ??= [first]).push(chunk);
    };
    const onEnd = (): void => settle(more !== null ? Buffer.concat(more, size) : (first ?? EMPTY));
    const onError = (e: Error): void => settle(e);
    const onClose = (): void => settle(new Error('the connection closed before the body ended'));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

/**
 * Parses a body's text: nesting at most {@link MAX_BODY_DEPTH}, JSON with unique keys.
 *
 * @example
 * ```ts
 * parseBody('{"tool":"x","args":{}}'); // { value: { tool: 'x', args: {} } }
 * ```
 */
export function parseBody(text: string): { value: unknown } | { problem: BodyProblem } {
  if (depthOf(text) > MAX_BODY_DEPTH) return { problem: { status: 400, code: 'too_deep', message: `The body nests deeper than ${MAX_BODY_DEPTH} levels.` } };
  const parsed = parseJsonText(text);
  if (!parsed.ok) return { problem: { status: 400, code: 'invalid_json', message: `The body is not JSON with unique keys: ${parsed.error}.` } };
  return { value: parsed.value };
}

/** The deepest bracket nesting of JSON text, scanned without recursion (strings skipped). */
function depthOf(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++;
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      if (++depth > max) max = depth;
    } else if (c === 125 || c === 93) depth--;
  }
  return max;
}

function tooLarge(maxBytes: number): BodyProblem {
  return { status: 413, code: 'body_too_large', message: `The body is larger than ${maxBytes} bytes.` };
}

/** Discards the rest of a body we will not read, so the connection can answer. */
function drain(req: IncomingMessage): void {
  req.resume();
}

/**
 * Answers JSON.
 *
 * @example
 * ```ts
 * answerJson(res, 200, { status: 'ok' });
 * ```
 */
export function answerJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  const length = Buffer.byteLength(text);
  // The usual answer has no extra headers: a flat list, with no object built and spread per answer.
  if (isEmpty(headers)) res.writeHead(status, ['content-type', 'application/json', 'content-length', String(length), 'cache-control', 'no-store']);
  else res.writeHead(status, { 'content-type': 'application/json', 'content-length': length, 'cache-control': 'no-store', ...headers });
  res.end(text);
}

function isEmpty(o: object): boolean {
  for (const _ in o) return false;
  return true;
}

/**
 * Answers an error as `{ error: { code, message } }` (plus `extra` members).
 *
 * @example
 * ```ts
 * answerError(res, { status: 404, code: 'not_found', message: 'No route GET /x.' });
 * ```
 */
export function answerError(res: ServerResponse, problem: BodyProblem, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}): void {
  answerJson(res, problem.status, { ...extra, error: { code: problem.code, message: problem.message } }, headers);
}
