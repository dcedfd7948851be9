import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger, PinoLogger } from 'nestjs-pino';
import { createLogger } from '@helix/logging';
import { loadConfigOrExit } from '@helix/config';
import { installShutdown, runOrDie, warnIfAnonymousNats } from '@helix/bootstrap';
import { GatewayConfig } from './src/config';
import { GatewayModule } from './src/app.module';
import { validationPipe } from './src/http/validation';
import { setupOpenApi } from './src/docs';
import { MAX_ENCODED_MODEL_ID } from './src/models/model-id';
import { instrumentHttp } from './src/http/metrics';
import { accessLoggedFrameworkErrors, genRequestId, installAccessLog, installRequestContext } from './src/http/access-log';
import { acceptJsonBodiesOnly, BODY_LIMIT_BYTES } from './src/http/json-body';
import { letRefusedBodiesDrain } from './src/http/refused-body';
import { clientErrorHandler, collectRoutes, frameworkErrors, installRequestPathRule } from './src/http/request-path';
import { serveConsole } from './src/console/console';

const config = loadConfigOrExit(GatewayConfig);
const log = createLogger('gateway', config.LOG_LEVEL);
warnIfAnonymousNats(log, config);

void runOrDie(log, 'gateway', async () => {
  // maxParamLength: a model id (256 characters) percent-encoded in one segment, `models/{id}/settings`;
  // at Fastify's default (100) a longer `{id}` fell through to the `models/*` routes.
  const adapter = new FastifyAdapter({
    bodyLimit: BODY_LIMIT_BYTES,
    frameworkErrors: accessLoggedFrameworkErrors(frameworkErrors, log),
    clientErrorHandler,
    genReqId: genRequestId,
    maxParamLength: MAX_ENCODED_MODEL_ID,
  });
  // bodyParser: false keeps Nest from registering its form-urlencoded parser: the API takes JSON only.
  const app = await NestFactory.create<NestFastifyApplication>(GatewayModule.forRoot(config), adapter, {
    bufferLogs: true,
    abortOnError: false,
    bodyParser: false,
  });
  app.useLogger(app.get(Logger));
  const fastify = app.getHttpAdapter().getInstance();
  installAccessLog(fastify, log);
  installRequestContext(fastify, await app.resolve(PinoLogger));
  const routes = collectRoutes(fastify);
  await serveConsole(app, log);
  acceptJsonBodiesOnly(fastify);
  letRefusedBodiesDrain(fastify);
  app.useGlobalPipes(validationPipe());
  installRequestPathRule(fastify);
  instrumentHttp(fastify);
  setupOpenApi(app);
  installShutdown(app, log);
  await app.init();
  log.debug({ routes }, 'gateway routes');
  await app.listen(config.HELIX_HTTP_PORT, '0.0.0.0');
  log.info({ url: await app.getUrl() }, 'gateway listening');
});
