import { Inject, Injectable, Optional } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { EntityManager, Repository } from 'typeorm';
import { OnTransition, type TransitionDelivery } from 'nestjs-transition-guard';
import { order, paymentWindowMs } from '../orders/order.resource.js';
import { PAYMENT_WINDOW_EXPIRED } from '../../../../machines/order.machine.js';
import { NOTIFICATION_WRITER, type NotificationWriter } from '../orm/orm.js';
import { Notification } from './notification.entity.js';

/**
 * Faults to inject, for the fault tests: fail the first `failFirst` attempts of each delivery
 * (of orders whose id is a multiple of `failEvery`, default 1: all); kill this process (SIGKILL)
 * right after the `crashAfter`-th notification is written, before the relay marks its message
 * delivered. Not set in the demo.
 */
export interface NotifierFaults {
  readonly failFirst?: number;
  readonly failEvery?: number;
  readonly crashAfter?: number;
}
export const NOTIFIER_FAULTS = Symbol('NOTIFIER_FAULTS');

/** The events told about: with a payment window, its expiry too (without, there is no such event). */
const NOTIFIED = paymentWindowMs
  ? (['PAY', 'SHIP', 'CANCEL', PAYMENT_WINDOW_EXPIRED] as const)
  : (['PAY', 'SHIP', 'CANCEL'] as const);

/**
 * Notifies the customer when an order is paid, shipped or cancelled (by CANCEL or by its payment
 * window running out): through the transactional outbox, after the commit, at least once;
 * `delivery.once()` writes the notification in the same transaction as the record that this
 * transition was handled, so it is written exactly once.
 */
@Injectable()
export class Notifier {
  private written = 0;
  /** Deliveries that came again for a notification already written (and wrote nothing). */
  skipped = 0;

  constructor(
    @InjectRepository(Notification) private readonly notifications: Repository<Notification>,
    @Optional() @Inject(NOTIFIER_FAULTS) private readonly faults: NotifierFaults = {},
    /** Set when the order's stores run on another ORM (ORM=...): writes through its transaction. */
    @Optional() @Inject(NOTIFICATION_WRITER) private readonly writer?: NotificationWriter,
  ) {}

  @OnTransition(order, { event: NOTIFIED })
  async notify(delivery: TransitionDelivery): Promise<void> {
    const { record } = delivery;
    const failing = Number(record.resourceId) % (this.faults.failEvery ?? 1) === 0;
    if (failing && delivery.attempt <= (this.faults.failFirst ?? 0)) {
      throw new Error(`mail server unavailable (injected, attempt ${delivery.attempt})`);
    }
    const row = {
      orderId: Number(record.resourceId),
      event: record.event,
      transitionId: record.transitionId,
      text: textOf(record.event, record.to, delivery.payload),
    };
    const { writer } = this;
    const sent = await delivery.once(async (tx) => {
      if (writer) await writer(tx, row);
      else await (tx as EntityManager).insert(Notification, row);
    });
    if (!sent.done) this.skipped++;
    else if (++this.written === this.faults.crashAfter) process.kill(process.pid, 'SIGKILL');
  }

  /** The notifications of one order, oldest first. */
  forOrder(orderId: number) {
    return this.notifications.find({ where: { orderId }, order: { id: 'ASC' } });
  }
}

function textOf(event: string, to: unknown, payload: Readonly<Record<string, unknown>>): string {
  switch (event) {
    case 'PAY':
      return to === 'paid'
        ? 'Your order is paid in full.'
        : `We received your payment of ${String(payload.amount)}.`;
    case 'SHIP':
      return `Your order is on its way: ${String(payload.carrier)} ${String(payload.trackingNumber)}.`;
    case PAYMENT_WINDOW_EXPIRED:
      return 'Your order is cancelled: it was not paid within the payment window.';
    default:
      return 'Your order is cancelled.';
  }
}
