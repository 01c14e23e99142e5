import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, type Repository } from 'typeorm';
import {
  ResourceNotFoundException,
  TransitionService,
  TransitionTimers,
  type CurrentTransition,
  type GuardRequest,
  type HistoryRequest,
} from 'nestjs-transition-guard';
import type { OrderContext } from '../../../../machines/order.machine.js';
import { Order } from './order.entity.js';
import { GatewayService } from './gateway.service.js';
import { ormFromEnv } from '../orm/orm.js';
import { paymentWindowMs, type order } from './order.resource.js';

/**
 * Who is asking (demo: the X-User-Id and X-User-Role headers; a real app reads its auth guard's
 * `request.user`): orders, their history and notifications are shown to their owner and to
 * `support`.
 */
export interface Viewer {
  readonly id: string | null;
  readonly support: boolean;
}

/** The viewer of a request's headers. */
export function viewerOf(headers: Record<string, string | string[] | undefined>): Viewer {
  const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v) || null;
  const roles = (one(headers['x-user-role']) ?? '').split(',').map((r) => r.trim());
  return { id: one(headers['x-user-id']), support: roles.includes('support') };
}

/** What the API shows of an order. */
export function orderView(row: Order) {
  return {
    id: row.id,
    state: row.status,
    version: row.version,
    total: row.total,
    paid: row.paid,
    carrier: row.carrier,
    trackingNumber: row.trackingNumber,
  };
}

@Injectable()
export class OrdersService {
  constructor(
    @InjectRepository(Order) private readonly orders: Repository<Order>,
    @Inject(TransitionService) private readonly transitions: TransitionService,
    @Inject(GatewayService) private readonly gateway: GatewayService,
    @Inject(TransitionTimers) private readonly timers: TransitionTimers,
  ) {}

  /** The 50 most recent orders the caller may see. */
  async list(viewer: Viewer) {
    const where = viewer.support
      ? {}
      : [{ ownerId: IsNull() }, ...(viewer.id ? [{ ownerId: viewer.id }] : [])];
    return (await this.orders.find({ where, order: { id: 'DESC' }, take: 50 })).map(orderView);
  }

  /**
   * A pending order. With a payment window (PAYMENT_WINDOW), its timer is armed in the INSERT's
   * transaction: the order and its deadline commit together. (With ORM=prisma|drizzle|mikro-orm
   * the demo still inserts through TypeORM, so the timer is armed just after, in the timer
   * store's own transaction.)
   */
  async create(total: number, ownerId: string | null): Promise<Order> {
    const values = { status: 'pending', total, paid: 0, version: 0, ownerId };
    if (!paymentWindowMs) return this.orders.save(this.orders.create(values));
    if (ormFromEnv() !== 'typeorm') {
      const row = await this.orders.save(this.orders.create(values));
      await this.timers.start('order', String(row.id));
      return row;
    }
    return this.orders.manager.transaction(async (tx) => {
      const row = await tx.save(Order, tx.create(Order, values));
      await this.timers.start('order', String(row.id), { tx });
      return row;
    });
  }

  /** The order's armed timers (its payment window's deadline while pending), soonest first. */
  async armedTimers(id: string) {
    return (await this.timers.list('order', id)).map((t) => ({
      timer: t.timer,
      dueAt: t.dueAt.toISOString(),
    }));
  }

  /**
   * The order, if the caller may see it: its owner, a `support` caller, anyone for an order
   * without owner. Else 404, as for an order that does not exist: others learn nothing of it.
   */
  async visible(id: number, viewer: Viewer): Promise<Order> {
    const row = await this.orders.findOneBy({ id });
    if (!row || !(viewer.support || row.ownerId === null || row.ownerId === viewer.id)) {
      throw new ResourceNotFoundException('order', String(id));
    }
    return row;
  }

  /**
   * The order with the events THIS caller may send now (`allowedEvents`: each with `allowed`,
   * why not, and the route that sends it), decided as the guard decides (machine, guards, roles).
   */
  async get(id: number, headers: Record<string, string | string[] | undefined>) {
    const row = await this.visible(id, viewerOf(headers));
    return {
      ...orderView(row),
      allowedEvents: await this.allowedEvents(String(id), { headers }),
      // With a payment window: its deadline while the order is pending (the console counts down).
      ...(paymentWindowMs ? { timers: await this.armedTimers(String(id)) } : {}),
    };
  }

  /** The events `caller` may send to order `id` now. */
  async allowedEvents(id: string, caller: GuardRequest) {
    const inspection = await this.transitions.inspect('order', id, { request: caller });
    return inspection?.transitions ?? [];
  }

  /** The order's transition log, newest first (404 for an order the caller may not see). */
  async history(id: string, page: HistoryRequest, viewer: Viewer) {
    await this.visible(Number(id), viewer);
    return this.transitions.history('order', id, page);
  }

  /**
   * Commits a checked transition with compare-and-set: the new state plus what the event changes,
   * in one statement, only if the row is still as the guard saw it (else reload, re-check, retry
   * or 409 stale-state: TransitionService does it).
   */
  async apply(t: CurrentTransition<typeof order>) {
    await this.gateway.call(t.event);
    // The row comes back as written (RETURNING): no second load.
    const { row, ...transition } = await this.transitions.commit(
      t,
      (base) => changesFor(t, base.context),
      { returning: true },
    );
    return { ...orderView(row), transition };
  }
}

/** The fields an event changes besides the state. */
function changesFor(t: CurrentTransition<typeof order>, context: OrderContext): Partial<Order> {
  switch (t.event) {
    case 'PAY':
      return { paid: context.paid + Number(t.payload.amount) };
    case 'SHIP':
      return {
        carrier: String(t.payload.carrier),
        trackingNumber: String(t.payload.trackingNumber),
      };
    default:
      return {};
  }
}
