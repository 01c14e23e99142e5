import 'reflect-metadata';
import { captureLogs } from '../../support/capture-logs.js';
import { createMachine } from 'xstate';
import {
  IllegalTransitionException,
  MemoryOutboxStore,
  MemoryTransitionStore,
  StoreUnavailableException,
  TransitionOutbox,
  TransitionService,
  type CurrentTransition,
} from '../../../src/index.js';
import { ForbiddenChangesError, StoreUnavailableError } from '../../../src/store/index.js';
import { TransitionRegistry } from '../../../src/nest/definition/transition-registry.js';
import { TransitionTimers } from '../../../src/nest/timers/transition-timers.js';
import { MemoryTimerStore } from '../../../src/store/memory-timer-store.js';
import {
  resolveOptions,
  type ResolvedTransitionGuardOptions,
} from '../../../src/nest/definition/options.js';

const machine = createMachine({
  id: 'order',
  initial: 'pending',
  states: {
    pending: { on: { PAY: 'paid', NOTE: {}, CANCEL: 'cancelled' } },
    paid: { on: { SHIP: 'shipped', CANCEL: 'cancelled', NOTE: { actions: () => undefined } } },
    shipped: { on: { NOTE: { actions: () => undefined } } },
    cancelled: { type: 'final' },
  },
});

type Ctx = { notes: number; carrier?: string };

/** The service outside Nest: an outbox with no handlers (nothing is discovered here). */
function serviceFor(registry: TransitionRegistry, options: ResolvedTransitionGuardOptions) {
  const none = undefined as never;
  const outbox = new TransitionOutbox(
    none,
    none,
    none,
    registry,
    options,
    new MemoryOutboxStore(),
    none,
  );
  const timers = new TransitionTimers(registry, options, new MemoryTimerStore());
  return new TransitionService(registry, options, outbox, timers);
}

function setup(commit?: { maxRetries?: number; retryWhen?: 'same-state' | 'still-legal' }) {
  const store = new MemoryTransitionStore<Ctx>();
  store.insert('1', { state: 'paid', context: { notes: 0 } });
  const registry = new TransitionRegistry();
  registry.register({ resource: 'order', machine }, { store });
  const service = serviceFor(registry, resolveOptions({ commit }));
  const checked = (
    event: string,
    from = 'paid',
    to = 'shipped',
    version = 0,
  ): CurrentTransition<Ctx> => ({
    resource: 'order',
    id: '1',
    event,
    from,
    to,
    payload: {},
    context: { notes: 0 },
    version,
    actor: 'ann',
  });
  return { store, service, checked };
}

