import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { TransitionRegistry, type CurrentTransition } from 'nestjs-transition-guard';
import type { OrderContext } from '../../../../machines/order.machine.js';
import { Order } from './order.entity.js';

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
    private readonly registry: TransitionRegistry,
  ) {}

  async create(total: number): Promise<Order> {
    return this.orders.save(this.orders.create({ status: 'pending', total, paid: 0, version: 1 }));
  }

  async get(id: number) {
    const row = await this.orders.findOneBy({ id });
    if (!row)
      throw new NotFoundException({
        statusCode: 404,
        error: 'Not Found',
        code: 'RESOURCE_NOT_FOUND',
        message: `order ${id} does not exist`,
        resource: 'order',
        id: String(id),
      });
    const validator = this.registry.get('order')!.validator;
    return {
      ...orderView(row),
      transitions: validator.explain({
        state: row.status,
        context: { total: row.total, paid: row.paid },
      }),
    };
  }

  /**
   * Writes a checked transition: the new state plus what the event changes, only if the row is
   * still in the state the guard checked (else another request moved it first: 409).
   */
  async apply(t: CurrentTransition<OrderContext>) {
    const changes: Partial<Order> = { status: String(t.to) };
    if (t.event === 'PAY') changes.paid = t.context.paid + Number(t.payload.amount);
    if (t.event === 'SHIP') {
      changes.carrier = String(t.payload.carrier);
      changes.trackingNumber = String(t.payload.trackingNumber);
    }
    const result = await this.orders
      .createQueryBuilder()
      .update(Order)
      .set({ ...changes, version: () => 'version + 1' })
      .where('id = :id AND status = :from AND version = :version', {
        id: Number(t.id),
        from: t.from,
        version: t.version,
      })
      .execute();
    if (!result.affected) {
      throw new ConflictException({
        statusCode: 409,
        error: 'Conflict',
        code: 'ILLEGAL_TRANSITION',
        message: `Cannot ${t.event} order ${t.id}: it changed while this request was checked; refetch and retry`,
        resource: 'order',
        id: t.id,
        event: t.event,
        reason: 'stale-state',
      });
    }
    return orderView((await this.orders.findOneBy({ id: Number(t.id) }))!);
  }
}
