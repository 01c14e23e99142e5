// A fresh NestJS 12 app that installed nestjs-transition-guard from its packed tarball. Plain
// JavaScript, decorators applied as functions: nothing from the repository but the tarball.
import 'reflect-metadata';
import { Controller, HttpCode, Module, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { createMachine } from 'xstate';
import { CurrentTransition, Transition, TransitionGuardModule } from 'nestjs-transition-guard';
import { createValidator } from 'nestjs-transition-guard/core';

const orderMachine = createMachine({
  id: 'order',
  initial: 'pending',
  states: {
    pending: { on: { PAY: 'paid', CANCEL: 'cancelled' } },
    paid: { on: { SHIP: 'shipped', CANCEL: 'cancelled' } },
    shipped: {},
    cancelled: { type: 'final' },
  },
});

const rows = new Map([
  ['42', 'cancelled'],
  ['7', 'paid'],
]);
class OrderLoader {
  async load(id) {
    return rows.has(id) ? { state: rows.get(id) } : null;
  }
}

class OrdersController {
  ship(t) {
    return { shipped: t.id, to: t.to };
  }
}
const ship = Object.getOwnPropertyDescriptor(OrdersController.prototype, 'ship');
Post(':id/ship')(OrdersController.prototype, 'ship', ship);
HttpCode(200)(OrdersController.prototype, 'ship', ship);
Transition('order', 'SHIP')(OrdersController.prototype, 'ship', ship);
CurrentTransition()(OrdersController.prototype, 'ship', 0);
Controller('orders')(OrdersController);

class AppModule {}
Module({
  imports: [
    TransitionGuardModule.forRoot({}),
    TransitionGuardModule.forFeature([
      { resource: 'order', machine: orderMachine, loader: OrderLoader },
    ]),
  ],
  controllers: [OrdersController],
})(AppModule);

if (!createValidator(orderMachine).can({ state: 'paid' }, 'SHIP'))
  throw new Error('core entry point broken');
const app = await NestFactory.create(AppModule, { logger: false });
await app.listen(0, '127.0.0.1');
const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
const refused = await fetch(`${url}/orders/42/ship`, { method: 'POST' });
const allowed = await fetch(`${url}/orders/7/ship`, { method: 'POST' });
console.log(
  JSON.stringify({
    refused: { status: refused.status, body: await refused.json() },
    allowed: { status: allowed.status, body: await allowed.json() },
    testing: typeof (await import('nestjs-transition-guard/testing')).verifyHttpContract,
  }),
);
await app.close();