describe('TransitionService.commit', () => {
  let logs: ReturnType<typeof captureLogs>;
  beforeEach(() => {
    logs = captureLogs();
  });
  afterEach(() => {
    logs.restore();
  });

  it('writes the state, the changes and the log in one compare-and-set', async () => {
    const { store, service, checked } = setup();
    const done = await service.commit(checked('SHIP'), { carrier: 'UPS' });
    expect(done).toEqual({
      resource: 'order',
      id: '1',
      event: 'SHIP',
      from: 'paid',
      to: 'shipped',
      version: 1,
      attempts: 1,
    });
    expect(store.rows.get('1')).toEqual({
      state: 'shipped',
      version: 1,
      context: { notes: 0, carrier: 'UPS' },
    });
    expect(store.log).toEqual([
      expect.objectContaining({
        event: 'SHIP',
        from: 'paid',
        to: 'shipped',
        version: 1,
        actor: 'ann',
      }),
    ]);
  });

  it('answers 409 stale-state when the row moved to a state where the event is illegal', async () => {
    const { store, service, checked } = setup();
    const ship = checked('SHIP');
    await service.commit(checked('CANCEL', 'paid', 'cancelled'));
    const err = await service.commit(ship).catch((e) => e);
    expect(err).toBeInstanceOf(IllegalTransitionException);
    expect(err.getResponse()).toMatchObject({
      statusCode: 409,
      reason: 'stale-state',
      currentState: 'cancelled',
      allowedEvents: [],
      message: 'Cannot SHIP order 1: it became cancelled while this request was being checked',
    });
    expect(store.rows.get('1')!.state).toBe('cancelled');
    expect(store.log).toHaveLength(1);
  });

  it('retries when only the version moved, recomputing function changes from the fresh row', async () => {
    const { store, service, checked } = setup();
    const first = checked('NOTE', 'paid', 'paid');
    const second = checked('NOTE', 'paid', 'paid');
    await service.commit(first, (base) => ({ notes: base.context.notes + 1 }));
    const done = await service.commit(second, (base) => ({ notes: base.context.notes + 1 }));
    expect(done).toMatchObject({ attempts: 2, version: 2 });
    expect(store.rows.get('1')!.context.notes).toBe(2); // no lost update
  });

  it("with retryWhen 'same-state', refuses to follow a move; with 'still-legal', follows it", async () => {
    for (const retryWhen of ['same-state', 'still-legal'] as const) {
      const { store, service, checked } = setup({ retryWhen });
      const note = checked('NOTE', 'paid', 'paid');
      await service.commit(checked('SHIP'));
      const outcome = await service.commit(note).then(
        (r) => r,
        (e) => e,
      );
      if (retryWhen === 'same-state') {
        expect(outcome.getResponse()).toMatchObject({
          reason: 'stale-state',
          currentState: 'shipped',
          allowedEvents: ['NOTE'],
        });
        expect(store.rows.get('1')!.version).toBe(1);
      } else {
        expect(outcome).toMatchObject({ from: 'shipped', to: 'shipped', attempts: 2, version: 2 });
      }
    }
  });

  it('gives up after maxRetries lost races', async () => {
    const { store, service, checked } = setup({ maxRetries: 2 });
    // Another writer bumps the version before every attempt.
    const original = store.compareAndSet.bind(store);
    let attempts = 0;
    store.compareAndSet = async (id, expected, next, options) => {
      attempts++;
      const row = store.rows.get(id)!;
      store.rows.set(id, { ...row, version: row.version + 1 });
      return original(id, expected, next, options);
    };
    const err = await service.commit(checked('NOTE', 'paid', 'paid')).catch((e) => e);
    expect(err.getResponse()).toMatchObject({
      reason: 'stale-state',
      message: expect.stringContaining('kept changing (3 attempts)'),
    });
    expect(attempts).toBe(3);
    expect(store.log).toHaveLength(0);
  });

  it('runs beforeCommit inside the write (throwing rolls back) and afterCommit only for the winner', async () => {
    const { store, service, checked } = setup();
    const after: string[] = [];
    const off = service.onTransition({
      event: 'SHIP',
      beforeCommit: () => {
        throw new Error('ledger refused');
      },
    });
    await expect(service.commit(checked('SHIP'))).rejects.toThrow();
    expect(store.rows.get('1')).toMatchObject({ state: 'paid', version: 0 });
    expect(store.log).toHaveLength(0);
    off();
    service.onTransition({ afterCommit: (r) => void after.push(`${r.event}@${r.version}`) });
    service.onTransition({ afterCommit: () => Promise.reject(new Error('mail server down')) });
    const ship = checked('SHIP');
    await service.commit(checked('CANCEL', 'paid', 'cancelled'));
    await expect(service.commit(ship)).rejects.toBeInstanceOf(IllegalTransitionException);
    expect(after).toEqual(['CANCEL@1']);
    // The hook's failures are logged with their cause, never thrown at the caller.
    expect(logs.lines).toContain('error Committing SHIP failed (order store): ledger refused');
    expect(logs.lines).toContain(
      'error afterCommit hook failed for order 1 CANCEL: mail server down',
    );
  });

  it('refuses changes that set the state or the version', async () => {
    const { store, service, checked } = setup();
    for (const changes of [{ state: 'shipped' }, { version: 9 }, { id: '2' }]) {
      await expect(service.commit(checked('SHIP'), changes as never)).rejects.toBeInstanceOf(
        ForbiddenChangesError,
      );
    }
    expect(store.rows.get('1')).toMatchObject({ state: 'paid', version: 0 });
  });

  it('answers 503 when the store is unavailable', async () => {
    const { store, service, checked } = setup();
    store.compareAndSet = () =>
      Promise.reject(new StoreUnavailableError('order', { cause: new Error('ECONNREFUSED') }));
    await expect(service.commit(checked('SHIP'))).rejects.toBeInstanceOf(StoreUnavailableException);
    expect(logs.lines).toContain(
      'warn Committing SHIP failed (order store): The order store is unavailable: ECONNREFUSED',
    );
  });

  it('needs a store: a loader-only resource cannot commit', async () => {
    const registry = new TransitionRegistry();
    registry.register({ resource: 'doc', machine }, { loader: { load: async () => null } });
    const service = serviceFor(registry, resolveOptions({}));
    await expect(service.commit({ resource: 'doc' } as CurrentTransition)).rejects.toThrow(
      /resource 'doc' has no store/,
    );
  });
});
