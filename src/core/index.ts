/**
 * `nestjs-transition-guard/core`: the framework-free transition validator. No NestJS imports
 * here or below; use it from workers, CLIs and tests.
 *
 * @module nestjs-transition-guard/core
 */
export { createValidator, TransitionValidator } from './validator.js';
export {
  IllegalTransitionError,
  UnknownStateError,
  GuardEvaluationError,
  TargetEvaluationError,
  MachineConfigError,
} from './errors.js';
export { describeRefusal } from './messages.js';
export type { MachineDescription } from './machine-description.js';
export type {
  StoredState,
  StateInput,
  EventInput,
  EventTypeOf,
  RefusalReason,
  PayloadIssue,
  PayloadSchema,
  AllowedTransition,
  RefusedTransition,
  TransitionResult,
  EventExplanation,
  ValidatorOptions,
  ContextFreeTransitions,
} from './types.js';
export {
  machineFromDefinition,
  loadMachineDefinitionFile,
  MachineDefinitionError,
  machineDefinitionSchema,
  type MachineImplementations,
  type LoadedMachine,
  type DefinitionIssue,
  type MachineDefinition,
  type StateDefinition,
  type TransitionDefinition,
  type TransitionObjectDefinition,
  type GuardImplementation,
  type GuardDefinition,
  type EventDefinition,
} from './definition/index.js';
export { toMermaid, type DiagramOptions } from './diagram/mermaid.js';
export { toDot } from './diagram/dot.js';
export { toMarkdownTable } from './diagram/table.js';
export { lintMachine, type Finding, type FindingCode } from './lint/index.js';
export {
  lockMachine,
  formatLock,
  parseLock,
  MachineLockError,
  diffLocks,
  formatDiff,
  StateMappingError,
  type MachineLock,
  type MachineDiff,
  type StoredEdge,
  type ExploreOptions,
} from './lock/index.js';
export { MachineTimers, isTimerEvent, type ArmedTimer, type TimerChange } from './timers.js';
