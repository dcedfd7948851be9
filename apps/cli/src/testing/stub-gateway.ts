import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request the stub gateway received (the body parsed as JSON). */
export interface SeenRequest {
  method: string;
  url: string;
  /** Recorded only when the stub does not check the key itself. */
  auth?: string;
  body?: unknown;
}

/** What the stub answers: a JSON body, `raw` text, or nothing. */
export interface StubReply {
  status: number;
  body?: unknown;
  raw?: string;
}

export interface StubGateway {
  url: string;
  /** Every request so far, in order; tests may empty it (`seen.length = 0`). */
  readonly seen: SeenRequest[];
  close(): Promise<void>;
}

/**
 * A stand-in for the gateway on a free local port, for the CLI's in-process specs: it records each
 * request and answers with `handle`. With `apiKey`, any other key gets the gateway's 401.
 */
export async function startStubGateway(handle: (req: SeenRequest) => StubReply, apiKey?: string): Promise<StubGateway> {
  const seen: SeenRequest[] = [];
  const server = createServer((req, res) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => {
      const entry: SeenRequest = { method: req.method!, url: req.url!, body: data ? JSON.parse(data) : undefined };
      const auth = req.headers.authorization;
      // The key is checked here when the stub knows it; otherwise it is recorded for the test to check.
      if (apiKey === undefined) entry.auth = auth;
      seen.push(entry);
      const reply =
        apiKey !== undefined && auth !== `Bearer ${apiKey}`
          ? { status: 401, body: { error: 'unauthorized', message: 'The API key is not valid.' } }
          : handle(entry);
      res.statusCode = reply.status;
      if (reply.raw !== undefined) return res.end(reply.raw);
      if (reply.body === undefined) return res.end();
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(reply.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
