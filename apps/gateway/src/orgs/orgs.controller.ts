import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { type MembershipView, type OrgView } from '@helix/contracts';
import { CreateOrgDto, MembershipViewDto, OrgViewDto, SetMembershipDto } from '../dto';
import { AdminOnly, Authenticated } from '@helix/access';
import { CurrentUser } from '../auth/auth';
import { ApiErrors, BODY_ERRORS, PAYLOAD_ERRORS } from '../http/api-docs';
import type { UserEntity } from '../users/user.entity';
import { OrgsService } from './orgs.service';

const ORG_PARAM = { name: 'org', description: 'The org id, e.g. acme', example: 'acme' };
const ORG_400 = [400, 'The org id is malformed.'] as const;
const ORG_404 = [404, 'The org does not exist.'] as const;
const NOT_MEMBER = [403, 'The caller is neither an admin nor a member of the org.'] as const;
const NOT_OWNER = [403, 'The caller is neither an admin nor an owner of the org.'] as const;
const USER_PARAM = { name: 'user_id', description: 'The user id (GET /api/v1/users)' };

/**
 * Organizations and membership (docs/reference/rest.md). Creating and deleting orgs is for admins (route
 * marking); reading an org and changing its members depends on the caller's membership, which
 * OrgsService checks (403 for a caller without the right, 404 for an org or user that does not exist).
 */
@ApiTags('orgs')
@ApiBearerAuth()
@ApiErrors(401, 503)
@Controller('api/v1/orgs')
export class OrgsController {
  constructor(private readonly orgs: OrgsService) {}

  @Post()
  @HttpCode(201)
  @AdminOnly()
  @ApiOperation({ operationId: 'createOrg', summary: 'Create an org', description: 'Admin only. The name defaults to the id.' })
  @ApiCreatedResponse({ type: OrgViewDto, description: 'The org.' })
  @ApiErrors(...BODY_ERRORS, 403, [409, 'An org with this id already exists.', 'An org with this id already exists.'])
  create(@Body() dto: CreateOrgDto, @CurrentUser() user: UserEntity): Promise<OrgView> {
    return this.orgs.create(dto, user);
  }

  @Get()
  @Authenticated()
  @ApiOperation({ operationId: 'listOrgs', summary: 'List orgs', description: 'Admins: every org. Other users: the orgs they are a member of.' })
  @ApiOkResponse({ type: [OrgViewDto], description: 'The orgs.' })
  list(@CurrentUser() user: UserEntity): Promise<OrgView[]> {
    return this.orgs.list(user);
  }

  @Get(':org')
  @Authenticated()
  @ApiParam(ORG_PARAM)
  @ApiOperation({ operationId: 'getOrg', summary: 'Get an org', description: 'Admin or member.' })
  @ApiOkResponse({ type: OrgViewDto, description: 'The org.' })
  @ApiErrors(ORG_400, NOT_MEMBER, ORG_404)
  get(@Param('org') org: string, @CurrentUser() user: UserEntity): Promise<OrgView> {
    return this.orgs.get(org, user);
  }

  @Delete(':org')
  @AdminOnly()
  @ApiParam(ORG_PARAM)
  @ApiOperation({
    operationId: 'deleteOrg',
    summary: 'Delete an org',
    description: 'Admin only. Its memberships are removed and its token cleared; its models keep existing with org_id null.',
  })
  @ApiOkResponse({ type: OrgViewDto, description: 'The deleted org.' })
  @ApiErrors(ORG_400, 403, ORG_404)
  delete(@Param('org') org: string, @CurrentUser() user: UserEntity): Promise<OrgView> {
    return this.orgs.delete(org, user);
  }

  @Get(':org/members')
  @Authenticated()
  @ApiParam(ORG_PARAM)
  @ApiOperation({ operationId: 'listOrgMembers', summary: "List an org's members", description: 'With their roles. Admin or member.' })
  @ApiOkResponse({ type: [MembershipViewDto], description: 'The members with their roles.' })
  @ApiErrors(ORG_400, NOT_MEMBER, ORG_404)
  listMembers(@Param('org') org: string, @CurrentUser() user: UserEntity): Promise<MembershipView[]> {
    return this.orgs.listMembers(org, user);
  }

  @Put(':org/members/:user_id')
  @Authenticated()
  @ApiParam(ORG_PARAM)
  @ApiParam(USER_PARAM)
  @ApiOperation({
    operationId: 'setOrgMember',
    summary: 'Add an org member or change their role',
    description: "Admin or an owner of the org. 'created' stays the time they joined.",
  })
  @ApiOkResponse({ type: MembershipViewDto, description: 'The membership.' })
  @ApiErrors([400, 'A malformed org or user id, or a role that is not owner or member.'], ...PAYLOAD_ERRORS, NOT_OWNER, [
    404,
    'The org or the user does not exist.',
  ])
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
  @ApiOperation({
    operationId: 'removeOrgMember',
    summary: 'Remove an org member',
    description: 'Admin or an owner of the org; answers with the removed membership.',
  })
  @ApiOkResponse({ type: MembershipViewDto, description: 'The membership.' })
  @ApiErrors([400, 'A malformed org or user id.'], NOT_OWNER, [404, 'The org or the user does not exist, or the user is not a member.'])
  removeMember(@Param('org') org: string, @Param('user_id') userId: string, @CurrentUser() user: UserEntity): Promise<MembershipView> {
    return this.orgs.removeMember(org, userId, user);
  }
}
