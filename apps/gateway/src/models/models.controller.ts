import { Body, Controller, Delete, Get, HttpCode, Post, Put, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import {
  modelSpecErrors,
  Patterns,
  type CreateModelRequest,
  type DeleteModelRequest,
  type FieldError,
  type ModelView,
  type UpdateModelRequest,
} from '@helix/contracts';
import { CreateModelDto, modelPatchFromUpdate, modelSpecFromCreate, ModelViewDto, UpdateModelDto } from '../dto';
import { AdminOnly, Authenticated } from '@helix/access';
import { CurrentUser } from '../auth/auth';
import { ApiErrors, ApiModelIdParam, BODY_ERRORS, WILDCARD } from '../http/api-docs';
import { ApiError } from '../http/errors';
import { OrgsService } from '../orgs/orgs.service';
import { ServiceClient } from '../services/service-client';
import type { UserEntity } from '../users/user.entity';
import { SettingsClient } from '../settings/settings.client';
import { modelIdFromUrl } from './model-id';

const SERVICE = 'models service';

/**
 * Models: admins write, every user reads. Ids contain "/", so item routes take the rest of the path
 * (`*`); the API document shows that wildcard as the path parameter `{id}` (see docs.ts).
 */
@ApiTags('models')
@ApiBearerAuth()
@ApiErrors(401, 503)
@Authenticated()
@Controller('api/v1/models')
export class ModelsController {
  constructor(
    private readonly services: ServiceClient,
    private readonly orgs: OrgsService,
    private readonly settings: SettingsClient,
  ) {}

  @Post()
  @HttpCode(201)
  @AdminOnly()
  @ApiOperation({
    operationId: 'createModel',
    summary: 'Create a model',
    description: "The seed's JSON verbatim; an enabled model is deployed on the best-fitting runner. Admin only.",
  })
  @ApiCreatedResponse({ type: ModelViewDto, description: 'The model with its slots.' })
  @ApiErrors(...BODY_ERRORS, 403, [404, 'The org_id or owner_id names an org or user that does not exist.'], [409, 'A model with this id already exists.'])
  async create(@Body() dto: CreateModelDto, @CurrentUser() user: UserEntity): Promise<ModelView> {
    const model = modelSpecFromCreate(dto);
    // The DTO checked each field; the whole model also meets the cross-field rules (the models-service re-checks all).
    rejectInvalid(modelSpecErrors(model));
    await this.orgs.requireOwnershipTargets(model);
    const request: CreateModelRequest = { model, created_by: user.id };
    return this.services.request(Patterns.modelsCreate, request, SERVICE);
  }

  @Get()
  @ApiOperation({ operationId: 'listModels', summary: 'List models', description: 'Every model with its slots.' })
  @ApiOkResponse({ type: [ModelViewDto], description: 'Every model with its slots.' })
  list(): Promise<ModelView[]> {
    return this.services.request(Patterns.modelsList, {}, SERVICE);
  }

  @Get('*')
  @ApiModelIdParam(WILDCARD)
  @ApiOperation({
    operationId: 'getModel',
    summary: 'Get a model',
    description: 'A model with its slots (state, endpoint, error, token source and fingerprint).',
  })
  @ApiOkResponse({ type: ModelViewDto, description: 'The model with its slots.' })
  @ApiErrors([400, 'The model id is malformed.'], [404, 'The model does not exist.'])
  get(@Req() req: FastifyRequest): Promise<ModelView> {
    return this.services.request(Patterns.modelsGet, { id: modelIdFromUrl(req.url) }, SERVICE);
  }

  @Put('*')
  @AdminOnly()
  @ApiModelIdParam(WILDCARD)
  @ApiOperation({
    operationId: 'updateModel',
    summary: 'Update a model',
    description: 'Absent fields keep their values. Changing memory, type, context or args replaces its slots. Admin only.',
  })
  @ApiOkResponse({ type: ModelViewDto, description: 'The model with its slots.' })
  @ApiErrors(...BODY_ERRORS, 403, [404, 'The model, or the org or user named by org_id or owner_id, does not exist.'])
  async update(@Req() req: FastifyRequest, @Body() dto: UpdateModelDto, @CurrentUser() user: UserEntity): Promise<ModelView> {
    const id = modelIdFromUrl(req.url);
    if (dto.id !== undefined && dto.id !== id)
      rejectInvalid([{ field: 'id', message: 'id in the body must equal the model id in the path (ids cannot be changed)' }]);
    const patch = modelPatchFromUpdate(dto);
    await this.orgs.requireOwnershipTargets(patch);
    const request: UpdateModelRequest = { id, patch, updated_by: user.id };
    return this.services.request(Patterns.modelsUpdate, request, SERVICE);
  }

  @Delete('*')
  @AdminOnly()
  @ApiModelIdParam(WILDCARD)
  @ApiOperation({
    operationId: 'deleteModel',
    summary: 'Delete a model',
    description: "Clears the model's own token, stops its slots and deletes it. Admin only.",
  })
  @ApiOkResponse({ type: ModelViewDto, description: 'The deleted model.' })
  @ApiErrors([400, 'The model id is malformed.'], 403, [404, 'The model does not exist.'])
  async delete(@Req() req: FastifyRequest, @CurrentUser() user: UserEntity): Promise<ModelView> {
    const request: DeleteModelRequest = { id: modelIdFromUrl(req.url), deleted_by: user.id };
    // The token goes first: a failed delete then leaves a model without its own token (the next
    // level applies), never a token for a model that no longer exists.
    await this.settings.clearScope('model', request.id, user.id);
    return this.services.request(Patterns.modelsDelete, request, SERVICE);
  }
}

function rejectInvalid(details: FieldError[]): void {
  if (details.length) throw new ApiError({ error: 'bad_request', message: `Invalid request: ${details.map((d) => d.message).join('; ')}.`, details });
}
