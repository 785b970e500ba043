/**
 * A loopback HTTP server that answers every request with a body far larger than any bound,
 * generated on the fly (one 64 KiB chunk written again and again, with backpressure), and counts
 * what it managed to write before the client hung up: the ground truth of how much was read.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface HugeAnswer {
  status: number;
  /** Bytes of the whole body (e.g. 200 MB). */
  bytes: number;
  /** Declare Content-Length (else chunked). */
  declareLength?: boolean;
  /** The body's first bytes (the rest is filler). */
  prefix?: string;
}

export interface HugeServer {
  url: string;
  server: Server;
  /** Requests answered so far. */
  hits: () => number;
  /** Body bytes the server wrote, over all answers (the kernel's socket buffers included). */
  written: () => number;
  /** Answers whose body was written to the end (nobody should read one whole). */
  completed: () => number;
  close: () => Promise<void>;
}

export async function hugeServer(answer: (n: number, path: string) => HugeAnswer): Promise<HugeServer> {
  const chunk = Buffer.alloc(64 * 1024, "x");
  let hits = 0;
  let written = 0;
  let completed = 0;
  const server = createServer((req, res) => {
    req.resume();
    const a = answer(++hits, req.url ?? "");
    res.writeHead(a.status, { "content-type": "application/json", ...(a.declareLength ? { "content-length": String(a.bytes) } : {}) });
    let left = a.bytes;
    let closed = false;
    res.on("close", () => (closed = true));
    const pump = () => {
      while (!closed && left > 0) {
        const head = left === a.bytes && a.prefix ? Buffer.from(a.prefix) : null;
        const piece = head ?? chunk.subarray(0, Math.min(chunk.length, left));
        left -= piece.length;
        written += piece.length;
        if (!res.write(piece)) return void res.once("drain", pump);
      }
      if (!closed && left <= 0) {
        completed++;
        res.end();
      }
    };
    pump();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    server,
    hits: () => hits,
    written: () => written,
    completed: () => completed,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

export const MB = 1024 * 1024;
