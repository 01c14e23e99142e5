import { copyFileSync, renameSync, rmSync } from 'node:fs';
import request from 'supertest';
import { generatedClient } from '../support/prisma-client.js';
import { demoFleet } from '../support/demo-fleet.js';
import { freshPlace } from '../support/places.js';

/**
 * The demo's SQLite file (WAL mode) removed or replaced while the process runs, on every ORM:
 * SQLite itself keeps writing to the file it has open, so without a check every PAY would
 * answer 200 and be gone at the next start. The stores compare the file's inode on each call
 * and answer 503 from then on.
 */
const ORMS = ['typeorm', 'prisma', 'drizzle', 'mikro-orm'] as const;
const FAULTS = ['removed', 'replaced'] as const;
const CASES = ORMS.flatMap((orm) => FAULTS.map((fault) => [orm, fault] as const));
const demoOf = demoFleet(CASES, async ([orm, fault]) => {
  if (orm === 'prisma') generatedClient('sqlite');
  const place = await freshPlace('sqlite', `tg_file_${orm.replace('-', '_')}_${fault}`);
  return { place, env: { SQLITE_FILE: place.where, ORM: orm } };
});

describe.each(CASES)('ORM=%s, the SQLite file %s under the process', (orm, fault) => {
  it('answers 503 for every PAY after, never a 200 for a lost write', async () => {
    const { demo, place } = demoOf(orm, fault);
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
