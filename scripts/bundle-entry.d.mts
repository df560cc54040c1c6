/** See bundle-entry.mjs. */
export function bundleEntry(entry: string, outfile: string): Promise<string>;
