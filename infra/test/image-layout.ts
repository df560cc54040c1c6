/**
 * Lays out on disk what an image built from infra/docker/Dockerfile would contain, by replaying
 * a stage's COPY instructions with local stand-ins for the build stages' files: the bundle
 * output directory for /src/dist, the repository for /src/node_modules and the build context,
 * a web build for the `web` stage. No Docker engine needed, and the test then runs exactly the
 * files the image would hold.
 */
import { cp, mkdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { copies, type Stage } from './dockerfile.ts';

export interface StageSources {
  readonly repoRoot: string;
  /** Where `node scripts/bundle.mjs --outdir` wrote (the image's /src/dist). */
  readonly bundleDir: string;
  /** A production web build (the `web` stage's /src/apps/web/dist). */
  readonly webDir: string;
}

export interface Layout {
  /** Files and directories copied, as image paths. */
  readonly copied: readonly string[];
  /** Image paths with no local stand-in (downloaded during the build), with the reason. */
  readonly skipped: readonly string[];
}

/** The local file standing in for `source` copied `--from=stage`, or undefined if none. */
function localSource(
  stage: string | undefined,
  source: string,
  sources: StageSources,
): string | undefined {
  if (stage === undefined) return join(sources.repoRoot, source);
  if (stage === 'web' && source === '/src/apps/web/dist') return sources.webDir;
  if (stage === 'build') {
    if (source.startsWith('/src/dist/'))
      return join(sources.bundleDir, source.slice('/src/dist/'.length));
    if (source.startsWith('/src/node_modules/'))
      return join(sources.repoRoot, source.slice('/src/'.length));
  }
  return undefined;
}

/** Replays `stage`'s COPY instructions into `root` (the image's `/`), WORKDIR `workdir`. */
export async function layOutStage(
  stage: Stage,
  root: string,
  workdir: string,
  sources: StageSources,
): Promise<Layout> {
  const copied: string[] = [];
  const skipped: string[] = [];
  for (const copy of copies(stage)) {
    const destDir = copy.dest.endsWith('/');
    const dest = copy.dest.startsWith('/') ? copy.dest : join(workdir, copy.dest);
    for (const source of copy.sources) {
      const local = localSource(copy.from, source, sources);
      if (local === undefined) {
        skipped.push(`${source} (from ${copy.from ?? 'context'})`);
        continue;
      }
      const isDir = (await stat(local)).isDirectory();
      // Docker: a directory's contents go to dest; a file goes into dest/ or becomes dest.
      const target = isDir || !destDir ? dest : join(dest, basename(source));
      await mkdir(join(root, isDir ? target : dirname(target)), { recursive: true });
      await cp(local, join(root, target), { recursive: true });
      copied.push(target);
    }
  }
  return { copied, skipped };
}
