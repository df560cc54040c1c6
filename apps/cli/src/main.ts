// `susurro` entry point: all behaviour lives in cli.ts.
import { runCli } from './cli.ts';

process.exitCode = await runCli(process.argv.slice(2));
