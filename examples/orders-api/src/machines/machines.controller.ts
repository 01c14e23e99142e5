import {
  BadRequestException,
  Controller,
  Get,
  Inject,
  NotFoundException,
  Param,
  Query,
  Res,
} from '@nestjs/common';
import { TransitionService } from 'nestjs-transition-guard';
import { toDot, toMermaid } from 'nestjs-transition-guard/core';

/** Serves the machines the API enforces, as data: states, events, transitions, payload schemas. */
@Controller('machines')
export class MachinesController {
  constructor(@Inject(TransitionService) private readonly transitions: TransitionService) {}

  @Get()
  list() {
    return this.transitions
      .resources()
      .map((r) => ({ resource: r, machine: this.transitions.validator(r).describe().id }));
  }

  /** The machine as JSON; `?format=mermaid` or `?format=dot` for a diagram (`&highlight=paid`). */
  @Get(':id')
  get(
    @Param('id') id: string,
    @Query('format') format: string | undefined,
    @Query('highlight') highlight: string | undefined,
    @Res({ passthrough: true }) res: { header(name: string, value: string): unknown },
  ) {
    const entry = this.transitions
      .resources()
      .map((r) => ({ resource: r, validator: this.transitions.validator(r) }))
      .find((e) => e.validator.describe().id === id || e.resource === id);
    if (!entry) {
      throw new NotFoundException({
        statusCode: 404,
        error: 'Not Found',
        code: 'MACHINE_NOT_FOUND',
        message: `No machine '${id.slice(0, 60)}' (machines: ${this.transitions.resources().join(', ')})`,
      });
    }
    const description = entry.validator.describe();
    if (format === undefined || format === 'json') return description;
    if (format !== 'mermaid' && format !== 'dot') {
      throw new BadRequestException({
        statusCode: 400,
        error: 'Bad Request',
        code: 'INVALID_FORMAT',
        message: 'format is json, mermaid or dot',
      });
    }
    if (highlight !== undefined && !description.states.some((s) => s.path === highlight)) {
      throw new BadRequestException({
        statusCode: 400,
        error: 'Bad Request',
        code: 'INVALID_HIGHLIGHT',
        message: `highlight must be a state of ${description.id}`,
      });
    }
    const text =
      format === 'dot' ? toDot(description, { highlight }) : toMermaid(description, { highlight });
    // Express and Fastify replies both have header(); the text is sent as is.
    res.header('Content-Type', 'text/plain; charset=utf-8');
    return text;
  }
}
