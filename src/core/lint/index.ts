export { lintMachine, type Finding, type FindingCode } from './lint-machine.js';
