import { Injectable, RequestMethod, type OnModuleInit } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { routeAccess } from '@helix/access';

/**
 * Refuses to start a gateway with a route that has no access marking (@Public, @Authenticated or
 * @AdminOnly): forgetting one must be a start-up error, not an open or a dead route.
 */
@Injectable()
export class RouteAccessCheck implements OnModuleInit {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
  ) {}

  onModuleInit(): void {
    const unmarked = unmarkedRoutes(this.discovery, this.scanner);
    if (unmarked.length) throw new Error(`Routes without an access marking (@Public, @Authenticated or @AdminOnly): ${unmarked.join(', ')}`);
  }
}

/** "METHOD Controller.handler" for every route handler whose access is not marked. */
export function unmarkedRoutes(discovery: DiscoveryService, scanner: MetadataScanner): string[] {
  const unmarked: string[] = [];
  for (const wrapper of discovery.getControllers()) {
    const instance = wrapper.instance as Record<string, unknown> | undefined;
    if (!instance || !wrapper.metatype) continue;
    const prototype = Object.getPrototypeOf(instance) as object;
    for (const name of scanner.getAllMethodNames(prototype)) {
      const handler = (prototype as Record<string, unknown>)[name] as object;
      if (Reflect.getMetadata(PATH_METADATA, handler) === undefined) continue;
      if (routeAccess(handler, wrapper.metatype) === undefined) {
        const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as number] ?? 'GET';
        unmarked.push(`${method} ${wrapper.metatype.name}.${name}`);
      }
    }
  }
  return unmarked;
}
