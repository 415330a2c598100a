/**
 * Listening for DICOM over TLS (for our Storage SCP): `node:tls`'s server, which can ask for
 * and verify client certificates (`Deno.listenTls` cannot), with Nagle's algorithm off on each
 * connection. Each connection whose handshake succeeded is handed out as a {@link Transport}.
 *
 * @module
 */

import type { Transport, TransportListener } from "../transport.ts";
import { loadTls, type TlsServerOptions } from "./options.ts";
import { SocketTransport } from "./socket.ts";

/**
 * Listens on `hostname:port` (port 0: any free one) for TLS connections; resolves once it
 * listens. Handshake failures (a client without an acceptable certificate, say) go to
 * `onHandshakeError` and never reach {@link TransportListener.accept}.
 *
 * @example
 * ```ts ignore
 * import { listenTls } from "./server.ts";
 * const l = await listenTls({ hostname: "127.0.0.1", port: 0 }, {
 *   certFile: "scp.pem",
 *   keyFile: "scp.key",
 * });
 * console.log(l.port);
 * l.close();
 * ```
 */
export async function listenTls(
  where: { hostname: string; port: number },
  settings: TlsServerOptions,
  onHandshakeError?: (err: Error) => void,
): Promise<TransportListener> {
  const loaded = await loadTls(settings, "server");
  const nodeTls = await import("node:tls");
  const requireCert = settings.requireClientCert === true;
  const ready: Transport[] = [];
  let waiter: ((t: Transport | null) => void) | undefined;
  let closed = false;
  const server = nodeTls.createServer({
    cert: loaded.cert,
    key: loaded.key,
    ca: loaded.caCerts.length > 0 ? loaded.caCerts : undefined,
    requestCert: requireCert || loaded.caCerts.length > 0,
    rejectUnauthorized: requireCert,
    minVersion: "TLSv1.2",
  }, (sock) => {
    sock.setNoDelay(true);
    const t = new SocketTransport(sock, (e) => e);
    if (waiter) {
      const w = waiter;
      waiter = undefined;
      w(t);
    } else ready.push(t);
  });
  server.on("tlsClientError", (err: Error) => onHandshakeError?.(err));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(where.port, where.hostname, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : where.port;
  return {
    port,
    hostname: where.hostname,
    accept(): Promise<Transport | null> {
      const t = ready.shift();
      if (t) return Promise.resolve(t);
      if (closed) return Promise.resolve(null);
      return new Promise((resolve) => waiter = resolve);
    },
    close(): void {
      if (closed) return;
      closed = true;
      server.close();
      for (const t of ready.splice(0)) t.close();
      const w = waiter;
      waiter = undefined;
      w?.(null);
    },
  };
}
