#!/usr/bin/env node
import "../lib/tsgitop/main.js";
