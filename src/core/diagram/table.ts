import type { MachineDescription } from '../machine-description.js';

/**
 * A Markdown table, states by events: each cell the target (with its guard in brackets), several
 * candidates separated by ` / `, blank where the state does not handle the event.
 *
 * @example
 * toMarkdownTable(createValidator(orderMachine).describe());
 */
export function toMarkdownTable(description: MachineDescription): string {
  const events = description.events;
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  const rows = description.states.map((s) => {
    const cells = events.map((event) =>
      description.transitions
        .filter((t) => t.from === s.path && t.event === event)
        .map(
          (t) =>
            `${t.forbidden ? '(forbidden)' : t.to.length ? t.to.join(', ') : '(stays)'}${t.guard ? ` [${t.guard}]` : ''}`,
        )
        .join(' / '),
    );
    const name = s.type === 'final' ? `${s.path} (final)` : s.path;
    return `| ${cell(name)} | ${cells.map(cell).join(' | ')} |`;
  });
  return [
    `| state | ${events.map(cell).join(' | ')} |`,
    `|---|${events.map(() => '---').join('|')}|`,
    ...rows,
  ].join('\n');
}
