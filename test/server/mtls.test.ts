import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, tempDir, TOKEN, type Running } from './fixture.js';

/** A CA, a server certificate for 127.0.0.1 and a client certificate, made with openssl. */
function pki(dir: string, name: string): void {
  const ossl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  ossl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}-ca.key`, '-out', `${name}-ca.pem`, '-days', '2', '-subj', `/CN=${name} test CA`);
  for (const who of ['server', 'client']) {
    ossl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}-${who}.key`, '-out', `${name}-${who}.csr`, '-subj', `/CN=${who}`);
    writeFileSync(join(dir, `${who}.ext`), who === 'server' ? 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' : 'extendedKeyUsage=clientAuth\n');
    ossl('x509', '-req', '-in', `${name}-${who}.csr`, '-CA', `${name}-ca.pem`, '-CAkey', `${name}-ca.key`, '-CAcreateserial', '-out', `${name}-${who}.pem`, '-days', '2', '-extfile', `${who}.ext`);
  }
}

describe('warden serve over mutual TLS', () => {
  let s: Running;
  let dir: string;
  const read = (f: string) => readFileSync(join(dir, f));
  const decide = (client: { cert?: Buffer; key?: Buffer }): Promise<number> =>
    new Promise((resolve, reject) => {
      const u = new URL(s.url);
      const req = request({ host: u.hostname, port: u.port, method: 'POST', path: '/v1/decide', ca: read('a-ca.pem'), ...client, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end('{"tool":"read_file","args":{}}');
    });

  beforeAll(async () => {
    dir = tempDir();
    pki(dir, 'a');
    pki(dir, 'b');
    s = await startServer({ tls: { cert: read('a-server.pem'), key: read('a-server.key'), clientCa: read('a-ca.pem') } }, dir);
  });
  afterAll(async () => s.close());

  it('serves HTTPS and decides for a client with a certificate from the CA and a token', async () => {
    expect(s.url.startsWith('https://')).toBe(true);
    expect(await decide({ cert: read('a-client.pem'), key: read('a-client.key') })).toBe(200);
  });

  it('refuses the handshake without a client certificate, or with one from another CA: no decision', async () => {
    const before = s.records().length;
    await expect(decide({})).rejects.toThrow();
    await expect(decide({ cert: read('b-client.pem'), key: read('b-client.key') })).rejects.toThrow();
    expect(s.records().length).toBe(before);
  });
});
