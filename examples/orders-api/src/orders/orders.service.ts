import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import {
  ResourceNotFoundException,
  TransitionService,
  type CurrentTransition,
  type HistoryRequest,
} from 'nestjs-transition-guard';
import type { OrderContext } from '../../../../machines/order.machine.js';
import { Order } from './order.entity.js';
import { GatewayService } from './gateway.service.js';
import type { order } from './order.resource.js';

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
  ) {}

  /** The 50 most recent orders. */
  async list() {
    return (await this.orders.find({ order: { id: 'DESC' }, take: 50 })).map(orderView);
  }

  async create(total: number): Promise<Order> {
    return this.orders.save(this.orders.create({ status: 'pending', total, paid: 0, version: 0 }));
  }

  async get(id: number) {
    const row = await this.orders.findOneBy({ id });
    if (!row) throw new ResourceNotFoundException('order', String(id));
    const validator = this.transitions.validator('order');
    return {
      ...orderView(row),
      transitions: validator.explain({
        state: row.status,
        context: { total: row.total, paid: row.paid },
      }),
    };
  }

  /** The order's transition log, newest first (404 for an order that does not exist). */
  async history(id: string, page: HistoryRequest) {
    if (!(await this.orders.existsBy({ id: Number(id) }))) {
      throw new ResourceNotFoundException('order', id);
    }
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
