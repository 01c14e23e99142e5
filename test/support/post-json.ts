import { request, type Agent } from 'node:http';

/** POSTs JSON over a given agent (closed by the caller, so no socket outlives the test). */
export async function postJson(
  agent: Agent,
  url: string,
  body: object,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: any }> {
  const { status, body: parsed } = await postJsonWithHeaders(agent, url, body, headers);
  return { status, body: parsed };
}

/** Like postJson, with the response headers. */
export function postJsonWithHeaders(
  agent: Agent,
  url: string,
  body: object,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: any; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolvePromise, reject) => {
    const data = JSON.stringify(body);
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(data),
          ...headers,
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (text += c));
        res.on('end', () => {
          try {
            resolvePromise({
              status: res.statusCode ?? 0,
              body: text ? JSON.parse(text) : undefined,
              headers: res.headers,
            });
          } catch {
            reject(new Error(`${url}: ${res.statusCode} ${text.slice(0, 200)}`));
          }
        });
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}
