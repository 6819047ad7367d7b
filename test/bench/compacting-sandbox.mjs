// The sandbox as the CLI starts it (durable, --db FILE), but rewriting its lowdb document every
// `compactAtBytes` of journal instead of every 64 MiB: the bench's p99-during-compaction phase
// makes compactions happen under load without writing 64 MiB first.
// node compacting-sandbox.mjs DB COMPACT_AT_BYTES
import { startSandbox } from '../../dist/index.js';

const sandbox = await startSandbox({ port: 0, db: process.argv[2], compactAtBytes: Number(process.argv[3]) });
console.log(`payjs-sandbox (compacting) listening on ${sandbox.url}`);
process.on('SIGTERM', () => sandbox.close().then(() => process.exit(0)));
