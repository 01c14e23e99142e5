import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { TransitionGuardModule } from 'nestjs-transition-guard';
import { Order } from './order.entity.js';
import { order } from './order.resource.js';
import { OrdersController } from './orders.controller.js';
import { OrdersService } from './orders.service.js';

@Module({
  imports: [
    TypeOrmModule.forFeature([Order]),
    // The loader's repository comes from TypeOrmModule.forFeature: import it for the loader too.
    TransitionGuardModule.forFeature([order], { imports: [TypeOrmModule.forFeature([Order])] }),
  ],
  controllers: [OrdersController],
  providers: [OrdersService],
})
export class OrdersModule {}
