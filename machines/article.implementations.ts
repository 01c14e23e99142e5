import { fileURLToPath } from 'node:url';
import {
  loadMachineDefinitionFile,
  type MachineImplementations,
} from 'nestjs-transition-guard/core';

/** What an article row carries that the article machine's guards read. */
export interface ArticleContext {
  wordCount: number;
  legalHold: boolean;
}

/**
 * Implementations of the guard names `article.machine.json` uses. The CLI finds them here: for
 * `X.machine.json` it loads `X.implementations.ts` and reads its `implementations` export.
 */
export const articleImplementations = {
  guards: {
    hasContent: ({ context }) => context.wordCount > 0,
    underLegalHold: ({ context }) => context.legalHold,
  },
} satisfies MachineImplementations<ArticleContext>;

export const implementations = articleImplementations;

/** The article machine, loaded from its JSON definition beside this file. */
export const articleMachine = loadMachineDefinitionFile(
  fileURLToPath(new URL('./article.machine.json', import.meta.url)),
  articleImplementations,
).machine;
