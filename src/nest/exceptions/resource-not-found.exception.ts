import { NotFoundException } from '@nestjs/common';

/** 404: the loader found no resource with this id. */
export class ResourceNotFoundException extends NotFoundException {
  constructor(
    readonly resource: string,
    readonly id: string,
  ) {
    super({
      statusCode: 404,
      error: 'Not Found',
      code: 'RESOURCE_NOT_FOUND',
      message: `${resource} ${id} does not exist`,
      resource,
      id,
    });
  }
}
