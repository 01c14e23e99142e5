import type { INestApplication } from '@nestjs/common';
import type request from 'supertest';
import { InvoiceStore, invoiceModule } from './apps/invoice-app.js';
import { listen, PLATFORMS } from './module-harness.js';

/** ETag / If-Match (RFC 9110 section 13) and expectedVersion, on the small invoice app. */
describe.each(PLATFORMS)('preconditions on %s', (platform) => {
  let app: INestApplication;
  let http: () => ReturnType<typeof request>;
  let rows: InvoiceStore;
  beforeAll(async () => {
    ({ app, http } = await listen(invoiceModule(), platform));
    rows = app.get(InvoiceStore);
  });
  afterAll(async () => {
    await app.close();
  });
  let next = 0;
  /** An open invoice at version 1. */
  const invoiceAtV1 = () => {
    const id = String(++next);
    rows.insert(id, { state: 'open', context: { total: 100, paid: 0 }, version: 1 });
    return id;
  };
  const voidIt = (id: string) => http().post(`/invoices/${id}/void`);

  it('sends the new ETag after a transition', async () => {
    const id = invoiceAtV1();
    const res = await voidIt(id).set('If-Match', '"v1"').send({}).expect(200);
    expect(res.headers.etag).toBe('"v2"');
  });

  it('answers 412 with the current ETag and state when If-Match is stale, and changes nothing', async () => {
    const id = invoiceAtV1();
    const res = await voidIt(id).set('If-Match', '"v0", W/"v1"').send({}).expect(412);
    expect(res.headers.etag).toBe('"v1"');
    expect(res.body).toEqual({
      statusCode: 412,
      error: 'Precondition Failed',
      code: 'PRECONDITION_FAILED',
      message: `invoice ${id} is no longer at the version If-Match names (now "v1"); refetch and retry`,
      resource: 'invoice',
      id,
      currentState: 'open',
      etag: '"v1"',
    });
    expect(rows.rows.get(id)).toMatchObject({ state: 'open', version: 1 });
  });

  it('accepts If-Match: * for any existing resource and refuses a malformed one with 400', async () => {
    const id = invoiceAtV1();
    expect((await voidIt(id).set('If-Match', 'v1').send({}).expect(400)).body.code).toBe(
      'INVALID_PRECONDITION',
    );
    await voidIt('99999').set('If-Match', '*').send({}).expect(404);
    await voidIt(id).set('If-Match', '*').send({}).expect(200);
  });

  it('answers 409 version-mismatch for a stale expectedVersion in the body, and accepts a current one', async () => {
    const id = invoiceAtV1();
    const res = await voidIt(id).send({ expectedVersion: 0 }).expect(409);
    expect(res.body).toMatchObject({
      reason: 'version-mismatch',
      currentState: 'open',
      allowedEvents: ['PAY', 'VOID'],
    });
    expect(rows.rows.get(id)).toMatchObject({ state: 'open', version: 1 });
    await voidIt(id).send({ expectedVersion: 1 }).expect(200);
  });

  it('answers 412 instead of retrying when the pinned version moves between check and write', async () => {
    const id = invoiceAtV1();
    const original = rows.compareAndSet.bind(rows);
    // Another request commits first, right between this one's check and its write.
    rows.compareAndSet = (...args) => {
      rows.compareAndSet = original;
      rows.insert(id, { state: 'open', context: { total: 100, paid: 5 }, version: 2 });
      return original(...args);
    };
    const res = await voidIt(id).set('If-Match', '"v1"').send({}).expect(412);
    expect(res.headers.etag).toBe('"v2"');
    expect(rows.rows.get(id)).toMatchObject({ state: 'open', version: 2 });
  });
});
