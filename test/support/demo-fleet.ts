import { startDemoProcess, stopDemoProcess, pool, type DemoProcess } from './processes.js';
import type { Place } from './places.js';

/** A demo process of a suite's case: its database, and what it printed since it started. */
export interface FleetMember {
  readonly demo: DemoProcess;
  readonly place: Place;
  /** Its stdout and stderr, chunk by chunk (a suite may clear it between tests). */
  readonly log: string[];
}

/**
 * A demo started, up to three times: on a starved machine (a shared 2-core VM, other suites
 * booting) its first connection can miss the demo's 2 s connect timeout and end the boot.
 */
async function bootWithRetries(env: Record<string, string>): Promise<DemoProcess> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startDemoProcess(env);
    } catch (err) {
      if (attempt === 3) throw err;
    }
  }
}

/** How many demo processes boot at once: each takes a core for seconds. */
const BOOTING_AT_ONCE = 3;

/**
 * One demo process per case, each on a database of its own: started in `beforeAll`, a few at
 * a time (more at once starve the database servers of a 2-core machine, whose handshakes then
 * time out), and stopped, with their databases dropped, in `afterAll`. `prepare` gives a case
 * its database, the demo's environment and anything else the suite needs (a proxy, say), and
 * what to close after. Returns the member of a case.
 */
export function demoFleet<C extends readonly string[], X extends object = object>(
  cases: readonly C[],
  prepare: (c: C) => Promise<{
    place: Place;
    env: Record<string, string>;
    extra?: X;
    close?: () => Promise<void>;
  }>,
): (...c: C) => FleetMember & X {
  const members = new Map<string, FleetMember & X & { close?: () => Promise<void> }>();
  beforeAll(async () => {
    await pool(
      cases.map((c) => async () => {
        const { place, env, extra, close } = await prepare(c);
        const demo = await bootWithRetries(env);
        const log: string[] = [];
        const keep = (chunk: Buffer) => log.push(chunk.toString());
        demo.child.stdout?.on('data', keep);
        demo.child.stderr?.on('data', keep);
        members.set(c.join(' '), { ...(extra as X), demo, place, log, close });
      }),
      BOOTING_AT_ONCE,
    );
  }, 300_000);
  afterAll(async () => {
    for (const { demo, place, close } of members.values()) {
      await stopDemoProcess(demo);
      await close?.();
      await place.drop();
    }
  });
  return (...c) => {
    const member = members.get(c.join(' '));
    if (!member) throw new Error(`no demo for ${c.join(' ')}: its start failed (see beforeAll)`);
    return member;
  };
}
