import { ConsoleLogger, Logger, type LoggerService } from '@nestjs/common';

/**
 * Collects what Nest's loggers print instead of printing it, so that a test that provokes an
 * error asserts on the logged message and the run stays quiet. Call `restore()` when done.
 */
export function captureLogs(): { lines: string[]; restore: () => void } {
  const lines: string[] = [];
  const keep = (level: string) => (message: unknown) => {
    lines.push(`${level} ${String(message)}`);
  };
  const capture: LoggerService = {
    log: keep('log'),
    error: keep('error'),
    warn: keep('warn'),
    debug: keep('debug'),
    verbose: keep('verbose'),
  };
  Logger.overrideLogger(capture);
  return { lines, restore: () => Logger.overrideLogger(new ConsoleLogger()) };
}
