import { SetMetadata } from '@nestjs/common';

/**
 * Who may call an HTTP route. Every route carries exactly one marking, on its handler or its
 * controller (the handler's wins); a route without one is refused by the gateway's guard and stops
 * the gateway at start-up, so a forgotten marking can never mean "open".
 */
export const ROUTE_ACCESS = ['public', 'authenticated', 'admin'] as const;
export type RouteAccess = (typeof ROUTE_ACCESS)[number];

export const ACCESS_METADATA = 'helix:access';

/** Probes, metrics and documents: no API key. */
export const Public = () => SetMetadata(ACCESS_METADATA, 'public' satisfies RouteAccess);
/** Any user with a valid API key. */
export const Authenticated = () => SetMetadata(ACCESS_METADATA, 'authenticated' satisfies RouteAccess);
/** Admins only: 401 without a key, 403 for other users. */
export const AdminOnly = () => SetMetadata(ACCESS_METADATA, 'admin' satisfies RouteAccess);

/** The marking of a handler (or, failing that, of its controller); `undefined` when it has none. */
export function routeAccess(handler: object, controller: object): RouteAccess | undefined {
  for (const target of [handler, controller]) {
    const value: unknown = Reflect.getMetadata(ACCESS_METADATA, target);
    if (value !== undefined) return (ROUTE_ACCESS as readonly unknown[]).includes(value) ? (value as RouteAccess) : undefined;
  }
  return undefined;
}
