import { Module, type DynamicModule } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { TransitionGuardModule } from 'nestjs-transition-guard';
import { Notification } from '../notifications/notification.entity.js';
import { NOTIFIER_FAULTS, Notifier, type NotifierFaults } from '../notifications/notifier.js';
import { Order } from './order.entity.js';
import { order } from './order.resource.js';
import { OrdersController } from './orders.controller.js';
import { OrdersService } from './orders.service.js';
import { GATEWAY_LATENCY_MS, GatewayService } from './gateway.service.js';

@Module({
  imports: [
    TypeOrmModule.forFeature([Order, Notification]),
    TransitionGuardModule.forFeature([order]),
  ],
  controllers: [OrdersController],
  providers: [OrdersService, GatewayService, Notifier],
})
export class OrdersModule {
  static register(options: {
    gatewayLatencyMs: number;
    notifierFaults: NotifierFaults;
  }): DynamicModule {
    return {
      module: OrdersModule,
      providers: [
        { provide: GATEWAY_LATENCY_MS, useValue: options.gatewayLatencyMs },
        { provide: NOTIFIER_FAULTS, useValue: options.notifierFaults },
      ],
    };
  }
}
