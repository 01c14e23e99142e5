/**
 * `nestjs-transition-guard/prisma`: the Prisma stores (no Prisma package is imported at run time).
 *
 * @module nestjs-transition-guard/prisma
 */
export {
  PrismaTransitionStore,
  PrismaIdempotencyStore,
  PrismaOutboxStore,
  PrismaTimerStore,
  type PrismaTransitionStoreOptions,
} from './prisma-stores.js';
export { type PrismaClientLike, type PrismaQueries, type PrismaProvider } from './prisma-client.js';
import { isUnavailable as isStoreUnavailable } from '../database-failures.js';

/**
 * @deprecated Import `isUnavailable` from `nestjs-transition-guard/store`; this re-export goes in
 * 0.3.0.
 * @example
 * import { isUnavailable } from 'nestjs-transition-guard/store';
 */
export const isUnavailable = isStoreUnavailable;
// eslint-disable-next-line @typescript-eslint/no-deprecated -- kept for 0.1's imports until 0.3.0
export type { StringField, NumberField } from '../sql/sql-transition-store.js';
