#!/usr/bin/env node
// p2p command-line entry: run the compiled entry point.
import '../dist/src/main.js';
