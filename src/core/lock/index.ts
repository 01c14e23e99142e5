export {
  lockMachine,
  formatLock,
  parseLock,
  MachineLockError,
  LOCK_FORMAT,
  type MachineLock,
} from './machine-lock.js';
export { diffLocks, formatDiff, StateMappingError, type MachineDiff } from './machine-diff.js';
export {
  exploreStoredStates,
  type ExploreOptions,
  type StoredEdge,
  type StoredStateSpace,
} from './stored-edges.js';
