import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import { ConfigError, loadConfigOrExit } from '@helix/config';
import { installShutdown, probeOnlyFastify, runOrDie, warnIfAnonymousNats } from '@helix/bootstrap';
import { createLogger } from '@helix/logging';
import { isLoopbackHost, RunnerConfig, resolveRunnerSettings, type RunnerSettings } from './src/config';
import { RunnerModule } from './src/app.module';

const config = loadConfigOrExit(RunnerConfig);
let settings: RunnerSettings;
try {
  settings = resolveRunnerSettings(config);
} catch (err: unknown) {
  if (!(err instanceof ConfigError)) throw err;
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
}

const log = createLogger('runner', settings.logLevel);
warnIfAnonymousNats(log, config);

void runOrDie(log, 'runner', async () => {
  const app = await NestFactory.create<NestFastifyApplication>(RunnerModule.forRoot(config, settings), new FastifyAdapter(probeOnlyFastify()), {
    bufferLogs: true,
    abortOnError: false,
  });
  app.useLogger(app.get(Logger));
  installShutdown(app, log);
  await app.listen(settings.httpPort, '0.0.0.0');
  log.info(
    { runner_id: settings.runnerId, url: await app.getUrl(), memory_total: settings.memoryTotal, gpus: settings.gpus, vllm_host: settings.vllmHost },
    'runner started',
  );
  if (isLoopbackHost(settings.vllmHost) && !isLoopbackHost(settings.advertiseHost)) {
    log.warn(
      { vllm_host: settings.vllmHost, advertise_host: settings.advertiseHost },
      'vLLM binds a loopback address but slot endpoints advertise another host: they answer only on this machine; set HELIX_VLLM_HOST (e.g. the pod IP or 0.0.0.0)',
    );
  }
});
