import { CanActivate, ExecutionContext, ForbiddenException, Injectable, SetMetadata, UnauthorizedException, createParamDecorator } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { UsersService } from '../users/users.service';
import type { UserEntity } from '../users/user.entity';

const ADMIN = 'helix:admin';
/** Routes that only admins may call (403 for other users). */
export const AdminOnly = () => SetMetadata(ADMIN, true);

export const CurrentUser = createParamDecorator((_: unknown, ctx: ExecutionContext): UserEntity => ctx.switchToHttp().getRequest<AuthedRequest>().user);

type AuthedRequest = FastifyRequest & { user: UserEntity };

const BEARER = /^Bearer ([\x21-\x7E]{1,512})$/;

@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly users: UsersService,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const targets = [ctx.getHandler(), ctx.getClass()];
    const request = ctx.switchToHttp().getRequest<AuthedRequest>();
    // Only the API needs a key; /healthz, /readyz, /metrics and /api/docs are for probes and people.
    if (!request.url.startsWith('/api/v1/') && request.url !== '/api/v1') return true;
    const match = BEARER.exec(request.headers.authorization ?? '');
    if (!match) throw new UnauthorizedException('An API key is required: send "Authorization: Bearer <api key>".');
    const user = await this.users.authenticate(match[1]);
    if (!user) throw new UnauthorizedException('The API key is not valid.');
    request.user = user;
    if (this.reflector.getAllAndOverride<boolean>(ADMIN, targets) && !user.admin) {
      throw new ForbiddenException('Admin privileges are required for this route.');
    }
    return true;
  }
}
