// A local HTTP server for connector tests: records requests, answers with scripted responses.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  json: unknown;
}

export interface Reply {
  status: number;
  headers?: Record<string, string>;
  body?: string | object;
}

export interface TestHttp {
  url: string;
  requests: RecordedRequest[];
  /** Answer the next request with this reply (queued, first in first out). */
  replyNext(reply: Reply): void;
  close(): Promise<void>;
}

/**
 * Starts a server on 127.0.0.1; `handler` answers requests that have no scripted reply and may
 * check the request (return a reply). Replies are JSON when the body is an object.
 */
export async function testHttp(handler: (req: RecordedRequest) => Reply | Promise<Reply>): Promise<TestHttp> {
  const requests: RecordedRequest[] = [];
  const queue: Reply[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: unknown;
      try {
        json = body ? JSON.parse(body) : undefined;
      } catch {
        json = undefined;
      }
      const rec: RecordedRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body,
        json,
      };
      requests.push(rec);
      Promise.resolve(queue.shift() ?? handler(rec))
        .then((reply) => {
          const isJson = typeof reply.body === 'object';
          res.writeHead(reply.status, {
            ...(isJson ? { 'content-type': 'application/json; charset=utf-8' } : {}),
            ...reply.headers,
          });
          res.end(isJson ? JSON.stringify(reply.body) : (reply.body ?? ''));
        })
        .catch((err: Error) => {
          res.writeHead(500);
          res.end(err.message);
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    replyNext: (r) => queue.push(r),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface HungHttp {
  url: string;
  /** Resolves when the first request arrives. */
  arrived: Promise<void>;
  /** Resolves when the client drops that request's connection (it gave up). */
  dropped: Promise<void>;
  close(): Promise<void>;
}

/** A server that takes requests and never answers: a hung vendor API. */
export async function hungHttp(): Promise<HungHttp> {
  let arrive = () => {};
  let drop = () => {};
  const arrived = new Promise<void>((r) => {
    arrive = r;
  });
  const dropped = new Promise<void>((r) => {
    drop = r;
  });
  const server: Server = createServer((req) => {
    req.socket.on('close', drop);
    req.resume();
    arrive();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    arrived,
    dropped,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
