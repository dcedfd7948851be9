import { Body, Controller, Get, Param, Put, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiExcludeEndpoint, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { type ModelAccessView, type SettingsView, type TokenChainView } from '@helix/contracts';
import { ModelAccessViewDto, SettingsViewDto, TokenChainViewDto, UpdateScopedSettingsDto } from '../dto';
import { Authenticated } from '@helix/access';
import { CurrentUser } from '../auth/auth';
import { ApiErrors, ApiModelIdParam, INVALID_TOKEN, PAYLOAD_ERRORS } from '../http/api-docs';
import { modelIdFromUrl } from '../models/model-id';
import type { UserEntity } from '../users/user.entity';
import { ScopeAccess } from './scope-access';
import { SettingsClient } from './settings.client';
import { chainOf, tokenChain } from './token-chain';

const ORG_PARAM = { name: 'org', description: 'The org id, e.g. acme', example: 'acme' };
const USER_PARAM = { name: 'user_id', description: 'The user id (GET /api/v1/users)' };
/** Model ids contain "/": the plain form of ids with two or three parts (deeper ids use the encoded form). */
const PLAIN_MODEL_PATHS = (sub: string) => [`models/:p1/:p2/${sub}`, `models/:p1/:p2/:p3/${sub}`];

/** The body errors of a PUT: validation, size, media type, and a token the Hub rejects (strict mode). */
const PUT_ERRORS = [...PAYLOAD_ERRORS, INVALID_TOKEN] as const;
const ORG_400 = [400, 'The org id is malformed.'] as const;
const USER_400 = [400, 'The user id is malformed.'] as const;
const MODEL_400 = [400, 'The model id is malformed.'] as const;
const ORG_404 = [404, 'The org does not exist.'] as const;
const USER_404 = [404, 'The user does not exist.'] as const;
const MODEL_404 = [404, 'The model does not exist.'] as const;
const MODEL_403 = [403, "The caller is not an admin, the model's owner or an owner of its org."] as const;

/**
 * The Hugging Face token of an org, a user and a model (docs/reference/rest.md), and a model's resolution chain
 * (docs/reference/rest.md). Every route needs a key; ScopeAccess decides who may read or change which scope.
 */
@ApiTags('scoped settings')
@ApiBearerAuth()
@ApiErrors(401, 503)
@Authenticated()
@Controller('api/v1')
export class ScopedSettingsController {
  constructor(
    private readonly access: ScopeAccess,
    private readonly settings: SettingsClient,
  ) {}

  @Get('orgs/:org/settings')
  @ApiParam(ORG_PARAM)
  @ApiOperation({ operationId: 'getOrgSettings', summary: "Get an org's token settings", description: 'Admin or org member; never the token.' })
  @ApiOkResponse({ type: SettingsViewDto, description: "The scope's token settings: whether a token is set, its fingerprint and Hub status, never the token." })
  @ApiErrors(ORG_400, [403, 'The caller is neither an admin nor a member of the org.'], ORG_404)
  async getOrg(@Param('org') org: string, @CurrentUser() user: UserEntity): Promise<SettingsView> {
    return this.settings.get(await this.access.org(org, user, 'read'));
  }

  @Put('orgs/:org/settings')
  @ApiParam(ORG_PARAM)
  @ApiOperation({
    operationId: 'updateOrgSettings',
    summary: "Set or clear an org's token",
    description: 'Admin or org owner. Used by models of the org without a model or owner token.',
  })
  @ApiOkResponse({ type: SettingsViewDto, description: "The scope's token settings: whether a token is set, its fingerprint and Hub status, never the token." })
  @ApiErrors(...PUT_ERRORS, [403, 'The caller is neither an admin nor an owner of the org.'], ORG_404)
  async putOrg(@Param('org') org: string, @Body() dto: UpdateScopedSettingsDto, @CurrentUser() user: UserEntity): Promise<SettingsView> {
    return this.settings.update(await this.access.org(org, user, 'write'), dto.huggingface_token, user.id);
  }

  @Get('users/me/settings')
  @ApiOperation({ operationId: 'getMySettings', summary: 'Get my token settings', description: "The caller's own token settings; never the token." })
  @ApiOkResponse({ type: SettingsViewDto, description: "The scope's token settings: whether a token is set, its fingerprint and Hub status, never the token." })
  getMe(@CurrentUser() user: UserEntity): Promise<SettingsView> {
    return this.settings.get({ scope: 'user', scopeId: user.id });
  }

  @Put('users/me/settings')
  @ApiOperation({
    operationId: 'updateMySettings',
    summary: 'Set or clear my token',
    description: "The caller's own token: used by the models they own without a model token.",
  })
  @ApiOkResponse({ type: SettingsViewDto, description: "The scope's token settings: whether a token is set, its fingerprint and Hub status, never the token." })
  @ApiErrors(...PUT_ERRORS)
  putMe(@Body() dto: UpdateScopedSettingsDto, @CurrentUser() user: UserEntity): Promise<SettingsView> {
    return this.settings.update({ scope: 'user', scopeId: user.id }, dto.huggingface_token, user.id);
  }

  @Get('users/:user_id/settings')
  @ApiParam(USER_PARAM)
  @ApiOperation({ operationId: 'getUserSettings', summary: "Get a user's token settings", description: 'Admin or the user themself; never the token.' })
  @ApiOkResponse({ type: SettingsViewDto, description: "The scope's token settings: whether a token is set, its fingerprint and Hub status, never the token." })
  @ApiErrors(USER_400, [403, 'The caller is neither an admin nor this user.'], USER_404)
  async getUser(@Param('user_id') userId: string, @CurrentUser() user: UserEntity): Promise<SettingsView> {
    return this.settings.get(await this.access.user(userId, user));
  }

  @Put('users/:user_id/settings')
  @ApiParam(USER_PARAM)
  @ApiOperation({ operationId: 'updateUserSettings', summary: "Set or clear a user's token", description: 'Admin or the user themself.' })
  @ApiOkResponse({ type: SettingsViewDto, description: "The scope's token settings: whether a token is set, its fingerprint and Hub status, never the token." })
  @ApiErrors(...PUT_ERRORS, [403, 'The caller is neither an admin nor this user.'], USER_404)
  async putUser(@Param('user_id') userId: string, @Body() dto: UpdateScopedSettingsDto, @CurrentUser() user: UserEntity): Promise<SettingsView> {
    return this.settings.update(await this.access.user(userId, user), dto.huggingface_token, user.id);
  }

  @Get('models/:id/settings')
  @ApiModelIdParam()
  @ApiOperation({
    operationId: 'getModelSettings',
    summary: "Get a model's own token settings",
    description: "Admin, the model's owner, or an owner of the model's org; never the token.",
  })
  @ApiOkResponse({ type: SettingsViewDto, description: "The scope's token settings: whether a token is set, its fingerprint and Hub status, never the token." })
  @ApiErrors(MODEL_400, MODEL_403, MODEL_404)
  async getModel(@Req() req: FastifyRequest, @CurrentUser() user: UserEntity): Promise<SettingsView> {
    const { target } = await this.access.model(modelIdFromUrl(req.url, 'settings'), user);
    return this.settings.get(target);
  }

  @Get(PLAIN_MODEL_PATHS('settings'))
  @ApiExcludeEndpoint()
  getModelPlain(@Req() req: FastifyRequest, @CurrentUser() user: UserEntity): Promise<SettingsView> {
    return this.getModel(req, user);
  }

  @Put('models/:id/settings')
  @ApiModelIdParam()
  @ApiOperation({
    operationId: 'updateModelSettings',
    summary: "Set or clear a model's own token",
    description: "It overrides every other level for that model. Admin, the model's owner, or an owner of the model's org.",
  })
  @ApiOkResponse({ type: SettingsViewDto, description: "The scope's token settings: whether a token is set, its fingerprint and Hub status, never the token." })
  @ApiErrors(...PUT_ERRORS, MODEL_403, MODEL_404)
  async putModel(@Req() req: FastifyRequest, @Body() dto: UpdateScopedSettingsDto, @CurrentUser() user: UserEntity): Promise<SettingsView> {
    const { target } = await this.access.model(modelIdFromUrl(req.url, 'settings'), user);
    return this.settings.update(target, dto.huggingface_token, user.id);
  }

  @Put(PLAIN_MODEL_PATHS('settings'))
  @ApiExcludeEndpoint()
  putModelPlain(@Req() req: FastifyRequest, @Body() dto: UpdateScopedSettingsDto, @CurrentUser() user: UserEntity): Promise<SettingsView> {
    return this.putModel(req, dto, user);
  }

  @Get('models/:id/token')
  @ApiModelIdParam()
  @ApiOperation({
    operationId: 'getModelTokenChain',
    summary: "Get a model's token resolution chain",
    description: "Which token a start of this model would use: its chain model → owner's user → org → global (fingerprints only).",
  })
  @ApiOkResponse({ type: TokenChainViewDto, description: 'The levels that apply to this model, highest first, and the first one set.' })
  @ApiErrors(MODEL_400, MODEL_403, MODEL_404)
  async getTokenChain(@Req() req: FastifyRequest, @CurrentUser() user: UserEntity): Promise<TokenChainView> {
    const { model } = await this.access.model(modelIdFromUrl(req.url, 'token'), user);
    return tokenChain(model, (targets) => this.settings.getMany(targets));
  }

  @Get(PLAIN_MODEL_PATHS('token'))
  @ApiExcludeEndpoint()
  getTokenChainPlain(@Req() req: FastifyRequest, @CurrentUser() user: UserEntity): Promise<TokenChainView> {
    return this.getTokenChain(req, user);
  }

  @Get('models/:id/access')
  @ApiModelIdParam()
  @ApiOperation({
    operationId: 'getModelAccess',
    summary: "Check a model's access to the Hugging Face Hub",
    description: "Whether the model's effective control-plane token (or none) can pull its repository from the Hugging Face Hub, before any GPU is spent.",
  })
  @ApiOkResponse({ type: ModelAccessViewDto, description: "What the Hub answered for the model's repository." })
  @ApiErrors(MODEL_400, MODEL_403, MODEL_404)
  async getAccess(@Req() req: FastifyRequest, @CurrentUser() user: UserEntity): Promise<ModelAccessView> {
    const { model } = await this.access.model(modelIdFromUrl(req.url, 'access'), user);
    return this.settings.modelAccess(model.id, chainOf(model));
  }

  @Get(PLAIN_MODEL_PATHS('access'))
  @ApiExcludeEndpoint()
  getAccessPlain(@Req() req: FastifyRequest, @CurrentUser() user: UserEntity): Promise<ModelAccessView> {
    return this.getAccess(req, user);
  }
}
