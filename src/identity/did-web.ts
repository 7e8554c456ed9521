/**
 * did:web (W3C CCG): `did:web:example.com:agents:bot` is the document at
 * `https://example.com/agents/bot/did.json`; `did:web:example.com` is at
 * `https://example.com/.well-known/did.json`. Resolution needs an injected fetch: nothing here
 * reaches the network on its own.
 */
import { isIP } from 'node:net';
import { WardenError } from '../errors.js';
import { parseDidDocument, type DidDocument } from './did-document.js';
import { messageOf } from './errors.js';

/** The fetch a resolver calls: the WHATWG fetch signature, injected. */
export type FetchLike = (url: string, init: { redirect: 'error'; signal: AbortSignal; headers: Record<string, string> }) => Promise<{ ok: boolean; status: number; text(): Promise<string>; headers: { get(name: string): string | null } }>;

const HOST = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/;
const SEGMENT = /^[A-Za-z0-9._~!$&'()*+,;=@-]+$/;

/**
 * The https URL of a did:web's DID document.
 *
 * @example
 * ```ts
 * didWebUrl('did:web:example.com:agents:bot'); // 'https://example.com/agents/bot/did.json'
 * ```
 * @throws WardenError `ERR_DID` for a malformed did:web, an IP address or a single-label host.
 */
export function didWebUrl(did: string): string {
  if (typeof did !== 'string' || did.length > 512 || !did.startsWith('did:web:')) throw new WardenError('ERR_DID', `${JSON.stringify(did)} is not a did:web.`);
  if (/[#?/]/.test(did)) throw new WardenError('ERR_DID', `${JSON.stringify(did)} carries a path, query or fragment; a did:web is did:web:<host>[:<path>...].`);
  const [hostPart, ...path] = did.slice('did:web:'.length).split(':');
  let host: string;
  try {
    host = decodeURIComponent(hostPart ?? '');
  } catch {
    throw new WardenError('ERR_DID', `The host of ${JSON.stringify(did)} is not valid percent-encoding.`);
  }
  const colon = host.lastIndexOf(':');
  const name = (colon === -1 ? host : host.slice(0, colon)).toLowerCase();
  const port = colon === -1 ? '' : host.slice(colon + 1);
  if (port !== '' && !/^[1-9][0-9]{0,4}$/.test(port)) throw new WardenError('ERR_DID', `The port of ${JSON.stringify(did)} is not a number.`);
  if (isIP(name) !== 0 || name.startsWith('[')) throw new WardenError('ERR_DID', `${JSON.stringify(did)} names an IP address; did:web identifies a domain name.`);
  if (!HOST.test(name)) throw new WardenError('ERR_DID', `${JSON.stringify(did)} does not name a fully qualified domain.`);
  for (const seg of path) {
    if (!SEGMENT.test(seg) || seg === '.' || seg === '..') throw new WardenError('ERR_DID', `The path segment ${JSON.stringify(seg)} of ${JSON.stringify(did)} is not allowed.`);
  }
  const origin = `https://${name}${port === '' ? '' : `:${port}`}`;
  return path.length === 0 ? `${origin}/.well-known/did.json` : `${origin}/${path.join('/')}/did.json`;
}

/**
 * Options of {@link resolveDidWeb}.
 *
 * @example
 * ```ts
 * const options: DidWebOptions = { fetch: globalThis.fetch, timeoutMs: 3000 };
 * ```
 */
export interface DidWebOptions {
  /** The fetch to use (required: resolution makes no network call of its own). */
  fetch?: FetchLike;
  /** Give up after this long; default 5000 ms. */
  timeoutMs?: number;
  /** Largest document read; default 64 KiB. */
  maxBytes?: number;
}

/**
 * Fetches and checks a did:web's DID document (redirects refused, size and time bounded, the
 * document's `id` must be the DID).
 *
 * @example
 * ```ts
 * const doc = await resolveDidWeb('did:web:example.com', { fetch });
 * ```
 * @throws WardenError `ERR_DID`
 */
export async function resolveDidWeb(did: string, options: DidWebOptions): Promise<DidDocument> {
  const url = didWebUrl(did);
  const fetch = options.fetch;
  if (typeof fetch !== 'function') throw new WardenError('ERR_DID', `Resolving ${did} needs a fetch: pass { fetch } (Warden makes no network call unless given one).`);
  const maxBytes = options.maxBytes ?? 64 * 1024;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), options.timeoutMs ?? 5000);
  try {
    const res = await fetch(url, { redirect: 'error', signal: controller.signal, headers: { accept: 'application/did+json, application/json' } });
    if (!res.ok) throw new WardenError('ERR_DID', `${url} answered ${res.status} for ${did}.`);
    const declared = Number(res.headers.get('content-length') ?? '0');
    if (declared > maxBytes) throw new WardenError('ERR_DID', `The DID document of ${did} is ${declared} bytes; the limit is ${maxBytes}.`);
    const text = await res.text();
    if (Buffer.byteLength(text) > maxBytes) throw new WardenError('ERR_DID', `The DID document of ${did} is over ${maxBytes} bytes.`);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      throw new WardenError('ERR_DID', `The DID document of ${did} is not JSON: ${messageOf(e)}.`);
    }
    return parseDidDocument(value, did);
  } catch (e) {
    if (e instanceof WardenError) throw e;
    throw new WardenError('ERR_DID', `Cannot fetch the DID document of ${did} from ${url}: ${messageOf(e)}.`, { cause: e });
  } finally {
    clearTimeout(timer);
  }
}
