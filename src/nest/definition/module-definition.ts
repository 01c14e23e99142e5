import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { TransitionGuardOptions } from './options.js';

/**
 * `forRoot(options)` and `forRootAsync({ useFactory | useClass | useExisting, imports, inject })`,
 * the Nest way.
 */
export const {
  ConfigurableModuleClass: TransitionGuardConfigurableModule,
  MODULE_OPTIONS_TOKEN: TRANSITION_GUARD_MODULE_OPTIONS,
} = new ConfigurableModuleBuilder<TransitionGuardOptions>({ moduleName: 'TransitionGuard' })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createTransitionGuardOptions')
  .build();

/** Injection token of the validated options (defaults filled in). */
export const TRANSITION_GUARD_OPTIONS = Symbol.for('transition-guard:options');
