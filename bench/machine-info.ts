import { cpus, totalmem } from 'node:os';

/** What the results were measured on: date, Node, CPU, memory, and the versions that matter. */
export async function machineInfo(packages: readonly string[]): Promise<Record<string, unknown>> {
  const versions: Record<string, string> = {};
  for (const name of packages) {
    versions[name] = (
      await import(`${name}/package.json`, { with: { type: 'json' } })
    ).default.version;
  }
  return {
    date: new Date().toISOString(),
    node: process.version,
    cpu: cpus()[0]?.model,
    cores: cpus().length,
    memGiB: Math.round(totalmem() / 2 ** 30),
    quick: process.env.BENCH_QUICK === '1',
    versions,
  };
}

/** One line for the top of a benchmark's output. */
export function describeMachineInfo(label: string, info: Record<string, any>): string {
  const versions = Object.entries(info.versions as Record<string, string>)
    .map(([n, v]) => `${n} ${v}`)
    .join(', ');
  return `${label} ${info.date} node ${info.node}, ${versions}, ${info.cpu} x${info.cores}${info.quick ? ' (quick)' : ''}\n`;
}
