#!/usr/bin/env node
// Entry point of `npx vcpumap-agent`: runs the TypeScript agent through tsx's loader.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../lib/agent/cli.ts');
process.exitCode = await main(process.argv.slice(2));
