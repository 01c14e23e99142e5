/**
 * `nestjs-transition-guard`: the NestJS module, decorators, guard, service and errors; the stores'
 * interfaces and in-memory stores; the HTTP helpers; the outbox relay; and the core validator (also at
 * `nestjs-transition-guard/core`, without NestJS).
 */
export * from './core/index.js';
export * from './nest/index.js';
export * from './store/index.js';
export * from './http/index.js';
export * from './outbox/index.js';
