import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { CreateUserDto, type CreatedUserView, type UserView } from '@helix/contracts';
import { AdminOnly, Authenticated } from '@helix/access';
import { CurrentUser } from '../auth/auth';
import type { UserEntity } from './user.entity';
import { toUserView, UsersService } from './users.service';

@ApiTags('users')
@ApiBearerAuth()
@Controller('api/v1/users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Post()
  @HttpCode(201)
  @AdminOnly()
  @ApiOperation({ summary: 'Create a user; the API key is returned once and stored only as a hash.' })
  create(@Body() dto: CreateUserDto, @CurrentUser() user: UserEntity): Promise<CreatedUserView> {
    return this.users.create(dto, user.id);
  }

  @Get()
  @AdminOnly()
  list(): Promise<UserView[]> {
    return this.users.list();
  }

  @Delete(':user_id')
  @AdminOnly()
  @ApiParam({ name: 'user_id', description: 'The user id (GET /api/v1/users)' })
  @ApiOperation({
    summary: 'Delete a user (admin): its API keys stop working, its token is cleared, its memberships go, its models keep existing with owner_id null.',
  })
  @ApiResponse({ status: 400, description: 'A malformed id, or the caller deleting themself.' })
  @ApiResponse({ status: 404, description: 'The user does not exist.' })
  delete(@Param('user_id') userId: string, @CurrentUser() user: UserEntity): Promise<UserView> {
    return this.users.delete(userId, user);
  }

  @Get('me')
  @Authenticated()
  me(@CurrentUser() user: UserEntity): UserView {
    return toUserView(user);
  }
}
