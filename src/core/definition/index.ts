export { machineFromDefinition, loadMachineDefinitionFile } from './load-definition.js';
export type {
  MachineImplementations,
  LoadedMachine,
  GuardImplementation,
} from './load-definition.js';
export { MachineDefinitionError } from './definition-error.js';
export type { DefinitionIssue } from './definition-error.js';
export { machineDefinitionSchema } from './definition-schema.js';
export type {
  MachineDefinition,
  StateDefinition,
  TransitionDefinition,
  TransitionObjectDefinition,
  GuardDefinition,
  EventDefinition,
} from './definition-schema.js';
