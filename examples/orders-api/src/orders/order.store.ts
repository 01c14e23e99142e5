import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { TypeOrmTransitionStore } from 'nestjs-transition-guard/typeorm';
import type { OrderContext } from '../../../../machines/order.machine.js';
import { Order } from './order.entity.js';

/**
 * Orders in TypeORM: the guard loads through it, `TransitionService.commit()` writes through it
 * with compare-and-set, and each transition is logged in the same transaction.
 */
@Injectable()
export class OrderStore extends TypeOrmTransitionStore<Order, OrderContext> {
  constructor(@Inject(DataSource) dataSource: DataSource) {
    super(dataSource, {
      entity: Order,
      name: 'order',
      stateProperty: 'status',
      versionProperty: 'version',
      log: true,
      // What the machine's guards read: the load selects these (with id, status, version) alone.
      contextProperties: ['total', 'paid'],
    });
  }
}
