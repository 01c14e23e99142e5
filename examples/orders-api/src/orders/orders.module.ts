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
import { OrdersResolver } from '../graphql/orders.graphql.js';
import { OrderMessagesController } from '../messages/order-messages.controller.js';

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
    /** Serve the order mutations over GraphQL (the app imports a GraphQLModule). */
    graphql: boolean;
    /** Take order events as messages (the app connects a microservice transport). */
    messages: boolean;
  }): DynamicModule {
    return {
      module: OrdersModule,
      controllers: options.messages ? [OrderMessagesController] : [],
      providers: [
        { provide: GATEWAY_LATENCY_MS, useValue: options.gatewayLatencyMs },
        { provide: NOTIFIER_FAULTS, useValue: options.notifierFaults },
        ...(options.graphql ? [OrdersResolver] : []),
      ],
    };
  }
}
