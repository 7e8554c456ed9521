/**
 * A TCP forwarder the test controls, in front of a real server: `cut()` drops every open
 * connection and refuses new ones (a network partition from the client's side, the server itself
 * untouched and shared), `stall()` keeps every connection open but moves no byte and connects no
 * new one upstream (packets dropped: only the clients' own timeouts notice), `restore()` lets
 * connections through again (a stalled one carries what it held back).
 */
import { createServer, Socket, type AddressInfo, type Server } from 'node:net';

export class TcpProxy {
  private readonly sockets = new Set<Socket>();
  private refusing = false;
  private stalled = false;
  /** Forwarded pairs (to stall and resume them), and connections accepted while stalled. */
  private readonly pairs = new Set<[Socket, Socket]>();
  private readonly held: Array<() => void> = [];

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  /** Starts a forwarder on 127.0.0.1 (a free port) to `host:port`. */
  static async start(host: string, port: number): Promise<TcpProxy> {
    let proxy: TcpProxy | null = null;
    const server = createServer((client) => {
      const p = proxy as TcpProxy;
      if (p.refusing) {
        client.destroy();
        return;
      }
      const upstream = new Socket();
      const pair: [Socket, Socket] = [client, upstream];
      p.sockets.add(client);
      p.sockets.add(upstream);
      const drop = (): void => {
        client.destroy();
        upstream.destroy();
        p.sockets.delete(client);
        p.sockets.delete(upstream);
        p.pairs.delete(pair);
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
      const connect = (): void => {
        upstream.connect(port, host, () => {
          p.pairs.add(pair);
          if (!p.stalled) flow(pair);
        });
      };
      if (p.stalled) p.held.push(connect);
      else connect();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    proxy = new TcpProxy(server, (server.address() as AddressInfo).port);
    return proxy;
  }

  /** Drops every connection now and refuses new ones until restore(). */
  cut(): void {
    this.refusing = true;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  /** Keeps every connection open but forwards nothing, and holds new ones, until restore(). */
  stall(): void {
    this.stalled = true;
    for (const [client, upstream] of this.pairs) {
      client.unpipe(upstream);
      upstream.unpipe(client);
      client.pause();
      upstream.pause();
    }
  }

  restore(): void {
    this.refusing = false;
    if (!this.stalled) return;
    this.stalled = false;
    for (const pair of this.pairs) flow(pair);
    for (const connect of this.held.splice(0)) connect();
  }

  /** Open forwarded connections (both sides counted). */
  get connections(): number {
    return this.sockets.size;
  }

  async close(): Promise<void> {
    this.stalled = false;
    this.held.length = 0;
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Forwards both ways (pipe resumes a paused socket). */
function flow([client, upstream]: [Socket, Socket]): void {
  client.pipe(upstream);
  upstream.pipe(client);
}
