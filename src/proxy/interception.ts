import type { RequestListener, Server } from 'node:http';
import type { Server as NetServer } from 'node:net';
import { dirname } from 'node:path';
import { CertificateAuthority } from '../tls/authority.js';
import { InterceptionProxy } from './proxy.js';
import { createTlsListener } from './tls-listener.js';
import { interceptedHosts } from './hosts.js';

/** What intercepts payjs.cn in a running sandbox (GET /__sandbox/interception; `payjs-sandbox env`). */
export interface InterceptionInfo {
  url: string;
  proxy?: string;
  /** What the proxy does with hosts it does not intercept. */
  others?: 'tunnel' | 'refuse';
  https?: string;
  hosts: string[];
  caFile: string;
  /** The CA followed by Node's Mozilla roots, for variables that replace the trust store. */
  caBundle: string;
}

export interface InterceptionOptions {
  /** The interception proxy's port (0 picks a free one); omitted, no proxy. */
  proxyPort?: number;
  /** The TLS listener's port (0 picks a free one); omitted, none. */
  httpsPort?: number;
  /** PAYJS-compatible hosts to intercept besides payjs.cn and www.payjs.cn. */
  interceptHosts?: string[];
  /** Refuse (403) CONNECT to hosts that are not intercepted, instead of tunnelling them. */
  proxyRefuseOthers?: boolean;
  /** Off loopback, tunnel other hosts too (by default a proxy off loopback refuses them). */
  proxyAllowOthers?: boolean;
  /** Where the CA is kept; default beside the db, or a temporary one without a db. */
  caDir?: string;
  /** How long a TLS client may take to finish its handshake (default 10 s). */
  handshakeTimeoutMs?: number;
}

const urlHost = (host: string) => (host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '[::1]' : host.includes(':') ? `[${host}]` : host);

/** The proxy, the TLS listener and the CA behind them; the CA is made or loaded on first use. */
export class Interception {
  readonly hosts: string[];
  proxyUrl?: string;
  httpsUrl?: string;
  private others?: 'tunnel' | 'refuse';
  private authority?: CertificateAuthority;
  private proxy?: InterceptionProxy;
  private tls?: NetServer;
  private readonly tlsSockets = new Set<import('node:net').Socket>();

  constructor(
    private readonly options: InterceptionOptions & { db?: string; host: string; log: (line: string) => void },
  ) {
    this.hosts = interceptedHosts(options.interceptHosts);
  }

  get ca(): CertificateAuthority {
    const { caDir, db } = this.options;
    return (this.authority ??= caDir ? CertificateAuthority.inDir(caDir) : db ? CertificateAuthority.inDir(dirname(db)) : CertificateAuthority.temporary());
  }

  info(url: string): InterceptionInfo {
    return { url, ...(this.proxyUrl ? { proxy: this.proxyUrl, others: this.others } : {}), ...(this.httpsUrl ? { https: this.httpsUrl } : {}), hosts: this.hosts, caFile: this.ca.certFile, caBundle: this.ca.bundleFile };
  }

  /** Starts what was asked for, beside the sandbox's own server. */
  async start(server: Server, handler: RequestListener): Promise<void> {
    const { proxyPort, httpsPort, host, log, handshakeTimeoutMs } = this.options;
    if (proxyPort !== undefined || httpsPort !== undefined) await this.ca.warm();
    if (proxyPort !== undefined) {
      const loopback = host === 'localhost' || host === '::1' || /^127\./.test(host);
      const refuse = this.options.proxyRefuseOthers || (!loopback && !this.options.proxyAllowOthers);
      this.others = refuse ? 'refuse' : 'tunnel';
      this.proxy = new InterceptionProxy({
        server,
        handler,
        ca: this.ca,
        hosts: this.hosts,
        others: this.others,
        refuseReason: this.options.proxyRefuseOthers
          ? 'this proxy was started with --proxy-refuse-others; set NO_PROXY for the hosts your code reaches besides PAYJS'
          : `this proxy listens on ${host}, beyond loopback, so it tunnels nothing but PAYJS hosts (start it with --proxy-allow-others to tunnel every host)`,
        handshakeTimeoutMs,
        log,
      });
      const port = await this.proxy.listen(proxyPort, host);
      this.proxyUrl = `http://${urlHost(host)}:${port}`;
    }
    if (httpsPort !== undefined) {
      this.tls = createTlsListener({ server, ca: this.ca, hosts: this.hosts, handshakeTimeoutMs, log });
      this.tls.on('connection', (socket) => {
        this.tlsSockets.add(socket);
        socket.once('close', () => this.tlsSockets.delete(socket));
      });
      const tls = this.tls;
      await new Promise<void>((resolve, reject) => {
        tls.once('error', reject);
        tls.listen(httpsPort, host, () => resolve());
      });
      this.httpsUrl = `https://${urlHost(host)}:${(tls.address() as { port: number }).port}`;
    }
  }

  async close(): Promise<void> {
    await this.proxy?.close();
    const tls = this.tls;
    if (tls) {
      await new Promise<void>((resolve) => {
        tls.close(() => resolve());
        for (const socket of this.tlsSockets) socket.destroy();
      });
    }
    this.authority?.dispose();
  }
}
