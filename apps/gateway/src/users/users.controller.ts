import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { type CreatedUserView, type UserView } from '@helix/contracts';
import { CreateUserDto, CreatedUserViewDto, UserViewDto } from '../dto';
import { AdminOnly, Authenticated } from '@helix/access';
import { CurrentUser } from '../auth/auth';
import { ApiErrors, BODY_ERRORS } from '../http/api-docs';
import type { UserEntity } from './user.entity';
import { toUserView, UsersService } from './users.service';

@ApiTags('users')
@ApiBearerAuth()
@ApiErrors(401, 503)
@Controller('api/v1/users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Post()
  @HttpCode(201)
  @AdminOnly()
  @ApiOperation({
    operationId: 'createUser',
    summary: 'Create a user',
    description: 'Admin only. The new user’s API key is returned once and stored only as a hash.',
  })
  @ApiCreatedResponse({ type: CreatedUserViewDto, description: 'The new user with its API key, shown this once.' })
  @ApiErrors(...BODY_ERRORS, 403, [409, 'A user with this name already exists.', 'A user with this name already exists.'])
  create(@Body() dto: CreateUserDto, @CurrentUser() user: UserEntity): Promise<CreatedUserView> {
    return this.users.create(dto, user.id);
  }

  @Get()
  @AdminOnly()
  @ApiOperation({ operationId: 'listUsers', summary: 'List users', description: 'Admin only.' })
  @ApiOkResponse({ type: [UserViewDto], description: 'Every user.' })
  @ApiErrors(403)
  list(): Promise<UserView[]> {
    return this.users.list();
  }

  @Delete(':user_id')
  @AdminOnly()
  @ApiParam({ name: 'user_id', description: 'The user id (GET /api/v1/users)' })
  @ApiOperation({
    operationId: 'deleteUser',
    summary: 'Delete a user',
    description: 'Admin only. Its API keys stop working, its token is cleared, its memberships go, its models keep existing with owner_id null.',
  })
  @ApiOkResponse({ type: UserViewDto, description: 'The deleted user.' })
  @ApiErrors([400, 'A malformed id, or the caller deleting themself.'], 403, [404, 'The user does not exist.'])
  delete(@Param('user_id') userId: string, @CurrentUser() user: UserEntity): Promise<UserView> {
    return this.users.delete(userId, user);
  }

  @Get('me')
  @Authenticated()
  @ApiOperation({ operationId: 'getCurrentUser', summary: 'Get the calling user', description: 'The user the API key belongs to.' })
  @ApiOkResponse({ type: UserViewDto, description: 'The user.' })
  me(@CurrentUser() user: UserEntity): UserView {
    return toUserView(user);
  }
}
