#!/usr/bin/env node
import { runCli } from './cli.js';

const result = await runCli(process.argv.slice(2), process.env);
if (typeof result === 'number') {
  process.exitCode = result;
} else {
  // Flush the journal into the lowdb document, then leave (SIGINT from Ctrl-C, SIGTERM from CI).
  const stop = (signal: string) => {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    console.error(`payjs-sandbox: ${signal}, ${result.db ? 'writing the database and stopping' : 'stopping (memory only: nothing to write)'}`);
    result.close().then(
      () => process.exit(0),
      (e: Error) => {
        console.error(`payjs-sandbox: could not write the database: ${e.message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
