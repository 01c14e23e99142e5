import {
  BadRequestException,
  Body,
  Controller,
  Get,
  HttpCode,
  Inject,
  Param,
  Post,
} from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import {
  CurrentTransition,
  ResourceIdPipe,
  Transition,
  VersionETag,
} from 'nestjs-transition-guard';
import { MAX_AMOUNT } from '../../../../machines/order.machine.js';
import { order } from './order.resource.js';
import { OrdersService, orderView } from './orders.service.js';

type OrderTransition = CurrentTransition<typeof order>;

const newOrder = z.strictObject({ total: z.number().int().min(0).max(MAX_AMOUNT).optional() });

@ApiTags('orders')
@Controller('orders')
export class OrdersController {
  constructor(@Inject(OrdersService) private readonly orders: OrdersService) {}

  /** Creates a pending order. An empty body gives a total of 0. */
  @Post()
  async create(@Body() body: unknown) {
    const parsed = newOrder.safeParse(body ?? {});
    if (!parsed.success) {
      throw new BadRequestException({
        statusCode: 400,
        error: 'Bad Request',
        code: 'INVALID_BODY',
        message: `total must be an integer from 0 to ${MAX_AMOUNT} (cents)`,
      });
    }
    return orderView(await this.orders.create(parsed.data.total ?? 0));
  }

  /** The order, its transitions now, and its version as an ETag (for If-Match). */
  /** The 50 most recent orders. */
  @Get()
  list() {
    return this.orders.list();
  }

  @Get(':id')
  @VersionETag()
  get(@Param('id', ResourceIdPipe('order')) id: string) {
    return this.orders.get(Number(id));
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
  @ApiOperation({ summary: 'Ship a paid order' })
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
