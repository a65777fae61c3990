#!/usr/bin/env node
import "../lib/supervise/dist/main.js";
