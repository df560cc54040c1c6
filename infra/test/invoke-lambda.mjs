// Runs a bundled Lambda handler the way the Node.js runtime does: the module is imported once
// (init, with this process's environment), then `handler` is called for each event in turn, as
// in one warm execution environment. Plain Node, no loaders: what the Lambda image runs.
//   node invoke-lambda.mjs <handler module> <events.json> <results.json>
// Handler logs go to stdout/stderr as in Lambda; the results are written to <results.json>.
import { readFile, writeFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';

const [modulePath, eventsPath, resultsPath] = process.argv.slice(2);
if (!modulePath || !eventsPath || !resultsPath) {
  process.stderr.write('usage: node invoke-lambda.mjs <module> <events.json> <results.json>\n');
  process.exit(2);
}

const { handler } = await import(pathToFileURL(modulePath).href);
if (typeof handler !== 'function') throw new Error(`${modulePath} does not export handler`);

const events = JSON.parse(await readFile(eventsPath, 'utf8'));
const results = [];
for (const [index, event] of events.entries()) {
  const context = {
    functionName: 'susurro-test',
    awsRequestId: `test-request-${index}`,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => 10_000,
  };
  results.push(await handler(event, context));
}
await writeFile(resultsPath, JSON.stringify(results));
// Open clients (DynamoDB keep-alive, database pools) would keep a real environment warm.
process.exit(0);
