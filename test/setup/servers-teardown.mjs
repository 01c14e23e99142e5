/** Global teardown of `npm run test:all`: stops the servers its setup started. */
import { stop } from './servers.mjs';

export default async function stopServers() {
  for (const server of globalThis.__tgServers ?? []) stop(server);
}
