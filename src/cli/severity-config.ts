import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import type { FindingCode } from '../core/index.js';
import type { SeverityOverrides } from './check-command.js';
import { CliInputError } from './load-machine-file.js';

/** Where `transition-guard check` looks for its configuration by default. */
export const CONFIG_FILE = 'transition-guard.json';

const CODES = [
  'schema',
  'forbidden-key',
  'unknown-target',
  'unknown-initial',
  'missing-initial',
  'unknown-guard',
  'unknown-action',
  'duplicate-id',
  'invalid-payload-schema',
  'load-error',
  'orphan-payload',
  'unreachable-state',
  'dead-end',
  'unused-event',
  'lock-outdated',
  'lock-missing',
  'timers-without-store',
] as const satisfies readonly FindingCode[];

const level = z.enum(['error', 'warning', 'off']);
const configSchema = z.strictObject({
  severity: z.partialRecord(z.enum(CODES), level).optional(),
});

/**
 * Severities from the config file (`transition-guard.json`, or `--config`), then from
 * `--severity code=level` flags, which win. A bad file or flag is a one-line input error.
 */
export function readSeverities(options: {
  config?: string;
  flags?: readonly string[];
}): SeverityOverrides {
  const out: Partial<Record<FindingCode, 'error' | 'warning' | 'off'>> = {};
  const file = options.config ?? (existsSync(CONFIG_FILE) ? CONFIG_FILE : undefined);
  if (file) {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new CliInputError(`${file}: not readable JSON (${(err as Error).message})`);
    }
    const parsed = configSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new CliInputError(
        `${file}: ${issue.path.join('.') || '(root)'}: ${issue.message} (expected { "severity": { "<finding>": "error" | "warning" | "off" } }; findings: ${CODES.join(', ')})`,
      );
    }
    Object.assign(out, parsed.data.severity);
  }
  for (const flag of options.flags ?? []) {
    const [code, value] = flag.split('=');
    const parsedLevel = level.safeParse(value);
    if (!(CODES as readonly string[]).includes(code) || !parsedLevel.success) {
      throw new CliInputError(
        `--severity ${flag}: expected <finding>=error|warning|off (findings: ${CODES.join(', ')})`,
      );
    }
    out[code as FindingCode] = parsedLevel.data;
  }
  return out;
}
