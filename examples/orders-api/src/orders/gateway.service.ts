import { Inject, Injectable } from '@nestjs/common';

export const GATEWAY_LATENCY_MS = Symbol('GATEWAY_LATENCY_MS');

/**
 * Stand-in for the carrier and payment APIs a real handler calls between the check and the write
 * (create a shipping label, capture or refund a payment). Its latency (default 0; the race tests
 * set some) is the window in which another request can move the order.
 */
@Injectable()
export class GatewayService {
  constructor(@Inject(GATEWAY_LATENCY_MS) private readonly latencyMs: number) {}

  async call(_event: string): Promise<void> {
    if (this.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
  }
}
