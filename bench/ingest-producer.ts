/**
 * The HTTP producer of `bench:ingest`, in a process of its own as a real producer is: it makes the same generated
 * batches, serialises them, posts them one after another and answers with the events accepted and the seconds from the
 * first POST to the last answer. Serialising the batches is done before the clock starts, so the figure is the server's.
 */
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

async function run(m: IngestProducerCommand): Promise<IngestProducerReply> {
  const bodies = [...lifecycleBatches(m.total, m.batch, m.start, 'h')].map((events) =>
    JSON.stringify({ space: 'live', events }),
  );
  const t0 = performance.now();
  let accepted = 0;
  for (const body of bodies) {
    const res = await fetch(m.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${m.token}` },
      body,
    });
    const answer = (await res.json()) as { accepted?: number };
    if (res.status !== 200) throw new Error(`batch refused: ${res.status} ${JSON.stringify(answer).slice(0, 300)}`);
    accepted += answer.accepted ?? 0;
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
