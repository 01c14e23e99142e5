import {
  BadRequestException,
  Body,
  Controller,
  Get,
  Header,
  Headers,
  HttpCode,
  Inject,
  Param,
  Post,
  Query,
} from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import {
  CurrentTransition,
  ResourceIdPipe,
  Transition,
  VersionETag,
} from 'nestjs-transition-guard';
import { MAX_AMOUNT } from '../../../../machines/order.machine.js';
import { Notifier } from '../notifications/notifier.js';
import { order } from './order.resource.js';
import { OrdersService, orderView, viewerOf } from './orders.service.js';

type OrderTransition = CurrentTransition<typeof order>;

const newOrder = z.strictObject({ total: z.number().int().min(0).max(MAX_AMOUNT).optional() });

@ApiTags('orders')
@Controller('orders')
export class OrdersController {
  constructor(
    @Inject(OrdersService) private readonly orders: OrdersService,
    @Inject(Notifier) private readonly notifier: Notifier,
  ) {}

  /** Creates a pending order. An empty body gives a total of 0. */
  @Post()
  async create(@Body() body: unknown, @Headers() headers: Record<string, string | undefined>) {
    const parsed = newOrder.safeParse(body ?? {});
    if (!parsed.success) {
      throw new BadRequestException({
        statusCode: 400,
        error: 'Bad Request',
        code: 'INVALID_BODY',
        message: `total must be an integer from 0 to ${MAX_AMOUNT} (cents)`,
      });
    }
    const owner = viewerOf(headers).id;
    return orderView(await this.orders.create(parsed.data.total ?? 0, owner));
  }

  /** The 50 most recent orders the caller may see (its own, and those without owner). */
  @Get()
  list(@Headers() headers: Record<string, string | undefined>) {
    return this.orders.list(viewerOf(headers));
  }

  /**
   * The order, the events this caller may send now (they differ per caller: `Vary` on the
   * identity headers), and its version as an ETag (for If-Match).
   */
  @Get(':id')
  @ApiOkResponse({
    description: 'The order, and the events this caller may send now',
    schema: {
      type: 'object',
      properties: {
        id: { type: 'integer' },
        state: { type: 'string' },
        version: { type: 'integer' },
        allowedEvents: { $ref: '#/components/schemas/TransitionAllowedEvents.order' },
        timers: {
          description: 'With PAYMENT_WINDOW: the armed timers (the deadline of a pending order)',
          type: 'array',
          items: {
            type: 'object',
            properties: {
              timer: { type: 'string' },
              dueAt: { type: 'string', format: 'date-time' },
            },
          },
        },
      },
    },
  })
  @VersionETag()
  @Header('Vary', 'X-User-Role, X-User-Id')
  get(
    @Param('id', ResourceIdPipe('order')) id: string,
    @Headers() headers: Record<string, string | undefined>,
  ) {
    return this.orders.get(Number(id), headers);
  }

  @Post(':id/pay')
  @HttpCode(200)
  @Transition(order, 'PAY', { idempotency: true, audit: true })
  pay(@CurrentTransition() t: OrderTransition) {
    return this.orders.apply(t);
  }

  @Post(':id/ship')
  @HttpCode(200)
  @Transition(order, 'SHIP', { idempotency: true, audit: true })
  @ApiOperation({ summary: 'Ship a paid order' })
  ship(@CurrentTransition() t: OrderTransition) {
    return this.orders.apply(t);
  }

  @Post(':id/deliver')
  @HttpCode(200)
  @Transition(order, 'DELIVER', { idempotency: true, audit: true })
  deliver(@CurrentTransition() t: OrderTransition) {
    return this.orders.apply(t);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @Transition(order, 'CANCEL', { idempotency: true, audit: true })
  cancel(@CurrentTransition() t: OrderTransition) {
    return this.orders.apply(t);
  }

  @Post(':id/refund')
  @HttpCode(200)
  @Transition(order, 'REFUND', { idempotency: true, audit: true })
  refund(@CurrentTransition() t: OrderTransition) {
    return this.orders.apply(t);
  }

  /** Its transitions, newest first: `?limit=` (1 to 100, default 20) and `?before=` (the `next` cursor). */
  @Get(':id/history')
  history(
    @Param('id', ResourceIdPipe('order')) id: string,
    @Query('limit') limit: string | undefined,
    @Query('before') before: string | undefined,
    @Headers() headers: Record<string, string | undefined>,
  ) {
    return this.orders.history(id, { limit, before }, viewerOf(headers));
  }

  /** The notifications sent for it (the outbox's deliveries: one per PAY, SHIP and CANCEL). */
  @Get(':id/notifications')
  async notifications(
    @Param('id', ResourceIdPipe('order')) id: string,
    @Headers() headers: Record<string, string | undefined>,
  ) {
    await this.orders.visible(Number(id), viewerOf(headers));
    return this.notifier.forOrder(Number(id));
  }

  /** Any event, from the body: `{ "type": "SHIP", "carrier": "UPS", "trackingNumber": "1Z" }`. */
  @Post(':id/events')
  @HttpCode(200)
  @Transition(order, undefined, { idempotency: true, audit: true })
  send(@CurrentTransition() t: OrderTransition) {
    return this.orders.apply(t);
  }
}
