import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import type { LoadedState, StateLoader } from 'nestjs-transition-guard';
import type { OrderContext } from '../../../../machines/order.machine.js';
import { Order } from './order.entity.js';

/** Reads an order's state, the fields its guards read, and its version. */
@Injectable()
export class OrderStateLoader implements StateLoader<OrderContext> {
  constructor(@InjectRepository(Order) private readonly orders: Repository<Order>) {}

  async load(id: string): Promise<LoadedState<OrderContext> | null> {
    const row = await this.orders.findOneBy({ id: Number(id) });
    return (
      row && {
        state: row.status,
        context: { total: row.total, paid: row.paid },
        version: row.version,
      }
    );
  }
}
