import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/** A server that accepts every connection and never says a word: not even a TLS handshake is answered. */
export interface SilentServer {
  /** `https://127.0.0.1:PORT`, for a kubeconfig's `server:`. */
  readonly url: string;
  /** Resolves on the next connection (a request is in flight, and will never be answered). */
  nextConnection(): Promise<void>;
  close(): Promise<void>;
}

export async function startSilentServer(): Promise<SilentServer> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    nextConnection: () => new Promise((resolve) => server.once('connection', () => resolve())),
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
