import { readFileSync } from 'node:fs';
import { startDemo, type Demo } from '../e2e/demo-harness.js';
import { docPages } from './doc-pages.js';

/**
 * The curl sessions of the README and the docs, replayed against a fresh demo (Express, as
 * `npm start` serves it): every `$ curl` line is sent as it is written and its answer must be the
 * page's, byte for byte for JSON bodies, and by status line and the shown headers for `-i`.
 */
interface Step {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
  expected: string[];
}

function sessions(): { page: string; steps: Step[] }[] {
  const blocks = docPages().flatMap((page) =>
    [...readFileSync(page, 'utf8').matchAll(/```console\n([\s\S]*?)```/g)]
      .map((m) => m[1])
      .filter((b) => b.includes('curl -s'))
      .map((block) => ({ page, block })),
  );
  return blocks.map(({ page, block }) => {
    const steps: Step[] = [];
    const lines = block.replace(/\\\n\s*/g, '').split('\n');
    for (const line of lines) {
      if (line.startsWith('$ #')) continue;
      if (line.startsWith('$ curl')) {
        const args = [...line.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2]).slice(2);
        const step: Step = { method: 'GET', path: '', headers: {}, expected: [] };
        for (let i = 0; i < args.length; i++) {
          if (args[i] === '-X') step.method = args[++i];
          else if (args[i] === '-H') {
            const [k, ...v] = args[++i].split(':');
            step.headers[k.trim().toLowerCase()] = v.join(':').trim();
          } else if (args[i] === '-d') step.body = args[++i];
          else if (args[i].startsWith('localhost:3000'))
            step.path = args[i].slice('localhost:3000'.length);
          else if (args[i] === '|') break;
        }
        steps.push(step);
      } else if (steps.length && line.trim()) steps[steps.length - 1].expected.push(line);
    }
    return { page, steps };
  });
}

describe('the curl sessions of the README and the docs', () => {
  let demo: Demo;
  beforeEach(async () => {
    demo = await startDemo('express');
  });
  afterEach(async () => {
    await demo.close();
  });

  it('are there: the README shows a 409', () => {
    expect(sessions().some((s) => s.page === 'README.md')).toBe(true);
  });

  it.each(sessions().map((s, i) => [s.page, i + 1, s.steps] as const))(
    '%s, session %i, reproduces',
    async (_page, _n, steps) => {
      // The idempotency session starts "after creating and paying order 1".
      if (steps[0].path !== '/orders') {
        await fetch(`${demo.url}/orders`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{"total": 4200}',
        });
        await fetch(`${demo.url}/orders/1/pay`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{"amount": 4200}',
        });
      }
      for (const step of steps) {
        const res = await fetch(`${demo.url}${step.path}`, {
          method: step.method,
          headers: step.headers,
          body: step.body,
        });
        const text = await res.text();
        // What the README shows for this step, rendered from the real answer line by line: the
        // status line, the headers it names, the body. Every step shows something.
        const actual = step.expected.map((line) => {
          if (line.startsWith('HTTP/1.1')) return `HTTP/1.1 ${res.status} ${res.statusText}`;
          const header = /^([A-Za-z-]+): /.exec(line);
          if (header) return `${header[1]}: ${res.headers.get(header[1])}`;
          // A body's final newline (Apollo ends with one) is not a line of the transcript.
          return text.replace(/\n$/, '');
        });
        expect({ step: `${step.method} ${step.path}`, lines: actual }).toEqual({
          step: `${step.method} ${step.path}`,
          lines: step.expected.length ? step.expected : ['(the README shows no answer)'],
        });
      }
    },
  );
});
