import { gzipSync } from 'node:zlib';
import { PLATFORMS, startDemo, type Demo } from './demo-harness.js';

/**
 * One error format app-wide, for errors raised before the library runs: a body the platform's
 * parser refuses (body-parser on Express, the content parser on Fastify) is answered by
 * `AppErrorFilter` with a `code`, in plain JSON or RFC 9457 form as configured, and nothing is
 * created.
 */
interface Case {
  readonly name: string;
  readonly body: string | Uint8Array<ArrayBuffer>;
  readonly headers: Record<string, string>;
  readonly status: number;
  readonly code: string;
}

const json = { 'content-type': 'application/json' };
const common: Case[] = [
  { name: 'invalid JSON', body: '{"total":', headers: json, status: 400, code: 'INVALID_BODY' },
  {
    name: 'a body over the limit',
    body: JSON.stringify({ total: 1, pad: 'x'.repeat(2_000_000) }),
    headers: json,
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
  },
];
const byPlatform: Record<(typeof PLATFORMS)[number], Case[]> = {
  express: [
    { name: 'JSON null', body: 'null', headers: json, status: 400, code: 'INVALID_BODY' },
    {
      name: 'gzip that does not decompress',
      body: new Uint8Array(Buffer.from('not gzip')),
      headers: { ...json, 'content-encoding': 'gzip' },
      status: 400,
      code: 'INVALID_BODY',
    },
    {
      name: 'an encoding it does not read',
      body: '{"total":5}',
      headers: { ...json, 'content-encoding': 'compress' },
      status: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
    },
    {
      name: 'a charset it does not read',
      body: '{"total":5}',
      headers: { 'content-type': 'application/json; charset=latin9' },
      status: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
    },
  ],
  fastify: [
    {
      name: 'gzip (Fastify does not decompress)',
      body: new Uint8Array(gzipSync('{"total":5}')),
      headers: { ...json, 'content-encoding': 'gzip' },
      status: 400,
      code: 'INVALID_BODY',
    },
    {
      name: 'a media type it has no parser for',
      body: '<total>5</total>',
      headers: { 'content-type': 'application/xml' },
      status: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
    },
  ],
};

describe.each(PLATFORMS)('body parser errors on %s', (platform) => {
  const cases = [...common, ...byPlatform[platform]];

  describe.each([false, true])('problemDetails: %s', (problemDetails) => {
    let demo: Demo;
    beforeAll(async () => {
      demo = await startDemo(platform, { problemDetails });
    });
    afterAll(async () => {
      await demo.close();
    });

    it.each(cases.map((c) => [c.name, c] as const))('%s: a 4xx with a code', async (_n, c) => {
      const res = await fetch(`${demo.url}/orders`, {
        method: 'POST',
        headers: c.headers,
        body: c.body,
      });
      const body = (await res.json()) as Record<string, unknown>;
      expect({ status: res.status, code: body.code }).toEqual({ status: c.status, code: c.code });
      expect(body.message ?? body.detail).toEqual(expect.stringMatching(/\. Send /));
      if (problemDetails) {
        expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        expect(body).toMatchObject({ status: c.status, type: expect.stringContaining(':') });
      } else {
        expect(res.headers.get('content-type')).toMatch(/^application\/json/);
        expect(body.statusCode).toBe(c.status);
      }
      // Nothing was created.
      const list = (await (await fetch(`${demo.url}/orders`)).json()) as unknown[];
      expect(list).toEqual([]);
    });

    it('gives other routes\u2019 own HttpExceptions a code too', async () => {
      const res = await fetch(`${demo.url}/machines/nope`);
      expect(res.status).toBe(404);
      expect(((await res.json()) as { code?: string }).code).toBe('MACHINE_NOT_FOUND');
      const unknown = await fetch(`${demo.url}/no-such-route`);
      expect(unknown.status).toBe(404);
      expect(((await unknown.json()) as { code?: string }).code).toBe('NOT_FOUND');
    });
  });
});
