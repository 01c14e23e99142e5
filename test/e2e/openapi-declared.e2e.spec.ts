import { Controller, HttpCode, Inject, Post } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { ExpressAdapter } from '@nestjs/platform-express';
import {
  ApiExcludeEndpoint,
  ApiOkResponse,
  ApiProperty,
  ApiResponse,
  DocumentBuilder,
  SwaggerModule,
} from '@nestjs/swagger';
import {
  CurrentTransition,
  defineResource,
  describeTransitions,
  MemoryTransitionStore,
  Transition,
  TransitionService,
} from '../../src/index.js';
import { transitionTestingModule } from '../../src/testing/index.js';
import { orderMachine, orderPayloads, type OrderContext } from '../../machines/order.machine.js';

/** What the app declares with @nestjs/swagger's decorators stays; excluded routes stay out. */
class UnusedStore extends MemoryTransitionStore<OrderContext> {}
const order = defineResource({
  resource: 'order',
  machine: orderMachine,
  store: UnusedStore,
  payloads: orderPayloads,
});

class Shipped {
  @ApiProperty() trackingNumber!: string;
}
class OurConflict {
  @ApiProperty() why!: string;
}

@Controller('orders/:id')
class OrdersController {
  constructor(@Inject(TransitionService) private readonly transitions: TransitionService) {}

  @Post('ship')
  @HttpCode(200)
  @Transition(order, 'SHIP')
  @ApiOkResponse({ type: Shipped, description: 'Shipped' })
  @ApiResponse({ status: 409, type: OurConflict, description: 'Our own conflict body' })
  ship(@CurrentTransition() t: CurrentTransition<typeof order, 'SHIP'>) {
    return this.transitions.commit(t, {});
  }

  @Post('cancel')
  @HttpCode(200)
  @Transition(order, 'CANCEL')
  cancel(@CurrentTransition() t: CurrentTransition<typeof order, 'CANCEL'>) {
    return this.transitions.commit(t, {});
  }

  @Post('refund')
  @Transition(order, 'REFUND')
  @ApiExcludeEndpoint()
  refund(@CurrentTransition() t: CurrentTransition<typeof order, 'REFUND'>) {
    return this.transitions.commit(t, {});
  }
}

type Responses = Record<string, { description: string; content?: Record<string, unknown> }>;
type Doc = { paths: Record<string, Record<string, { responses: Responses }> | undefined> };

describe('describeTransitions with what the app declares', () => {
  it('keeps declared bodies and descriptions, fills the rest, leaves excluded routes out', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [transitionTestingModule({ resources: [order] })],
      controllers: [OrdersController],
    }).compile();
    const app = moduleRef.createNestApplication(new ExpressAdapter(), { logger: false });
    await app.init();
    try {
      const document = SwaggerModule.createDocument(app, new DocumentBuilder().build());
      const doc = describeTransitions(app, document) as unknown as Doc;
      const ship = doc.paths['/orders/{id}/ship']!.post.responses;
      expect(ship['200']).toMatchObject({ description: 'Shipped' });
      expect(JSON.stringify(ship['200'].content)).toContain('#/components/schemas/Shipped');
      expect(ship['409'].description).toBe('Our own conflict body');
      expect(JSON.stringify(ship['409'].content)).toContain('#/components/schemas/OurConflict');
      // Statuses the app did not declare are generated.
      expect(ship['404'].description).toMatch(/No order has this id/);
      // A success response swagger made without a description gets one.
      const cancel = doc.paths['/orders/{id}/cancel']!.post.responses;
      expect(cancel['200'].description).toBe('The CANCEL transition is committed');
      expect(JSON.stringify(cancel['409'].content)).toContain('TransitionIllegal.order');
      // Excluded: not added back.
      expect(doc.paths['/orders/{id}/refund']).toBeUndefined();
    } finally {
      await app.close();
    }
  });
});
