/** `nestjs-transition-guard/prisma`: the Prisma stores (no Prisma package is imported at run time). */
export {
  PrismaTransitionStore,
  type PrismaTransitionStoreOptions,
  type StringField,
  type NumberField,
} from './prisma-transition-store.js';
export { PrismaIdempotencyStore } from './prisma-idempotency-store.js';
export { type PrismaClientLike, type PrismaQueries, type PrismaProvider } from './prisma-client.js';
export { isUnavailable } from '../database-failures.js';
