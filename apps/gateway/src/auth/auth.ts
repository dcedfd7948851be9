import { CanActivate, ExecutionContext, ForbiddenException, Inject, Injectable, UnauthorizedException, createParamDecorator } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { routeAccess } from '@helix/access';
import { auditTargets } from '@helix/contracts';
import { AuditService } from '../audit/audit.service';
import { UsersService } from '../users/users.service';
import type { UserEntity } from '../users/user.entity';

export const CurrentUser = createParamDecorator((_: unknown, ctx: ExecutionContext): UserEntity => ctx.switchToHttp().getRequest<AuthedRequest>().user);

type AuthedRequest = FastifyRequest & { user: UserEntity };

const BEARER = /^Bearer ([\x21-\x7E]{1,512})$/;

/**
 * Deny by default: whether a route needs a key is read from the marking of the handler that the
 * router chose (never from the URL, whose spelling an attacker controls). An unmarked route is
 * refused for everyone; `RouteAccessCheck` also stops the gateway from starting with one.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly users: UsersService,
    @Inject(AuditService) private readonly audit: Pick<AuditService, 'recordQuietly'>,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const access = routeAccess(ctx.getHandler(), ctx.getClass());
    if (access === 'public') return true;
    const request = ctx.switchToHttp().getRequest<AuthedRequest>();
    const match = BEARER.exec(request.headers.authorization ?? '');
    if (!match) throw new UnauthorizedException('An API key is required: send "Authorization: Bearer <api key>".');
    const user = await this.users.authenticate(match[1]);
    if (!user) throw new UnauthorizedException('The API key is not valid.');
    request.user = user;
    if (access === 'authenticated') return true;
    if (access === 'admin' && user.admin) return true;
    if (access === 'admin') {
      // The route's pattern as the router matched it, never the URL (client text) or the body.
      const route = request.routeOptions?.url ?? '(unknown route)';
      await this.audit.recordQuietly({
        actor_id: user.id,
        action: 'access.denied',
        target: auditTargets.route(request.method, route),
        details: { method: request.method, route },
      });
    }
    throw new ForbiddenException('Admin privileges are required for this route.');
  }
}
