import { Validator } from '@seriousme/openapi-schema-validator';
import { PLATFORMS, startDemo } from './demo-harness.js';

type Operation = {
  summary?: string;
  tags?: string[];
  requestBody?: { content: Record<string, { schema: Record<string, unknown> }> };
  responses: Record<string, { content?: Record<string, { schema: unknown; example?: unknown }> }>;
  parameters?: { name: string; in: string; required?: boolean }[];
};
type Document = {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: {
    schemas: Record<
      string,
      { properties?: Record<string, { enum?: string[]; items?: { enum?: string[] } }> }
    >;
  };
};

/** The demo's /openapi.json: a valid OpenAPI 3.1 document describing every guarded route and answer. */
describe.each(PLATFORMS)('OpenAPI for guarded routes on %s', (platform) => {
  it('validates as OpenAPI 3.1 and documents bodies, every status, enums and headers', async () => {
    const demo = await startDemo(platform);
    try {
      const res = await demo.http().get('/openapi.json').expect(200);
      const doc = res.body as Document;
      const validation = await new Validator().validate(doc as never);
      expect(validation.errors).toBeUndefined();
      expect(validation.valid).toBe(true);
      expect(doc.openapi).toBe('3.1.0');

      const pay = doc.paths['/orders/{id}/pay'].post;
      expect(pay.requestBody?.content['application/json'].schema).toMatchObject({
        type: 'object',
        properties: { amount: { type: 'integer', maximum: 1_000_000_000 } },
        required: ['amount'],
      });
      expect(Object.keys(pay.responses).sort()).toEqual([
        '200',
        '400',
        '403',
        '404',
        '409',
        '412',
        '415',
        '422',
        '503',
      ]);
      for (const status of ['400', '403', '404', '409', '412', '415', '422', '503']) {
        expect(pay.responses[status].content?.['application/json'].example).toMatchObject({
          statusCode: Number(status),
        });
      }
      expect(pay.parameters?.map((p) => `${p.in}:${p.name}`)).toEqual(
        expect.arrayContaining(['header:If-Match', 'header:Idempotency-Key']),
      );
      // The reasons and the order's events as enums.
      const illegal = doc.components.schemas['TransitionIllegal.order'].properties!;
      expect(illegal.reason.enum).toEqual([
        'final-state',
        'no-transition',
        'guard-rejected',
        'forbidden',
        'stale-state',
        'version-mismatch',
        'unknown-state',
        'database-refused',
      ]);
      expect(illegal.allowedEvents.items?.enum).toEqual([
        'PAY',
        'CANCEL',
        'SHIP',
        'REFUND',
        'DELIVER',
      ]);
      expect(doc.components.schemas.TransitionBadRequest.properties!.code.enum).toEqual(
        expect.arrayContaining([
          'INVALID_RESOURCE_ID',
          'INVALID_EVENT',
          'UNKNOWN_EVENT',
          'INVALID_PAYLOAD',
          'INVALID_PRECONDITION',
          'INVALID_IDEMPOTENCY_KEY',
        ]),
      );
      // The events each caller may send now: a schema per resource, which the read route uses.
      const allowed = doc.components.schemas['TransitionAllowedEvents.order'] as {
        type: string;
        items: { properties: Record<string, { enum?: string[] }> };
      };
      expect(allowed.type).toBe('array');
      expect(allowed.items.properties.event.enum).toEqual([
        'PAY',
        'CANCEL',
        'SHIP',
        'REFUND',
        'DELIVER',
      ]);
      expect(allowed.items.properties.reason.enum).toContain('role-required');
      expect(JSON.stringify(doc.paths['/orders/{id}'].get.responses['200'])).toContain(
        '#/components/schemas/TransitionAllowedEvents.order',
      );
      // The events route: one schema per event, discriminated by `type`.
      const events = doc.paths['/orders/{id}/events'].post.requestBody!.content['application/json']
        .schema as {
        oneOf: { properties: { type: { const: string } } }[];
        discriminator: { propertyName: string };
      };
      expect(events.discriminator.propertyName).toBe('type');
      expect(events.oneOf.map((o) => o.properties.type.const)).toEqual([
        'PAY',
        'CANCEL',
        'SHIP',
        'REFUND',
        'DELIVER',
      ]);
      // What the app declares itself stays: tags, a summary; the docs routes are left out.
      expect(doc.paths['/orders/{id}/ship'].post).toMatchObject({
        summary: 'Ship a paid order',
        tags: ['orders'],
      });
      expect(doc.paths['/docs']).toBeUndefined();
      // Every guarded route is there.
      for (const path of ['pay', 'ship', 'deliver', 'cancel', 'refund', 'events']) {
        expect(doc.paths[`/orders/{id}/${path}`].post.responses['409']).toBeDefined();
      }
      expect(doc.paths['/articles/{id}/events'].post.responses['403']).toBeDefined();
      // The reference page, from installed packages only.
      const page = await demo.http().get('/docs').expect(200);
      expect(page.text).toContain('/assets/swagger-ui-bundle.js');
      expect(page.text).not.toMatch(/https?:\/\//);
      await demo
        .http()
        .get('/assets/swagger-ui-bundle.js')
        .expect(200)
        .expect('content-type', /javascript/);
    } finally {
      await demo.close();
    }
  });

  it('answers as application/problem+json in the document when problemDetails is on', async () => {
    const demo = await startDemo(platform, { problemDetails: true });
    try {
      const doc = (await demo.http().get('/openapi.json').expect(200)).body as Document;
      const conflict = doc.paths['/orders/{id}/ship'].post.responses['409'].content!;
      expect(Object.keys(conflict)).toEqual(['application/problem+json']);
      expect((await new Validator().validate(doc as never)).valid).toBe(true);
    } finally {
      await demo.close();
    }
  });
});
