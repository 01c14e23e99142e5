/**
 * `nestjs-transition-guard/testing`: Jest matchers for machines, a testing module with memory
 * stores seeded in given states, and a model-based contract test of a live HTTP API.
 *
 * @module nestjs-transition-guard/testing
 */
export {
  transitionMatchers,
  type FromState,
  type MatcherResult,
  type TransitionMatchers,
} from './matchers.js';
export {
  transitionTestingModule,
  testingStoreToken,
  advanceTime,
  type SeedRows,
} from './testing-module.js';
export {
  verifyHttpContract,
  type HttpContractOptions,
  type HttpAnswer,
  type ContractEvent,
  type ContractReport,
  type ContractMismatch,
} from './http-contract.js';
