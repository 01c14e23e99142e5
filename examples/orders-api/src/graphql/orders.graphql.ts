import { Inject } from '@nestjs/common';
import { Args, Mutation, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { GraphQLScalarType, Kind, type ValueNode } from 'graphql';
import {
  CurrentTransition,
  Transition,
  TransitionCaller,
  type GuardRequest,
} from 'nestjs-transition-guard';
import { order } from '../orders/order.resource.js';
import { OrdersService, orderView, viewerOf } from '../orders/orders.service.js';

type OrderTransition = CurrentTransition<typeof order>;

/**
 * The order mutations over GraphQL: one per event, and `sendOrderEvent` for any. The id and the
 * payload (`input`, checked by the machine's payload schemas) are arguments; `idempotencyKey` is
 * the Idempotency-Key of one mutation. A refusal is an error whose `extensions` carry `code`
 * (`TRANSITION_REFUSED`, `STALE_STATE`, ...) and the same `body` as the HTTP 409.
 */
export const ordersTypeDefs = /* GraphQL */ `
  scalar JSON

  type Order {
    id: ID!
    state: String!
    version: Int!
    total: Int!
    paid: Int!
    carrier: String
    trackingNumber: String
    "The events this caller may send now, each with why not when it may not."
    allowedEvents: [AllowedEvent!]!
  }

  type AllowedEvent {
    event: String!
    allowed: Boolean!
    "Why not: the machine's reason, or role-required."
    reason: String
    requiredRoles: [String!]
    "The HTTP route that sends it."
    method: String
    href: String
  }

  type Query {
    order(id: ID!): Order
  }

  type Mutation {
    payOrder(id: ID!, input: JSON, idempotencyKey: String): Order
    shipOrder(id: ID!, input: JSON, idempotencyKey: String): Order
    deliverOrder(id: ID!, input: JSON, idempotencyKey: String): Order
    cancelOrder(id: ID!, input: JSON, idempotencyKey: String): Order
    refundOrder(id: ID!, input: JSON, idempotencyKey: String): Order
    "Any event: input is { type, ...payload }."
    sendOrderEvent(id: ID!, input: JSON!, idempotencyKey: String): Order
  }
`;

/** Any JSON value (the event's payload, checked by the machine's schemas, not by GraphQL). */
export const JsonScalar = new GraphQLScalarType({
  name: 'JSON',
  serialize: (value) => value,
  parseValue: (value) => value,
  parseLiteral: function literal(node: ValueNode): unknown {
    switch (node.kind) {
      case Kind.OBJECT:
        return Object.fromEntries(node.fields.map((f) => [f.name.value, literal(f.value)]));
      case Kind.LIST:
        return node.values.map(literal);
      case Kind.INT:
      case Kind.FLOAT:
        return Number(node.value);
      case Kind.STRING:
      case Kind.ENUM:
        return node.value;
      case Kind.BOOLEAN:
        return node.value;
      default:
        return null;
    }
  },
});

@Resolver('Order')
export class OrdersResolver {
  constructor(@Inject(OrdersService) private readonly orders: OrdersService) {}

  /** The order, if this caller may see it (as `GET /orders/:id`). */
  @Query('order')
  async order(@Args('id') id: string, @TransitionCaller() caller: GuardRequest) {
    return orderView(await this.orders.visible(Number(id), viewerOf(caller.headers)));
  }

  /** The events this caller may send now (the caller: the GraphQL context's HTTP request). */
  @ResolveField('allowedEvents')
  allowedEvents(@Parent() parent: { id: number }, @TransitionCaller() caller: GuardRequest) {
    return this.orders.allowedEvents(String(parent.id), caller);
  }

  @Mutation('payOrder')
  @Transition(order, 'PAY', { idempotency: true, audit: true })
  pay(@CurrentTransition() t: OrderTransition) {
    return this.orders.apply(t);
  }

  @Mutation('shipOrder')
  @Transition(order, 'SHIP', { idempotency: true, audit: true })
  ship(@CurrentTransition() t: OrderTransition) {
    return this.orders.apply(t);
  }

  @Mutation('deliverOrder')
  @Transition(order, 'DELIVER', { idempotency: true, audit: true })
  deliver(@CurrentTransition() t: OrderTransition) {
    return this.orders.apply(t);
  }

  @Mutation('cancelOrder')
  @Transition(order, 'CANCEL', { idempotency: true, audit: true })
  cancel(@CurrentTransition() t: OrderTransition) {
    return this.orders.apply(t);
  }

  @Mutation('refundOrder')
  @Transition(order, 'REFUND', { idempotency: true, audit: true })
  refund(@CurrentTransition() t: OrderTransition) {
    return this.orders.apply(t);
  }

  @Mutation('sendOrderEvent')
  @Transition(order, undefined, { idempotency: true, audit: true })
  send(@CurrentTransition() t: OrderTransition) {
    return this.orders.apply(t);
  }
}
