/**
 * Key files (0600, refused when others can read them), did:key parsing, and did:web resolution
 * through an injected fetch.
 */
import { chmod, lstat, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WardenError } from '../../src/errors.js';
import { createIdentity, didKeyFromPublicKey, didPublicKeys, didWebUrl, FileKeyStore, publicKeyFromDidKey, resolveDid, resolveDidWeb, type FetchLike } from '../../src/identity/index.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'warden-keys-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('FileKeyStore', () => {
  it('writes a key file only its owner can read, in a private directory, and loads it back', async () => {
    const store = new FileKeyStore(join(dir, 'a'));
    const key = createIdentity();
    await store.save('default', key);
    expect((await lstat(store.pathOf('default'))).mode & 0o777).toBe(0o600);
    expect((await lstat(join(dir, 'a'))).mode & 0o777).toBe(0o700);
    expect((await store.load('default')).did).toBe(key.did);
    expect(await store.list()).toEqual(['default']);
  });

  it('refuses to replace a key unless asked, and keeps the old one', async () => {
    const store = new FileKeyStore(join(dir, 'b'));
    const first = createIdentity();
    await store.save('k', first);
    await expect(store.save('k', createIdentity())).rejects.toThrow(/already exists/);
    expect((await store.load('k')).did).toBe(first.did);
    const second = createIdentity();
    await store.save('k', second, { replace: true });
    expect((await store.load('k')).did).toBe(second.did);
  });

  it('refuses a key file others can read, a symlinked key file, and one whose DID was edited', async () => {
    const store = new FileKeyStore(join(dir, 'c'));
    await store.save('k', createIdentity());
    await chmod(store.pathOf('k'), 0o644);
    await expect(store.load('k')).rejects.toThrow(/readable or writable by others/);
    await chmod(store.pathOf('k'), 0o600);
    await symlink(store.pathOf('k'), store.pathOf('link'));
    await expect(store.load('link')).rejects.toThrow(/not a regular file/);
    const file = JSON.parse(await readFile(store.pathOf('k'), 'utf8')) as Record<string, unknown>;
    await writeFile(store.pathOf('k'), JSON.stringify({ ...file, did: createIdentity().did }), { mode: 0o600 });
    await expect(store.load('k')).rejects.toThrow(/was altered/);
  });

  it('refuses key names that could escape the directory', async () => {
    const store = new FileKeyStore(join(dir, 'd'));
    for (const name of ['../x', 'a/b', '.hidden', '', 'x'.repeat(65)]) await expect(store.save(name, createIdentity())).rejects.toThrow(WardenError);
  });

  it('says how to create a key that does not exist', async () => {
    await expect(new FileKeyStore(join(dir, 'e')).load('nobody')).rejects.toThrow(/warden id new nobody/);
  });
});

describe('did:key', () => {
  const accepted = ['did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp', 'did:key:z6MkjchhfUsD6mmvni8mCdXHw216Xrm9bQe2mBH1P5RDjVJG', 'did:key:z6MknGc3ocHs3zdPiJbnaaqDi58NGb4pk1Sp9WxWufuXSdxf', 'did:key:z6MkvqoYXQfDDJRv8L4wKzxYeuKyVZBfi9Qo6Ro8MiLH3kDQ'];
  for (const did of accepted) {
    it(`accepts ${did.slice(0, 24)}...`, () => {
      expect(publicKeyFromDidKey(did)).toHaveLength(32);
    });
  }
  const table: Array<[string, string]> = [
    ['a P-256 did:key', 'did:key:zDnaerDaTF5BXEavCrfRZEk316dpbLsfPDZ3WJ5hRTPFU2169'],
    ['a secp256k1 did:key', 'did:key:zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme'],
    ['base58 with a character outside the alphabet', 'did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooW0'],
    ['a truncated key', 'did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDoo'],
    ['another multibase', 'did:key:u7QEAAAAA'],
    ['a fragment naming another key', 'did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp#z6MkjchhfUsD6mmvni8mCdXHw216Xrm9bQe2mBH1P5RDjVJG'],
  ];
  for (const [name, did] of table) {
    it(`refuses ${name}`, () => {
      expect(() => publicKeyFromDidKey(did)).toThrow(WardenError);
    });
  }
  it('accepts a fragment naming its own key, and round-trips', () => {
    const me = createIdentity();
    expect(didKeyFromPublicKey(publicKeyFromDidKey(`${me.did}#${me.did.slice(8)}`))).toBe(me.did);
  });
});

describe('did:web', () => {
  const table: Array<[string, string | null]> = [
    ['did:web:example.com', 'https://example.com/.well-known/did.json'],
    ['did:web:example.com:agents:bot', 'https://example.com/agents/bot/did.json'],
    ['did:web:example.com%3A8443', 'https://example.com:8443/.well-known/did.json'],
    ['did:web:Example.COM', 'https://example.com/.well-known/did.json'],
    ['did:web:127.0.0.1', null],
    ['did:web:localhost', null],
    ['did:web:%5B%3A%3A1%5D', null],
    ['did:web:example.com:..:etc', null],
    ['did:web:example.com:a%2Fb', null],
    ['did:web:example.com/path', null],
    ['did:web:example.com#frag', null],
    ['did:web:exa_mple.com', null],
  ];
  for (const [did, url] of table) {
    it(`${url === null ? 'refuses' : 'maps'} ${did}`, () => {
      if (url === null) expect(() => didWebUrl(did)).toThrow(WardenError);
      else expect(didWebUrl(did)).toBe(url);
    });
  }

  const me = createIdentity();
  const documentFor = (id: string): unknown => ({ id, verificationMethod: [{ id: `${id}#k1`, type: 'Multikey', controller: id, publicKeyMultibase: me.did.slice(8) }], assertionMethod: ['#k1'], authentication: [`${id}#k1`] });
  const serve = (body: unknown, status = 200): { fetch: FetchLike; urls: string[] } => {
    const urls: string[] = [];
    return { urls, fetch: async (url) => (urls.push(url), { ok: status === 200, status, text: async () => JSON.stringify(body), headers: { get: () => null } }) };
  };

  it('resolves a did:web document through the injected fetch and reads its Ed25519 keys', async () => {
    const srv = serve(documentFor('did:web:agents.example'));
    expect(await didPublicKeys('did:web:agents.example', 'assertionMethod', { fetch: srv.fetch })).toEqual([me.publicKey]);
    expect(srv.urls).toEqual(['https://agents.example/.well-known/did.json']);
  });

  it('refuses a document served for another DID, an HTTP error, and resolution without a fetch', async () => {
    await expect(resolveDidWeb('did:web:agents.example', { fetch: serve(documentFor('did:web:evil.example')).fetch })).rejects.toThrow(/refusing it/);
    await expect(resolveDidWeb('did:web:agents.example', { fetch: serve({}, 404).fetch })).rejects.toThrow(/404/);
    await expect(resolveDid('did:web:agents.example')).rejects.toThrow(/needs a fetch/);
    await expect(resolveDid('did:ion:abc')).rejects.toThrow(/did:key or did:web/);
  });

  it('ignores keys controlled by another DID', async () => {
    const doc = { id: 'did:web:agents.example', verificationMethod: [{ id: 'did:web:agents.example#k1', type: 'Multikey', controller: 'did:web:evil.example', publicKeyMultibase: me.did.slice(8) }], assertionMethod: ['#k1'] };
    await expect(didPublicKeys('did:web:agents.example', 'assertionMethod', { fetch: serve(doc).fetch })).rejects.toThrow(/lists no Ed25519 key/);
  });
});
