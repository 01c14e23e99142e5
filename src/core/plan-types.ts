import type { EventObject } from 'xstate';
import type { CompiledTransition } from './machine-index.js';
import type { PayloadSchema, TransitionResult } from './types.js';

/** The candidate transitions of one event in one configuration, shaped as XState walks them. */
export interface PlanNode {
  readonly own: readonly CompiledTransition[];
  readonly children: readonly PlanNode[];
}

/**
 * How to answer one event in one configuration. Without parallel regions the walk is a single
 * chain (the leaf's candidates, then its parent's, up to the root): the first candidate whose
 * guard passes wins. With regions it is a tree: regions answer independently, a node answers only
 * when none of its regions did.
 */
export interface Plan {
  readonly type: string;
  readonly chain: readonly CompiledTransition[] | undefined;
  readonly tree: PlanNode | undefined;
  readonly schema: PayloadSchema | undefined;
  /** The event object guards see when the caller gave only a type. */
  readonly bareEvent: EventObject;
  /** No candidate transition at all in this configuration (answered before the payload is read). */
  readonly empty: boolean;
  /** The final-state or no-transition refusal, once known not to depend on context. */
  early: TransitionResult | undefined;
  /** The result after the payload check, once known not to depend on context: no guard was consulted. */
  fixed: TransitionResult | undefined;
  /** Allowed results by selected transition ids, when `to` cannot depend on context. */
  readonly allowed: Map<string, TransitionResult>;
}

/** The outcome of selecting transitions: what was selected, which guards refused, whether it can vary. */
export interface Selection {
  selected: CompiledTransition[];
  blocked: string[] | undefined;
  /** A guard that reads context or event ran: the outcome may differ for another context. */
  guardsRan: boolean;
  /** When true (explain, allowedEvents), a guard that throws counts as refusing instead of throwing. */
  lenient: boolean;
}
