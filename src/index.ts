/**
 * `nestjs-transition-guard`: the NestJS module, decorator and guard, plus everything from
 * `nestjs-transition-guard/core`.
 */
export * from './core/index.js';
export * from './nest/index.js';
export * from './store/index.js';
export * from './http/index.js';
