#!/usr/bin/env node
// V8 settings for the start-up first (lib/supervise/dist/startup.js says why), then the CLI.
import { quietStart } from '../lib/supervise/dist/startup.js';

quietStart();
await import('../lib/supervise/dist/main.js');
