/**
 * Prints docs/options.md: `node packages/config/dist/docs-cli.js > docs/options.md`
 * (`pnpm docs`). The only module of this package that writes to stdout.
 */
import { renderOptionsDoc } from './docs.js';

process.stdout.write(renderOptionsDoc());
