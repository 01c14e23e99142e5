import {
  BadRequestException,
  Body,
  Controller,
  Get,
  HttpCode,
  Param,
  Post,
  Res,
} from '@nestjs/common';
import { CurrentTransition, etagFor, Transition } from 'nestjs-transition-guard';
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
    const total = body && typeof body === 'object' && 'total' in body ? body.total : 0;
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

  /** The order, its transitions now, and its version as an ETag (for If-Match). */
  @Get(':id')
  async get(
    @Param('id') id: string,
    @Res({ passthrough: true }) res: { header(name: string, value: string): unknown },
  ) {
    if (!/^[0-9]{1,15}$/.test(id)) {
      throw new BadRequestException({
        statusCode: 400,
        error: 'Bad Request',
        code: 'INVALID_RESOURCE_ID',
        message: `Invalid order id ${JSON.stringify(id.slice(0, 40))}`,
      });
    }
    const view = await this.orders.get(Number(id));
    const etag = etagFor(view.version);
    if (etag) res.header('ETag', etag);
    return view;
  }

  @Post(':id/pay')
  @HttpCode(200)
  @Transition(order, 'PAY', { idempotency: true })
  pay(@CurrentTransition() t: OrderTransition) {
    return this.orders.apply(t);
  }

  @Post(':id/ship')
  @HttpCode(200)
  @Transition(order, 'SHIP', { idempotency: true })
  ship(@CurrentTransition() t: OrderTransition) {
    return this.orders.apply(t);
  }

  @Post(':id/deliver')
  @HttpCode(200)
  @Transition(order, 'DELIVER', { idempotency: true })
  deliver(@CurrentTransition() t: OrderTransition) {
    return this.orders.apply(t);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @Transition(order, 'CANCEL', { idempotency: true })
  cancel(@CurrentTransition() t: OrderTransition) {
    return this.orders.apply(t);
  }

  @Post(':id/refund')
  @HttpCode(200)
  @Transition(order, 'REFUND', { idempotency: true })
  refund(@CurrentTransition() t: OrderTransition) {
    return this.orders.apply(t);
  }

  /** Any event, from the body: `{ "type": "SHIP", "carrier": "UPS", "trackingNumber": "1Z" }`. */
  @Post(':id/events')
  @HttpCode(200)
  @Transition(order, undefined, { idempotency: true })
  send(@CurrentTransition() t: OrderTransition) {
    return this.orders.apply(t);
  }
}
