import { copyFileSync, renameSync, rmSync } from 'node:fs';
import request from 'supertest';
import { generatedClient } from '../support/prisma-client.js';
import { startDemoProcess, stopDemoProcess, type DemoProcess } from '../support/processes.js';
import { freshPlace, type Place } from '../support/places.js';

/**
 * The demo's SQLite file (WAL mode) removed or replaced while the process runs, on every ORM:
 * SQLite itself keeps writing to the file it has open, so without a check every PAY would
 * answer 200 and be gone at the next start. The stores compare the file's inode on each call
 * and answer 503 from then on.
 */
const ORMS = ['typeorm', 'prisma', 'drizzle', 'mikro-orm'] as const;
const FAULTS = ['removed', 'replaced'] as const;
const CASES = ORMS.flatMap((orm) => FAULTS.map((fault) => [orm, fault] as const));
const demos = new Map<string, { demo: DemoProcess; place: Place }>();

beforeAll(async () => {
  generatedClient('sqlite');
  await Promise.all(
    CASES.map(async ([orm, fault]) => {
      const place = await freshPlace('sqlite', `tg_file_${orm.replace('-', '_')}_${fault}`);
      const demo = await startDemoProcess({ SQLITE_FILE: place.where, ORM: orm });
      demos.set(`${orm} ${fault}`, { demo, place });
    }),
  );
}, 180_000);
afterAll(async () => {
  for (const { demo, place } of demos.values()) {
    await stopDemoProcess(demo);
    await place.drop();
  }
});

describe.each(CASES)('ORM=%s, the SQLite file %s under the process', (orm, fault) => {
  it('answers 503 for every PAY after, never a 200 for a lost write', async () => {
    const { demo, place } = demos.get(`${orm} ${fault}`)!;
    const http = () => request(demo.url);
    const first = String((await http().post('/orders').send({ total: 100 }).expect(201)).body.id);
    const second = String((await http().post('/orders').send({ total: 100 }).expect(201)).body.id);
    const pay = (id: string) =>
      http().post(`/orders/${id}/pay`).set('X-User-Id', 'ann').send({ amount: 100 });
    await pay(first).expect(200); // the store has seen its file
    if (fault === 'removed') {
      for (const suffix of ['', '-wal', '-shm']) rmSync(place.where + suffix, { force: true });
    } else {
      copyFileSync(place.where, `${place.where}.copy`);
      renameSync(`${place.where}.copy`, place.where);
    }
    for (const attempt of [1, 2]) {
      const res = await pay(second);
      expect({ attempt, status: res.status, body: res.body as unknown }).toMatchObject({
        attempt,
        status: 503,
        body: { code: 'STORE_UNAVAILABLE', outcome: 'not-applied' },
      });
    }
  }, 30_000);
});
