/**
 * The producer of `bench:fanout`, in a process of its own as a real producer is: it posts what the parent asks over
 * HTTP (node:http on a kept-alive connection, the leanest client Node has) and answers with the instant (ms since the
 * epoch, sub-ms) just before the POST, the status and the body. The server's process then pays for the request as it
 * would for any producer's, not for an HTTP client beside it.
 */
import { Agent, request } from 'node:http';
import { clockMs } from './clock';

/** What the parent asks: one POST. */
export interface ProducerCommand {
  readonly url: string;
  readonly token: string;
  readonly body: string;
}

/** What the producer answers. */
export interface ProducerReply {
  readonly t0: number;
  readonly status: number;
  readonly body: string;
}

const agent = new Agent({ keepAlive: true, maxSockets: 1 });

function post(m: ProducerCommand, t0: number): Promise<ProducerReply> {
  return new Promise((resolve) => {
    const req = request(
      m.url,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(m.body),
          authorization: `Bearer ${m.token}`,
        },
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (b: Buffer) => parts.push(b));
        res.on('end', () => resolve({ t0, status: res.statusCode ?? 0, body: Buffer.concat(parts).toString('utf8') }));
      },
    );
    req.on('error', (err) => resolve({ t0, status: 0, body: String(err) }));
    req.end(m.body);
  });
}

process.on('message', (m: ProducerCommand) => {
  void post(m, clockMs()).then((r) => process.send?.(r));
});
process.on('disconnect', () => process.exit(0));
