import { Module, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { OpenAPIObject } from '@nestjs/swagger';
import { HealthController } from '@helix/health';
import { GATEWAY_CONTROLLERS } from './app.module';
import { createOpenApiDocument } from './docs';

/**
 * The gateway's OpenAPI document without NATS or Postgres (`npm run openapi`): an application of the
 * gateway's controllers whose dependencies are stand-ins that are never called. The document is
 * built from the controllers' decorators only, so it equals the one a running gateway serves.
 */
export async function buildOpenApiDocument(): Promise<OpenAPIObject> {
  const controllers: Type[] = [HealthController, ...GATEWAY_CONTROLLERS];
  const dependencies = new Set<Type>(controllers.flatMap((c) => (Reflect.getMetadata('design:paramtypes', c) as Type[] | undefined) ?? []));
  @Module({ controllers, providers: [...dependencies].map((d) => ({ provide: d, useValue: {} })) })
  class OpenApiDocumentModule {}
  const app = await NestFactory.create(OpenApiDocumentModule, new FastifyAdapter(), { logger: false, abortOnError: false });
  try {
    return createOpenApiDocument(app);
  } finally {
    await app.close();
  }
}
