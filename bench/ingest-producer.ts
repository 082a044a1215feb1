/**
 * The HTTP producer of `bench:ingest`, in a process of its own as a real producer is: it makes the same generated
 * batches, serialises them, posts them one after another (node's HTTP client, one kept-alive connection) and answers with the events accepted and the seconds from the
 * first POST to the last answer. Serialising the batches is done before the clock starts, so the figure is the server's.
 */
import { Agent, request } from 'node:http';
import { lifecycleBatches } from './events';

/** What the parent asks. */
export interface IngestProducerCommand {
  readonly url: string;
  readonly token: string;
  readonly total: number;
  readonly batch: number;
  readonly start: number;
}

/** What the producer answers. */
export interface IngestProducerReply {
  readonly accepted: number;
  readonly secs: number;
  readonly error?: string;
}

/** Posts one body on the kept-alive connection; resolves with the status and the answer's text. */
function post(url: URL, agent: Agent, token: string, body: Buffer): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': body.length,
          authorization: `Bearer ${token}`,
        },
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(parts).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function run(m: IngestProducerCommand): Promise<IngestProducerReply> {
  // The bodies are made (and encoded) before the clock starts; they go on one kept-alive connection, as a producer's
  // HTTP client sends them. (The same loop through fetch spent about 16 ms of its own per 2,000-event batch, which the
  // server spent waiting: a third of the run.)
  const bodies = [...lifecycleBatches(m.total, m.batch, m.start, 'h')].map((events) =>
    Buffer.from(JSON.stringify({ space: 'live', events })),
  );
  const url = new URL(m.url);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const t0 = performance.now();
  let accepted = 0;
  try {
    for (const body of bodies) {
      const res = await post(url, agent, m.token, body);
      if (res.status !== 200) throw new Error(`batch refused: ${res.status} ${res.text.slice(0, 300)}`);
      accepted += (JSON.parse(res.text) as { accepted?: number }).accepted ?? 0;
    }
  } finally {
    agent.destroy();
  }
  return { accepted, secs: (performance.now() - t0) / 1000 };
}

process.once('message', (m: IngestProducerCommand) => {
  run(m).then(
    (r) => process.send?.(r),
    (err: unknown) => process.send?.({ accepted: 0, secs: 0, error: String(err) } satisfies IngestProducerReply),
  );
});
process.on('disconnect', () => process.exit(0));
