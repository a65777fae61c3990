/**
 * Runs the fake stats server on its own, to try tsgitop by hand:
 * `node apps/tsgitop/dist/testing/fake-server-cli.js [WORKERS] [PORT]` prints the address
 * and serves until interrupted.
 */
import { startFakeServer } from './fake-server.js';

const workers = Number(process.argv[2] ?? 4);
const port = Number(process.argv[3] ?? 0);
const fake = await startFakeServer({ workers, port });
process.stdout.write(`${fake.address}\n`);
process.on('SIGINT', () => void fake.close());
process.on('SIGTERM', () => void fake.close());
