import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { CreateOrgDto, MembershipViewDto, OrgViewDto, SetMembershipDto, type MembershipView, type OrgView } from '@helix/contracts';
import { AdminOnly, Authenticated } from '@helix/access';
import { CurrentUser } from '../auth/auth';
import type { UserEntity } from '../users/user.entity';
import { OrgsService } from './orgs.service';

const ORG_PARAM = { name: 'org', description: 'The org id, e.g. acme', example: 'acme' };
const USER_PARAM = { name: 'user_id', description: 'The user id (GET /api/v1/users)' };

/**
 * Organizations and membership (SPEC §11.1). Creating and deleting orgs is for admins (route
 * marking); reading an org and changing its members depends on the caller's membership, which
 * OrgsService checks (403 for a caller without the right, 404 for an org or user that does not exist).
 */
@ApiTags('orgs')
@ApiBearerAuth()
@ApiResponse({ status: 401, description: 'No or unknown API key.' })
@Controller('api/v1/orgs')
export class OrgsController {
  constructor(private readonly orgs: OrgsService) {}

  @Post()
  @HttpCode(201)
  @AdminOnly()
  @ApiOperation({ summary: 'Create an org (admin). The name defaults to the id.' })
  @ApiCreatedResponse({ type: OrgViewDto })
  @ApiResponse({ status: 409, description: 'An org with this id already exists.' })
  create(@Body() dto: CreateOrgDto, @CurrentUser() user: UserEntity): Promise<OrgView> {
    return this.orgs.create(dto, user);
  }

  @Get()
  @Authenticated()
  @ApiOperation({ summary: 'Admins: every org. Other users: the orgs they are a member of.' })
  @ApiOkResponse({ type: [OrgViewDto] })
  list(@CurrentUser() user: UserEntity): Promise<OrgView[]> {
    return this.orgs.list(user);
  }

  @Get(':org')
  @Authenticated()
  @ApiParam(ORG_PARAM)
  @ApiOperation({ summary: 'An org (admin or member).' })
  @ApiOkResponse({ type: OrgViewDto })
  @ApiResponse({ status: 403, description: 'The caller is neither an admin nor a member of the org.' })
  @ApiResponse({ status: 404, description: 'The org does not exist.' })
  get(@Param('org') org: string, @CurrentUser() user: UserEntity): Promise<OrgView> {
    return this.orgs.get(org, user);
  }

  @Delete(':org')
  @AdminOnly()
  @ApiParam(ORG_PARAM)
  @ApiOperation({ summary: 'Delete an org (admin): its memberships are removed; its models keep existing with org_id null.' })
  @ApiOkResponse({ type: OrgViewDto })
  @ApiResponse({ status: 404, description: 'The org does not exist.' })
  delete(@Param('org') org: string, @CurrentUser() user: UserEntity): Promise<OrgView> {
    return this.orgs.delete(org, user);
  }

  @Get(':org/members')
  @Authenticated()
  @ApiParam(ORG_PARAM)
  @ApiOperation({ summary: "An org's members with their roles (admin or member)." })
  @ApiOkResponse({ type: [MembershipViewDto] })
  @ApiResponse({ status: 403, description: 'The caller is neither an admin nor a member of the org.' })
  @ApiResponse({ status: 404, description: 'The org does not exist.' })
  listMembers(@Param('org') org: string, @CurrentUser() user: UserEntity): Promise<MembershipView[]> {
    return this.orgs.listMembers(org, user);
  }

  @Put(':org/members/:user_id')
  @Authenticated()
  @ApiParam(ORG_PARAM)
  @ApiParam(USER_PARAM)
  @ApiOperation({ summary: "Add a member or change their role (admin or an owner of the org). 'created' stays the time they joined." })
  @ApiOkResponse({ type: MembershipViewDto })
  @ApiResponse({ status: 403, description: 'The caller is neither an admin nor an owner of the org.' })
  @ApiResponse({ status: 404, description: 'The org or the user does not exist.' })
  setMember(
    @Param('org') org: string,
    @Param('user_id') userId: string,
    @Body() dto: SetMembershipDto,
    @CurrentUser() user: UserEntity,
  ): Promise<MembershipView> {
    return this.orgs.setMember(org, userId, dto.role, user);
  }

  @Delete(':org/members/:user_id')
  @Authenticated()
  @ApiParam(ORG_PARAM)
  @ApiParam(USER_PARAM)
  @ApiOperation({ summary: 'Remove a member (admin or an owner of the org); answers with the removed membership.' })
  @ApiOkResponse({ type: MembershipViewDto })
  @ApiResponse({ status: 403, description: 'The caller is neither an admin nor an owner of the org.' })
  @ApiResponse({ status: 404, description: 'The org or the user does not exist, or the user is not a member.' })
  removeMember(@Param('org') org: string, @Param('user_id') userId: string, @CurrentUser() user: UserEntity): Promise<MembershipView> {
    return this.orgs.removeMember(org, userId, user);
  }
}
