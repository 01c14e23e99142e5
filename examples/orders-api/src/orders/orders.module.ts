import { Module, type DynamicModule } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { TransitionGuardModule } from 'nestjs-transition-guard';
import { Order } from './order.entity.js';
import { order } from './order.resource.js';
import { OrdersController } from './orders.controller.js';
import { OrdersService } from './orders.service.js';
import { GATEWAY_LATENCY_MS, GatewayService } from './gateway.service.js';

@Module({
  imports: [TypeOrmModule.forFeature([Order]), TransitionGuardModule.forFeature([order])],
  controllers: [OrdersController],
  providers: [OrdersService, GatewayService],
})
export class OrdersModule {
  static withGatewayLatency(ms: number): DynamicModule {
    return { module: OrdersModule, providers: [{ provide: GATEWAY_LATENCY_MS, useValue: ms }] };
  }
}
