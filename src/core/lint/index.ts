export { lintMachine, finding, nodePath, type Finding, type FindingCode } from './lint-machine.js';
