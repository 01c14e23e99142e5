import { Controller, Get, NotFoundException, Param } from '@nestjs/common';
import { TransitionRegistry } from 'nestjs-transition-guard';

/** Serves the machines the API enforces, as data: states, events, transitions, payload schemas. */
@Controller('machines')
export class MachinesController {
  constructor(private readonly registry: TransitionRegistry) {}

  @Get()
  list() {
    return this.registry
      .resources()
      .map((r) => ({ resource: r, machine: this.registry.get(r)!.machine.id }));
  }

  @Get(':id')
  get(@Param('id') id: string) {
    const entry = this.registry
      .resources()
      .map((r) => this.registry.get(r)!)
      .find((e) => e.machine.id === id || e.resource === id);
    if (!entry) {
      throw new NotFoundException({
        statusCode: 404,
        error: 'Not Found',
        code: 'MACHINE_NOT_FOUND',
        message: `No machine '${id.slice(0, 60)}' (machines: ${this.registry.resources().join(', ')})`,
      });
    }
    return entry.validator.describe();
  }
}
