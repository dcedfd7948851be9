import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { ApiKeyViewDto, CreatedApiKeyViewDto, type ApiKeyView, type CreatedApiKeyView } from '@helix/contracts';
import { Authenticated } from '@helix/access';
import { CurrentUser } from '../auth/auth';
import { ApiError } from '../http/errors';
import { showableFieldName } from '../http/validation';
import type { UserEntity } from './user.entity';
import { ApiKeysService } from './api-keys.service';

const USER_PARAM = { name: 'user_id', description: 'The user id (GET /api/v1/users)' };
const KEY_PARAM = { name: 'key_id', description: 'The key id (GET …/keys)' };
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
@ApiResponse({ status: 401, description: 'No, unknown or revoked API key.' })
@Controller('api/v1/users')
export class ApiKeysController {
  constructor(private readonly keys: ApiKeysService) {}

  @Get('me/keys')
  @Authenticated()
  @ApiOperation({ summary: "The caller's API keys, revoked ones too, oldest first: prefixes and times, never a key." })
  @ApiOkResponse({ type: [ApiKeyViewDto] })
  listMine(@CurrentUser() user: UserEntity): Promise<ApiKeyView[]> {
    return this.keys.list(user.id, user);
  }

  @Post('me/keys')
  @HttpCode(201)
  @Authenticated()
  @ApiBody(NO_FIELDS)
  @ApiOperation({ summary: 'A new API key for the caller; the key is returned once and stored only as a hash.' })
  @ApiCreatedResponse({ type: CreatedApiKeyViewDto })
  createMine(@Body() body: unknown, @CurrentUser() user: UserEntity): Promise<CreatedApiKeyView> {
    requireNoFields(body);
    return this.keys.create(user.id, user);
  }

  @Delete('me/keys/:key_id')
  @Authenticated()
  @ApiParam(KEY_PARAM)
  @ApiOperation({ summary: "Revoke one of the caller's keys at once; revoking a revoked key answers it again (200)." })
  @ApiOkResponse({ type: ApiKeyViewDto })
  @ApiResponse({ status: 400, description: "A malformed id, or the caller's last active key." })
  @ApiResponse({ status: 404, description: 'The key does not exist, or is not one of the caller keys.' })
  revokeMine(@Param('key_id') keyId: string, @CurrentUser() user: UserEntity): Promise<ApiKeyView> {
    return this.keys.revoke(user.id, keyId, user);
  }

  @Get(':user_id/keys')
  @Authenticated()
  @ApiParam(USER_PARAM)
  @ApiOperation({ summary: "A user's API keys (admin, or the user themself): prefixes and times, never a key." })
  @ApiOkResponse({ type: [ApiKeyViewDto] })
  @ApiResponse({ status: 400, description: 'A malformed id.' })
  @ApiResponse({ status: 403, description: "Another user's keys, and the caller is not an admin." })
  @ApiResponse({ status: 404, description: 'The user does not exist.' })
  list(@Param('user_id') userId: string, @CurrentUser() user: UserEntity): Promise<ApiKeyView[]> {
    return this.keys.list(userId, user);
  }

  @Post(':user_id/keys')
  @HttpCode(201)
  @Authenticated()
  @ApiParam(USER_PARAM)
  @ApiBody(NO_FIELDS)
  @ApiOperation({ summary: 'A new API key for the user (admin, or the user themself); the key is returned once and stored only as a hash.' })
  @ApiCreatedResponse({ type: CreatedApiKeyViewDto })
  @ApiResponse({ status: 400, description: 'A malformed id, or a body with fields.' })
  @ApiResponse({ status: 403, description: "Another user's keys, and the caller is not an admin." })
  @ApiResponse({ status: 404, description: 'The user does not exist.' })
  create(@Param('user_id') userId: string, @Body() body: unknown, @CurrentUser() user: UserEntity): Promise<CreatedApiKeyView> {
    requireNoFields(body);
    return this.keys.create(userId, user);
  }

  @Delete(':user_id/keys/:key_id')
  @Authenticated()
  @ApiParam(USER_PARAM)
  @ApiParam(KEY_PARAM)
  @ApiOperation({
    summary:
      "Revoke a user's key at once (admin, or the user themself); revoking a revoked key answers it again (200). Nobody revokes their own last active key.",
  })
  @ApiOkResponse({ type: ApiKeyViewDto })
  @ApiResponse({ status: 400, description: "A malformed id, or the caller's own last active key." })
  @ApiResponse({ status: 403, description: "Another user's keys, and the caller is not an admin." })
  @ApiResponse({ status: 404, description: 'The user or the key does not exist.' })
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
