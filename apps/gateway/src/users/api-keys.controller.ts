import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { type ApiKeyView, type CreatedApiKeyView } from '@helix/contracts';
import { ApiKeyViewDto, CreatedApiKeyViewDto } from '../dto';
import { Authenticated } from '@helix/access';
import { CurrentUser } from '../auth/auth';
import { ApiErrors, PAYLOAD_ERRORS } from '../http/api-docs';
import { ApiError } from '../http/errors';
import { showableFieldName } from '../http/validation';
import type { UserEntity } from './user.entity';
import { ApiKeysService } from './api-keys.service';

const USER_PARAM = { name: 'user_id', description: 'The user id (GET /api/v1/users)' };
const KEY_PARAM = { name: 'key_id', description: 'The key id (GET …/keys)' };
const NOT_THEIRS = [403, "Another user's keys, and the caller is not an admin."] as const;
const NO_FIELDS = {
  required: false,
  description: 'No fields: send {} or no body.',
  schema: { type: 'object', properties: {}, additionalProperties: false },
} as const;

/**
 * API keys (issue 10): list (prefix and times, never a key), create (the key is shown once), revoke.
 * Every route is `@Authenticated()`: an admin manages anyone's keys, every user their own
 * (`/users/me/keys`, or their own id); `ApiKeysService` applies that rule (403 otherwise).
 */
@ApiTags('users')
@ApiBearerAuth()
@ApiErrors(401, 503)
@Controller('api/v1/users')
export class ApiKeysController {
  constructor(private readonly keys: ApiKeysService) {}

  @Get('me/keys')
  @Authenticated()
  @ApiOperation({
    operationId: 'listMyApiKeys',
    summary: 'List my API keys',
    description: "The caller's API keys, revoked ones too, oldest first: prefixes and times, never a key.",
  })
  @ApiOkResponse({ type: [ApiKeyViewDto], description: 'The keys: prefixes and times, never a key.' })
  listMine(@CurrentUser() user: UserEntity): Promise<ApiKeyView[]> {
    return this.keys.list(user.id, user);
  }

  @Post('me/keys')
  @HttpCode(201)
  @Authenticated()
  @ApiBody(NO_FIELDS)
  @ApiOperation({
    operationId: 'createMyApiKey',
    summary: 'Create an API key for me',
    description: 'The key is returned once and stored only as a hash.',
  })
  @ApiCreatedResponse({ type: CreatedApiKeyViewDto, description: 'The new key, shown this once.' })
  @ApiErrors([400, 'The body has fields (send {} or no body).'], ...PAYLOAD_ERRORS)
  createMine(@Body() body: unknown, @CurrentUser() user: UserEntity): Promise<CreatedApiKeyView> {
    requireNoFields(body);
    return this.keys.create(user.id, user);
  }

  @Delete('me/keys/:key_id')
  @Authenticated()
  @ApiParam(KEY_PARAM)
  @ApiOperation({
    operationId: 'revokeMyApiKey',
    summary: 'Revoke one of my API keys',
    description: "Revokes one of the caller's keys at once; revoking a revoked key answers it again (200).",
  })
  @ApiOkResponse({ type: ApiKeyViewDto, description: 'The key: its prefix and times, never the key.' })
  @ApiErrors([400, "A malformed id, or the caller's last active key."], [404, "The key does not exist, or is not one of the caller's keys."])
  revokeMine(@Param('key_id') keyId: string, @CurrentUser() user: UserEntity): Promise<ApiKeyView> {
    return this.keys.revoke(user.id, keyId, user);
  }

  @Get(':user_id/keys')
  @Authenticated()
  @ApiParam(USER_PARAM)
  @ApiOperation({
    operationId: 'listUserApiKeys',
    summary: "List a user's API keys",
    description: 'Admin, or the user themself: prefixes and times, never a key.',
  })
  @ApiOkResponse({ type: [ApiKeyViewDto], description: 'The keys: prefixes and times, never a key.' })
  @ApiErrors([400, 'A malformed id.'], NOT_THEIRS, [404, 'The user does not exist.'])
  list(@Param('user_id') userId: string, @CurrentUser() user: UserEntity): Promise<ApiKeyView[]> {
    return this.keys.list(userId, user);
  }

  @Post(':user_id/keys')
  @HttpCode(201)
  @Authenticated()
  @ApiParam(USER_PARAM)
  @ApiBody(NO_FIELDS)
  @ApiOperation({
    operationId: 'createUserApiKey',
    summary: 'Create an API key for a user',
    description: 'Admin, or the user themself. The key is returned once and stored only as a hash.',
  })
  @ApiCreatedResponse({ type: CreatedApiKeyViewDto, description: 'The new key, shown this once.' })
  @ApiErrors([400, 'A malformed id, or a body with fields.'], ...PAYLOAD_ERRORS, NOT_THEIRS, [404, 'The user does not exist.'])
  create(@Param('user_id') userId: string, @Body() body: unknown, @CurrentUser() user: UserEntity): Promise<CreatedApiKeyView> {
    requireNoFields(body);
    return this.keys.create(userId, user);
  }

  @Delete(':user_id/keys/:key_id')
  @Authenticated()
  @ApiParam(USER_PARAM)
  @ApiParam(KEY_PARAM)
  @ApiOperation({
    operationId: 'revokeUserApiKey',
    summary: "Revoke a user's API key",
    description:
      'Admin, or the user themself; the key stops working at once. Revoking a revoked key answers it again (200). Nobody revokes their own last active key.',
  })
  @ApiOkResponse({ type: ApiKeyViewDto, description: 'The key: its prefix and times, never the key.' })
  @ApiErrors([400, "A malformed id, or the caller's own last active key."], NOT_THEIRS, [404, 'The user or the key does not exist.'])
  revoke(@Param('user_id') userId: string, @Param('key_id') keyId: string, @CurrentUser() user: UserEntity): Promise<ApiKeyView> {
    return this.keys.revoke(userId, keyId, user);
  }
}

/** Creating a key takes no fields (yet): `{}` or no body; anything else is a 400 like an unknown field of a DTO. */
function requireNoFields(body: unknown): void {
  if (body === undefined || body === null) return;
  if (typeof body !== 'object' || Array.isArray(body)) throw new ApiError({ error: 'bad_request', message: 'The request body must be a JSON object.' });
  const names = Object.keys(body);
  if (names.length === 0) return;
  const details = names.slice(0, 10).map((name) => {
    const shown = showableFieldName(name);
    return shown === null
      ? { field: '(unknown field)', message: 'the body has a field that is not known' }
      : { field: shown, message: `${shown} is not a known field` };
  });
  throw new ApiError({ error: 'bad_request', message: `Invalid request: this request takes no fields (send {} or no body); ${details[0].message}.`, details });
}
