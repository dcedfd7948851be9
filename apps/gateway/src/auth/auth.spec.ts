import 'reflect-metadata';
import { Controller, Get, Module, Post, UnauthorizedException, ForbiddenException, type ExecutionContext } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { describe, expect, it } from 'vitest';
import { AdminOnly, Authenticated, Public } from '@helix/access';
import { ApiKeyGuard } from './auth';
import { RouteAccessCheck } from './route-access.check';
import type { AuditRecord } from '@helix/contracts';
import type { UsersService } from '../users/users.service';
import type { UserEntity } from '../users/user.entity';

@AdminOnly()
@Controller('marked')
class MarkedController {
  @Get()
  adminByClass() {}

  @Get('me')
  @Authenticated()
  anyUser() {}

  @Get('open')
  @Public()
  open() {}

  helper() {}
}

@Controller('unmarked')
class UnmarkedController {
  @Get('fine')
  @Public()
  fine() {}

  @Post('forgotten')
  forgotten() {}
}

async function boot(controllers: Array<new () => unknown>) {
  @Module({ imports: [DiscoveryModule], controllers, providers: [RouteAccessCheck] })
  class AppModule {}
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
  return moduleRef.init();
}

describe('RouteAccessCheck', () => {
  it('lets a gateway whose every route is marked start', async () => {
    const app = await boot([MarkedController]);
    await app.close();
  });

  it('stops the start-up on a route without a marking, naming it', async () => {
    await expect(boot([MarkedController, UnmarkedController])).rejects.toThrow(/POST UnmarkedController\.forgotten/);
    await expect(boot([UnmarkedController])).rejects.not.toThrow(/fine/);
  });
});

const ADMIN_KEY = 'hl-admin-key-0123456789';
const USER_KEY = 'hl-user-key-0123456789';
const users = {
  authenticate: async (key: string) =>
    (({ [ADMIN_KEY]: { id: 'a', admin: true }, [USER_KEY]: { id: 'u', admin: false } })[key] as UserEntity | undefined) ?? null,
} as unknown as UsersService;

function context(handler: keyof MarkedController | keyof UnmarkedController, controller: object, authorization?: string, url = '/anything') {
  const request: Record<string, unknown> = { url, method: 'GET', routeOptions: { url: '/marked' }, headers: authorization ? { authorization } : {} };
  const ctx = {
    getHandler: () => (controller as { prototype: Record<string, unknown> }).prototype[handler],
    getClass: () => controller,
    switchToHttp: () => ({ getRequest: () => request }),
  } as unknown as ExecutionContext;
  return { ctx, request };
}

describe('ApiKeyGuard (deny by default, by route marking)', () => {
  const recorded: AuditRecord[] = [];
  const guard = new ApiKeyGuard(users, { recordQuietly: async (r: AuditRecord) => void recorded.push(r) });

  it('lets anyone through a @Public route, without a key', async () => {
    await expect(guard.canActivate(context('open', MarkedController).ctx)).resolves.toBe(true);
  });

  it('asks for a key on every other route, whatever the URL says', async () => {
    for (const handler of ['adminByClass', 'anyUser'] as const) {
      for (const url of ['/api/v1/x', '/api/%761/x', '/healthz', 'http://helix.example/api/v1/x']) {
        await expect(guard.canActivate(context(handler, MarkedController, undefined, url).ctx)).rejects.toBeInstanceOf(UnauthorizedException);
      }
    }
    await expect(guard.canActivate(context('anyUser', MarkedController, 'Bearer hl-unknown').ctx)).rejects.toBeInstanceOf(UnauthorizedException);
    await expect(guard.canActivate(context('anyUser', MarkedController, `Basic ${USER_KEY}`).ctx)).rejects.toBeInstanceOf(UnauthorizedException);
  });

  it('lets any user through an @Authenticated route and records who called', async () => {
    const { ctx, request } = context('anyUser', MarkedController, `Bearer ${USER_KEY}`);
    await expect(guard.canActivate(ctx)).resolves.toBe(true);
    expect(request.user).toMatchObject({ id: 'u' });
  });

  it('refuses a non-admin on an admin route (marked on the controller) with 403, and admits an admin', async () => {
    await expect(guard.canActivate(context('adminByClass', MarkedController, `Bearer ${USER_KEY}`).ctx)).rejects.toBeInstanceOf(ForbiddenException);
    await expect(guard.canActivate(context('adminByClass', MarkedController, `Bearer ${ADMIN_KEY}`).ctx)).resolves.toBe(true);
  });

  it('records a refused admin call as access.denied: the caller, the method and the route pattern, never the URL', async () => {
    recorded.length = 0;
    const { ctx } = context('adminByClass', MarkedController, `Bearer ${USER_KEY}`, '/marked?secret=hf_fromTheUrl');
    await expect(guard.canActivate(ctx)).rejects.toBeInstanceOf(ForbiddenException);
    expect(recorded).toEqual([{ actor_id: 'u', action: 'access.denied', target: 'route:GET /marked', details: { method: 'GET', route: '/marked' } }]);
    await guard.canActivate(context('anyUser', MarkedController, `Bearer ${USER_KEY}`).ctx);
    await guard.canActivate(context('adminByClass', MarkedController).ctx).catch(() => undefined); // 401: no caller to record
    expect(recorded).toHaveLength(1);
  });

  it('refuses everyone, admins included, on a route without a marking', async () => {
    await expect(guard.canActivate(context('forgotten', UnmarkedController).ctx)).rejects.toBeInstanceOf(UnauthorizedException);
    await expect(guard.canActivate(context('forgotten', UnmarkedController, `Bearer ${ADMIN_KEY}`).ctx)).rejects.toBeInstanceOf(ForbiddenException);
  });
});
