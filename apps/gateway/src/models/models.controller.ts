import { Body, Controller, Delete, Get, HttpCode, Post, Put, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import {
  CreateModelDto,
  modelPatchFromUpdate,
  modelSpecErrors,
  modelSpecFromCreate,
  Patterns,
  UpdateModelDto,
  type CreateModelRequest,
  type DeleteModelRequest,
  type FieldError,
  type ModelView,
  type UpdateModelRequest,
} from '@helix/contracts';
import { AdminOnly, Authenticated } from '@helix/access';
import { CurrentUser } from '../auth/auth';
import { ApiError } from '../http/errors';
import { OrgsService } from '../orgs/orgs.service';
import { ServiceClient } from '../services/service-client';
import type { UserEntity } from '../users/user.entity';
import { SettingsClient } from '../settings/settings.client';
import { modelIdFromUrl } from './model-id';

const SERVICE = 'models service';

/** Models: admins write, every user reads. Ids contain "/", so item routes take the rest of the path. */
@ApiTags('models')
@ApiBearerAuth()
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
  @ApiOperation({ summary: "Create a model (the seed's JSON verbatim); an enabled model is deployed on the best-fitting runner." })
  async create(@Body() dto: CreateModelDto, @CurrentUser() user: UserEntity): Promise<ModelView> {
    const model = modelSpecFromCreate(dto);
    // The DTO checked each field; the whole model also meets the cross-field rules (the models-service re-checks all).
    rejectInvalid(modelSpecErrors(model));
    await this.orgs.requireOwnershipTargets(model);
    const request: CreateModelRequest = { model, created_by: user.id };
    return this.services.request(Patterns.modelsCreate, request, SERVICE);
  }

  @Get()
  @ApiOperation({ summary: 'List models with their slots.' })
  list(): Promise<ModelView[]> {
    return this.services.request(Patterns.modelsList, {}, SERVICE);
  }

  @Get('*')
  @ApiParam({ name: 'path', description: 'The model id, e.g. Qwen/Qwen2.5-VL-7B-Instruct (or URL-encoded)' })
  @ApiOperation({ summary: 'A model with its slots (state, endpoint, error, token source and fingerprint).' })
  get(@Req() req: FastifyRequest): Promise<ModelView> {
    return this.services.request(Patterns.modelsGet, { id: modelIdFromUrl(req.url) }, SERVICE);
  }

  @Put('*')
  @AdminOnly()
  @ApiParam({ name: 'path', description: 'The model id' })
  @ApiOperation({ summary: 'Change a model; absent fields keep their values. Changing memory, type, context or args replaces its slots.' })
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
  @ApiParam({ name: 'path', description: 'The model id' })
  @ApiOperation({ summary: "Clear the model's own token, stop its slots and delete it." })
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
