import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import { createLogger } from '@helix/logging';
import { loadConfigOrExit } from '@helix/config';
import { installShutdown, runOrDie } from '@helix/bootstrap';
import { GatewayConfig } from './src/config';
import { GatewayModule } from './src/app.module';
import { validationPipe } from './src/http/errors';
import { setupOpenApi } from './src/docs';
import { instrumentHttp } from './src/http/metrics';
import { clientErrorHandler, collectRoutes, frameworkErrors, installRequestPathRule } from './src/http/request-path';

const config = loadConfigOrExit(GatewayConfig);

void runOrDie('gateway', async () => {
  const app = await NestFactory.create<NestFastifyApplication>(GatewayModule.forRoot(config), new FastifyAdapter({ bodyLimit: 1024 * 1024, frameworkErrors, clientErrorHandler }), { bufferLogs: true, abortOnError: false });
  app.useLogger(app.get(Logger));
  const routes = collectRoutes(app.getHttpAdapter().getInstance());
  app.useGlobalPipes(validationPipe());
  installRequestPathRule(app.getHttpAdapter().getInstance());
  instrumentHttp(app.getHttpAdapter().getInstance());
  setupOpenApi(app);
  installShutdown(app, 'gateway');
  await app.init();
  const log = createLogger('gateway');
  log.debug({ routes }, 'gateway routes');
  await app.listen(Number(config.HELIX_HTTP_PORT ?? 8080), '0.0.0.0');
  log.info({ url: await app.getUrl() }, 'gateway listening');
});
