#!/usr/bin/env node
// V8 settings for the start-up first (dist/startup.js says why), then the CLI.
import { quietStart } from '../dist/startup.js';

quietStart();
await import('../dist/main.js');
