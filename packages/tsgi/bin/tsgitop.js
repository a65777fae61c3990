#!/usr/bin/env node
import "../lib/tsgitop/dist/main.js";
