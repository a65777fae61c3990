#!/usr/bin/env node
import "../lib/supervise/main.js";
