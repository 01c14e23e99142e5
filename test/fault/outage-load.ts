import { Agent } from 'node:http';
import { postJson } from '../support/post-json.js';

/** One Idempotency-Key's story: every status it got, until an answer that is not a 5xx. */
export interface KeyOutcome {
  readonly order: number;
  readonly key: string;
  readonly statuses: number[];
  readonly final: number;
}

/**
 * Sends one PAY of 1 per key, `concurrency` at a time, each retried with its key after a 5xx or a
 * 409 request-in-progress (as the protocol tells a client to), 100 ms apart, until an answer that is not a 5xx or `maxTries`.
 * `during` runs once `startAfter` keys have finished: the outage.
 */
export async function payWithRetries(options: {
  url: string;
  orders: readonly number[];
  keys: number;
  concurrency: number;
  maxTries: number;
  startAfter: number;
  during: () => Promise<void>;
}): Promise<{ outcomes: KeyOutcome[]; outage: Promise<void> }> {
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
  const outcomes: KeyOutcome[] = [];
  let done = 0;
  let outage: Promise<void> = Promise.resolve();
  let next = 0;
  const worker = async () => {
    while (next < options.keys) {
      const i = next++;
      const order = options.orders[i % options.orders.length];
      const key = `pay-${i}`;
      const statuses: number[] = [];
      for (let attempt = 0; attempt < options.maxTries; attempt++) {
        const { status, code } = await postJson(
          agent,
          `${options.url}/orders/${order}/pay`,
          { amount: 1 },
          { 'idempotency-key': key, 'x-user-id': 'load' },
        ).then(
          (r) => ({ status: r.status, code: (r.body as { code?: string } | undefined)?.code }),
          () => ({ status: 599, code: undefined }), // the connection failed: retried like a 5xx
        );
        statuses.push(status);
        // 409 REQUEST_IN_PROGRESS: another attempt holds the key (or its lease): retry later too.
        if (status < 500 && code !== 'REQUEST_IN_PROGRESS') break;
        await new Promise((r) => setTimeout(r, 100));
      }
      outcomes.push({ order, key, statuses, final: statuses[statuses.length - 1] });
      if (++done === options.startAfter) outage = options.during();
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  await outage;
  agent.destroy();
  return { outcomes, outage };
}
