import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { AUDIT_ACTIONS, AUDIT_LIMIT_DEFAULT, AUDIT_LIMIT_MAX, type AuditPageView } from '@helix/contracts';
import { AdminOnly } from '@helix/access';
import { ApiErrors } from '../http/api-docs';
import { ApiError } from '../http/errors';
import { parseAuditQuery } from './audit-query';
import { AuditService } from './audit.service';

/** OpenAPI description of one entry (the contract's AuditEntryView). */
const ENTRY_SCHEMA = {
  type: 'object',
  required: ['id', 'at', 'actor_id', 'actor_name', 'action', 'target', 'details'],
  properties: {
    id: { type: 'string', format: 'uuid' },
    at: { type: 'string', format: 'date-time' },
    actor_id: { type: 'string', format: 'uuid', nullable: true },
    actor_name: { type: 'string', nullable: true },
    action: { type: 'string', enum: [...AUDIT_ACTIONS] },
    target: { type: 'string', example: 'global' },
    details: { type: 'object', additionalProperties: true, description: 'ids, names, fingerprints and field names; never a token or an API key' },
  },
};

@ApiTags('audit')
@ApiBearerAuth()
@ApiErrors([400, 'A query parameter is malformed (the message names it).'], 401, 403, 503)
@Controller('api/v1/audit')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @AdminOnly()
  @ApiOperation({
    operationId: 'listAuditEntries',
    summary: 'List audit log entries',
    description: 'Newest first: token changes (fingerprints only), users, models and refused admin calls. Admin only.',
  })
  @ApiQuery({ name: 'limit', required: false, schema: { type: 'integer', minimum: 1, maximum: AUDIT_LIMIT_MAX, default: AUDIT_LIMIT_DEFAULT } })
  @ApiQuery({ name: 'before', required: false, schema: { type: 'string' }, description: 'the "next" cursor of the previous page' })
  @ApiQuery({ name: 'target', required: false, schema: { type: 'string' }, description: 'e.g. global, model:<id>, user:<id>' })
  @ApiQuery({ name: 'action', required: false, schema: { type: 'string', enum: [...AUDIT_ACTIONS] } })
  @ApiOkResponse({
    description: 'One page of entries, newest first; `next` is the cursor of the next page (null on the last).',
    schema: {
      type: 'object',
      required: ['items', 'next'],
      properties: { items: { type: 'array', items: ENTRY_SCHEMA }, next: { type: 'string', nullable: true } },
    },
  })
  list(@Query() query: Record<string, unknown>): Promise<AuditPageView> {
    const parsed = parseAuditQuery(query);
    if (!parsed.ok) {
      throw new ApiError({ error: 'bad_request', message: `Invalid query: ${parsed.errors.map((e) => e.message).join('; ')}.`, details: parsed.errors });
    }
    return this.audit.page(parsed.value);
  }
}
