import { BadRequestException, Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { CurrentTransition, Transition } from 'nestjs-transition-guard';
import type { OrderContext } from '../../../../machines/order.machine.js';
import { order } from './order.resource.js';
import { OrdersService, orderView } from './orders.service.js';

type OrderTransition = CurrentTransition<OrderContext>;

@Controller('orders')
export class OrdersController {
  constructor(private readonly orders: OrdersService) {}

  /** Creates a pending order. An empty body gives a total of 0. */
  @Post()
  async create(@Body() body: unknown) {
    const total =
      body && typeof body === 'object' && 'total' in body ? (body as { total: unknown }).total : 0;
    if (!Number.isSafeInteger(total) || (total as number) < 0) {
      throw new BadRequestException({
        statusCode: 400,
        error: 'Bad Request',
        code: 'INVALID_BODY',
        message: 'total must be a non-negative integer (cents)',
      });
    }
    return orderView(await this.orders.create(total as number));
  }

  @Get(':id')
  get(@Param('id') id: string) {
    if (!/^[0-9]{1,15}$/.test(id)) {
      throw new BadRequestException({
        statusCode: 400,
        error: 'Bad Request',
        code: 'INVALID_RESOURCE_ID',
        message: `Invalid order id ${JSON.stringify(id.slice(0, 40))}`,
      });
    }
    return this.orders.get(Number(id));
  }

  @Post(':id/pay')
  @HttpCode(200)
  @Transition(order, 'PAY')
  pay(@CurrentTransition() t: OrderTransition) {
    return this.orders.apply(t);
  }

  @Post(':id/ship')
  @HttpCode(200)
  @Transition(order, 'SHIP')
  ship(@CurrentTransition() t: OrderTransition) {
    return this.orders.apply(t);
  }

  @Post(':id/deliver')
  @HttpCode(200)
  @Transition(order, 'DELIVER')
  deliver(@CurrentTransition() t: OrderTransition) {
    return this.orders.apply(t);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @Transition(order, 'CANCEL')
  cancel(@CurrentTransition() t: OrderTransition) {
    return this.orders.apply(t);
  }

  @Post(':id/refund')
  @HttpCode(200)
  @Transition(order, 'REFUND')
  refund(@CurrentTransition() t: OrderTransition) {
    return this.orders.apply(t);
  }

  /** Any event, from the body: `{ "type": "SHIP", "carrier": "UPS", "trackingNumber": "1Z" }`. */
  @Post(':id/events')
  @HttpCode(200)
  @Transition(order)
  send(@CurrentTransition() t: OrderTransition) {
    return this.orders.apply(t);
  }
}
