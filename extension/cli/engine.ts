// The engine every CLI command uses: REPRO_ENGINE_HOST (the CLI's repro.engine.host), else the
// usual discovery (DOCKER_HOST, the Docker context, the default sockets).
import { connectEngine, type EngineConnection } from '../core/stack/engineConnection';

export const cliEngine = (): Promise<EngineConnection> =>
  connectEngine(process.env.REPRO_ENGINE_HOST ? { host: process.env.REPRO_ENGINE_HOST } : {});
