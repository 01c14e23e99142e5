export type {
  TransitionStore,
  StoredResource,
  ExpectedState,
  TransitionRecord,
  CompareAndSetOptions,
} from './transition-store.interface.js';
export { MemoryTransitionStore } from './memory-transition-store.js';
export {
  StoreUnavailableError,
  ForbiddenChangesError,
  assertChangesAllowed,
} from './store-errors.js';
