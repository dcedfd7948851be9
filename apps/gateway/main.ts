import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import { loadConfigOrExit } from '@helix/config';
import { installShutdown, runOrDie } from '@helix/bootstrap';
import { GatewayConfig } from './src/config';
import { GatewayModule } from './src/app.module';
import { validationPipe } from './src/http/errors';
import { setupOpenApi } from './src/docs';
import { instrumentHttp } from './src/http/metrics';

const config = loadConfigOrExit(GatewayConfig);

void runOrDie('gateway', async () => {
  const app = await NestFactory.create<NestFastifyApplication>(GatewayModule.forRoot(config), new FastifyAdapter({ bodyLimit: 1024 * 1024 }), { bufferLogs: true, abortOnError: false });
  app.useLogger(app.get(Logger));
  app.useGlobalPipes(validationPipe());
  instrumentHttp(app.getHttpAdapter().getInstance());
  setupOpenApi(app);
  installShutdown(app, 'gateway');
  await app.listen(Number(config.HELIX_HTTP_PORT ?? 8080), '0.0.0.0');
  app.get(Logger).log({ url: await app.getUrl() } as never, 'gateway listening');
});
