import { HttpException } from '@nestjs/common';
import { ERROR_STATUS, type ErrorBody } from '@helix/contracts';

/**
 * An error that already has its docs/reference/rest.md body (e.g. relayed from a service). The status is the
 * code's own unless given: a body that is too large (413) or not JSON (415) is a `bad_request`
 * with a more precise status.
 */
export class ApiError extends HttpException {
  constructor(
    readonly body: ErrorBody,
    status: number = ERROR_STATUS[body.error],
  ) {
    super(body, status);
  }
}
