import { Body, Controller, Get, Param, Put, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiExcludeEndpoint, ApiOkResponse, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import {
  ModelAccessViewDto,
  SettingsViewDto,
  TokenChainViewDto,
  UpdateScopedSettingsDto,
  type ModelAccessView,
  type SettingsView,
  type TokenChainView,
} from '@helix/contracts';
import { Authenticated } from '@helix/access';
import { CurrentUser } from '../auth/auth';
import { modelIdFromUrl } from '../models/model-id';
import type { UserEntity } from '../users/user.entity';
import { ScopeAccess } from './scope-access';
import { SettingsClient } from './settings.client';
import { chainOf, tokenChain } from './token-chain';

const ORG_PARAM = { name: 'org', description: 'The org id, e.g. acme', example: 'acme' };
const USER_PARAM = { name: 'user_id', description: 'The user id (GET /api/v1/users)' };
const MODEL_PARAM = {
  name: 'id',
  description: 'The model id, URL-encoded (Qwen%2FQwen2.5-VL-7B-Instruct); the plain form /models/Qwen/Qwen2.5-VL-7B-Instruct/settings works too.',
  example: 'Qwen%2FQwen2.5-VL-7B-Instruct',
};
/** Model ids contain "/": the plain form of ids with two or three parts (deeper ids use the encoded form). */
const PLAIN_MODEL_PATHS = (sub: string) => [`models/:p1/:p2/${sub}`, `models/:p1/:p2/:p3/${sub}`];

const UNAUTHORIZED = { status: 401, description: 'No or unknown API key.' };
const BAD_REQUEST = { status: 400, description: 'A malformed id or body (the message says which); nothing changed.' };

/**
 * The Hugging Face token of an org, a user and a model (SPEC §11.3), and a model's resolution chain
 * (§11.4). Every route needs a key; ScopeAccess decides who may read or change which scope.
 */
@ApiTags('scoped settings')
@ApiBearerAuth()
@ApiResponse(UNAUTHORIZED)
@Authenticated()
@Controller('api/v1')
export class ScopedSettingsController {
  constructor(
    private readonly access: ScopeAccess,
    private readonly settings: SettingsClient,
  ) {}

  @Get('orgs/:org/settings')
  @ApiParam(ORG_PARAM)
  @ApiOperation({ summary: "The org's token settings (admin or org member); never the token." })
  @ApiOkResponse({ type: SettingsViewDto })
  @ApiResponse({ status: 403, description: 'The caller is neither an admin nor a member of the org.' })
  @ApiResponse({ status: 404, description: 'The org does not exist.' })
  async getOrg(@Param('org') org: string, @CurrentUser() user: UserEntity): Promise<SettingsView> {
    return this.settings.get(await this.access.org(org, user, 'read'));
  }

  @Put('orgs/:org/settings')
  @ApiParam(ORG_PARAM)
  @ApiOperation({ summary: 'Set or clear the org token (admin or org owner): used by models of the org without a model or owner token.' })
  @ApiOkResponse({ type: SettingsViewDto })
  @ApiResponse(BAD_REQUEST)
  @ApiResponse({ status: 403, description: 'The caller is neither an admin nor an owner of the org.' })
  @ApiResponse({ status: 404, description: 'The org does not exist.' })
  async putOrg(@Param('org') org: string, @Body() dto: UpdateScopedSettingsDto, @CurrentUser() user: UserEntity): Promise<SettingsView> {
    return this.settings.update(await this.access.org(org, user, 'write'), dto.huggingface_token, user.id);
  }

  @Get('users/me/settings')
  @ApiOperation({ summary: "The caller's own token settings." })
  @ApiOkResponse({ type: SettingsViewDto })
  getMe(@CurrentUser() user: UserEntity): Promise<SettingsView> {
    return this.settings.get({ scope: 'user', scopeId: user.id });
  }

  @Put('users/me/settings')
  @ApiOperation({ summary: "Set or clear the caller's own token: used by the models they own without a model token." })
  @ApiOkResponse({ type: SettingsViewDto })
  @ApiResponse(BAD_REQUEST)
  putMe(@Body() dto: UpdateScopedSettingsDto, @CurrentUser() user: UserEntity): Promise<SettingsView> {
    return this.settings.update({ scope: 'user', scopeId: user.id }, dto.huggingface_token, user.id);
  }

  @Get('users/:user_id/settings')
  @ApiParam(USER_PARAM)
  @ApiOperation({ summary: "A user's token settings (admin or the user themself)." })
  @ApiOkResponse({ type: SettingsViewDto })
  @ApiResponse({ status: 403, description: 'The caller is neither an admin nor this user.' })
  @ApiResponse({ status: 404, description: 'The user does not exist.' })
  async getUser(@Param('user_id') userId: string, @CurrentUser() user: UserEntity): Promise<SettingsView> {
    return this.settings.get(await this.access.user(userId, user));
  }

  @Put('users/:user_id/settings')
  @ApiParam(USER_PARAM)
  @ApiOperation({ summary: "Set or clear a user's token (admin or the user themself)." })
  @ApiOkResponse({ type: SettingsViewDto })
  @ApiResponse(BAD_REQUEST)
  @ApiResponse({ status: 403, description: 'The caller is neither an admin nor this user.' })
  @ApiResponse({ status: 404, description: 'The user does not exist.' })
  async putUser(@Param('user_id') userId: string, @Body() dto: UpdateScopedSettingsDto, @CurrentUser() user: UserEntity): Promise<SettingsView> {
    return this.settings.update(await this.access.user(userId, user), dto.huggingface_token, user.id);
  }

  @Get('models/:id/settings')
  @ApiParam(MODEL_PARAM)
  @ApiOperation({ summary: "A model's own token settings (admin, the model's owner, or an owner of the model's org)." })
  @ApiOkResponse({ type: SettingsViewDto })
  @ApiResponse({ status: 403, description: "The caller is not an admin, the model's owner or an owner of its org." })
  @ApiResponse({ status: 404, description: 'The model does not exist.' })
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
  @ApiParam(MODEL_PARAM)
  @ApiOperation({ summary: 'Set or clear the token of one model: it overrides every other level for that model.' })
  @ApiOkResponse({ type: SettingsViewDto })
  @ApiResponse(BAD_REQUEST)
  @ApiResponse({ status: 403, description: "The caller is not an admin, the model's owner or an owner of its org." })
  @ApiResponse({ status: 404, description: 'The model does not exist.' })
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
  @ApiParam(MODEL_PARAM)
  @ApiOperation({ summary: "Which token a start of this model would use: its chain model → owner's user → org → global (fingerprints only)." })
  @ApiOkResponse({ type: TokenChainViewDto })
  @ApiResponse({ status: 403, description: "The caller is not an admin, the model's owner or an owner of its org." })
  @ApiResponse({ status: 404, description: 'The model does not exist.' })
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
  @ApiParam(MODEL_PARAM)
  @ApiOperation({
    summary: "Whether the model's effective control-plane token (or none) can pull its repository from the Hugging Face Hub, before any GPU is spent.",
  })
  @ApiOkResponse({ type: ModelAccessViewDto })
  @ApiResponse({ status: 403, description: "The caller is not an admin, the model's owner or an owner of its org." })
  @ApiResponse({ status: 404, description: 'The model does not exist.' })
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
