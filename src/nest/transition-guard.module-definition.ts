import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { TransitionGuardOptions } from './transition-guard.options.js';

/**
 * `forRoot(options)` and `forRootAsync({ useFactory | useClass | useExisting, imports, inject })`,
 * the Nest way. Global by default (`isGlobal: false` to opt out).
 */
export const {
  ConfigurableModuleClass: TransitionGuardConfigurableModule,
  MODULE_OPTIONS_TOKEN: TRANSITION_GUARD_MODULE_OPTIONS,
  OPTIONS_TYPE: TRANSITION_GUARD_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: TRANSITION_GUARD_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<TransitionGuardOptions>({ moduleName: 'TransitionGuard' })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createTransitionGuardOptions')
  .setExtras({ isGlobal: true }, (definition, extras) => ({
    ...definition,
    global: extras.isGlobal,
  }))
  .build();

/** Injection token of the validated options (defaults filled in). */
export const TRANSITION_GUARD_OPTIONS = Symbol.for('transition-guard:options');
