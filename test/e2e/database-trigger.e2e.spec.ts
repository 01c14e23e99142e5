import { DataSource } from 'typeorm';
import { lockMachine, type MachineLock } from '../../src/core/index.js';
import { machineTriggerStatements } from '../../src/store/index.js';
import { orderMachine } from '../../machines/order.machine.js';
import { PLATFORMS, startDemo, type Demo } from './demo-harness.js';

/**
 * A machine trigger in the database that the app's machine has outgrown (installed from the
 * lock of a deploy before paid -> shipped existed): the write it refuses answers 409
 * `database-refused`, the row stays as it was, and the mismatch is logged for the team.
 */
describe.each(PLATFORMS)('a machine trigger that refuses a commit, on %s', (platform) => {
  let demo: Demo;
  const logged: string[] = [];
  beforeAll(async () => {
    demo = await startDemo(platform);
    const current = lockMachine(orderMachine);
    const older: MachineLock = {
      ...current,
      edges: current.edges.filter((e) => !(e.from === 'paid' && e.to === 'shipped')),
    };
    const db = demo.app.get(DataSource);
    const trigger = machineTriggerStatements('sqlite', older, {
      resource: 'order',
      table: 'orders',
      id: 'id',
      state: 'status',
      version: 'version',
    });
    for (const statement of trigger.install) await db.query(statement);
    demo.app.useLogger({
      error: (m: unknown) => logged.push(String(m)),
      log() {},
      warn() {},
      debug() {},
      verbose() {},
      fatal() {},
    });
  });
  afterAll(async () => {
    await demo.close();
  });

  it('answers 409 database-refused and changes nothing; an edge the trigger has still commits', async () => {
    const { id } = (await demo.http().post('/orders').send({ total: 100 }).expect(201)).body as {
      id: number;
    };
    await demo.http().post(`/orders/${id}/pay`).send({ amount: 100 }).expect(200);
    const res = await demo
      .http()
      .post(`/orders/${id}/ship`)
      .send({ carrier: 'UPS', trackingNumber: '1Z999' })
      .expect(409);
    expect(res.body).toMatchObject({
      code: 'ILLEGAL_TRANSITION',
      reason: 'database-refused',
      currentState: 'paid',
      event: 'SHIP',
      message: expect.stringContaining(
        `the database's trigger for machine of 'order' does not allow 'paid' -> 'shipped'`,
      ),
    });
    expect(logged.join('\n')).toContain(`order ${id}: the database's machine trigger refused SHIP`);
    const [row] = await demo.app
      .get(DataSource)
      .query(`SELECT status, version FROM orders WHERE id = ?`, [id]);
    expect(row).toEqual({ status: 'paid', version: 1 });
    await demo.http().post(`/orders/${id}/cancel`).send({}).expect(200);
  });
});
