import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
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

  @Get('me')
  @Authenticated()
  me(@CurrentUser() user: UserEntity): UserView {
    return toUserView(user);
  }
}
