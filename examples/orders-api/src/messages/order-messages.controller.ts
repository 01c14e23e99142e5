import { Controller, Inject } from '@nestjs/common';
import { EventPattern, MessagePattern } from '@nestjs/microservices';
import { CurrentTransition, Transition } from 'nestjs-transition-guard';
import { order } from '../orders/order.resource.js';
import { OrdersService } from '../orders/orders.service.js';

type OrderTransition = CurrentTransition<typeof order>;

/**
 * The order events as messages (any `@nestjs/microservices` transport: the demo listens on TCP
 * when ORDERS_TCP_PORT is set). A message is `{ id, ...payload }`, plus `headers` (the caller's,
 * as over HTTP: `x-user-role`, `x-user-id`, `idempotency-key`) where needed. A refusal reaches
 * the sender as the error of its `send()`, with the same body as the HTTP 409.
 */
@Controller()
export class OrderMessagesController {
  constructor(@Inject(OrdersService) private readonly orders: OrdersService) {}

  @MessagePattern('order.pay')
  @Transition(order, 'PAY', { idempotency: true, audit: true })
  pay(@CurrentTransition() t: OrderTransition) {
    return this.orders.apply(t);
  }

  @MessagePattern('order.ship')
  @Transition(order, 'SHIP', { idempotency: true, audit: true })
  ship(@CurrentTransition() t: OrderTransition) {
    return this.orders.apply(t);
  }

  @MessagePattern('order.deliver')
  @Transition(order, 'DELIVER', { idempotency: true, audit: true })
  deliver(@CurrentTransition() t: OrderTransition) {
    return this.orders.apply(t);
  }

  @MessagePattern('order.cancel')
  @Transition(order, 'CANCEL', { idempotency: true, audit: true })
  cancel(@CurrentTransition() t: OrderTransition) {
    return this.orders.apply(t);
  }

  @MessagePattern('order.refund')
  @Transition(order, 'REFUND', { idempotency: true, audit: true })
  refund(@CurrentTransition() t: OrderTransition) {
    return this.orders.apply(t);
  }

  /** Any event: `{ id, type, ...payload }`. */
  @MessagePattern('order.event')
  @Transition(order, undefined, { idempotency: true, audit: true })
  send(@CurrentTransition() t: OrderTransition) {
    return this.orders.apply(t);
  }

  /**
   * A warehouse announces a delivery; nobody waits for an answer. A refusal (a delivery of an
   * order that was never shipped) is logged with its body and the message consumed.
   */
  @EventPattern('order.delivered')
  @Transition(order, 'DELIVER')
  async delivered(@CurrentTransition() t: OrderTransition) {
    await this.orders.apply(t);
  }
}
