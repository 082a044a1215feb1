/** The server's process: starts it from the environment (`node dist/node/server/main.js`, or under tsx in development). */
import { logger } from './log';
import { startServer } from './index';

startServer()
  .then(({ url, tokens }) => {
    // The viewer token is left out of the log (log lines travel further than a terminal); it is in CITYOPS_TOKENS or DATA_DIR/tokens.json.
    if (tokens.first('viewer'))
      logger.info({ wall: `${url}/?space=live` }, `wall: ${url}/?space=live&token=<a viewer token>`);
  })
  .catch((err: unknown) => {
    logger.fatal({ err }, `cityops-wall failed to start: ${(err as Error).message}`);
    process.exit(1);
  });
