#!/usr/bin/env node
// Runs the TypeScript entry point through tsx (the repo's dev loader).
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');
