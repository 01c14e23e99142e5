/** `nestjs-transition-guard/prisma`: the Prisma stores (no Prisma package is imported at run time). */
export {
  PrismaTransitionStore,
  PrismaIdempotencyStore,
  PrismaOutboxStore,
  type PrismaTransitionStoreOptions,
} from './prisma-stores.js';
export { type StringField, type NumberField } from '../sql/sql-transition-store.js';
export { type PrismaClientLike, type PrismaQueries, type PrismaProvider } from './prisma-client.js';
export { isUnavailable } from '../database-failures.js';
