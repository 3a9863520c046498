// Putting a physical snapshot's data folder into a volume through the engine's archive endpoint
// (Docker and Podman alike), and emptying a volume again when that fails: shared by the seeding
// of a session's data volume (seedVolume.ts) and the engine's copy (engineCopy.ts).
import * as fs from 'node:fs';
import { PassThrough } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type Docker from 'dockerode';
import { LABEL } from '../stack/labels';
import { runJob } from './engineJobs';
import type { PhysicalEntry } from './physicalSnapshot';

/**
 * Unpacks the snapshot's archive at `path` of a created container (its volume there); the
 * failure, if any. Gunzipped here, so that a damaged stream is an error of ours (the engine
 * would take a cut-off tar at a file boundary for a complete one); it then ends the upload, and
 * is the verdict whatever the engine answers. The caller empties the volume after a failure.
 */
export async function putSnapshot(container: Docker.Container, path: string, entry: PhysicalEntry, signal?: AbortSignal): Promise<Error | undefined> {
  let failure: Error | undefined;
  const tar = new PassThrough({ highWaterMark: 1024 * 1024 });
  const gunzip = createGunzip({ chunkSize: 256 * 1024 });
  const raw = fs.createReadStream(entry.file, { highWaterMark: 1024 * 1024 });
  const fail = (e: Error) => { failure ??= e; raw.destroy(); if (!tar.writableEnded) tar.end(); };
  raw.on('error', fail);
  gunzip.on('error', fail);
  const onAbort = () => fail(new Error('cancelled'));
  signal?.addEventListener('abort', onAbort, { once: true });
  raw.pipe(gunzip).pipe(tar);
  try {
    await container.putArchive(tar, { path });
  } catch (e) {
    failure ??= e as Error;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  return failure;
}

/** The labels a job on a session's volume carries: the session's, so its teardown collects it. */
export const jobLabels = (labels: Record<string, string>): Record<string, string> =>
  Object.fromEntries([LABEL.session, LABEL.project, LABEL.service].flatMap((k) => (labels[k] ? [[k, labels[k]]] : [])));

/** Removes everything in a volume, from a throwaway container of `image` (which has a shell). */
export async function emptyVolume(docker: Docker, image: string, volume: string, labels: Record<string, string>, signal?: AbortSignal): Promise<void> {
  const job = await runJob(docker, {
    image, entrypoint: ['/bin/sh', '-c'], cmd: ['find /seed -mindepth 1 -delete && [ -z "$(ls -A /seed)" ]'],
    labels: jobLabels(labels),
    volumes: [{ name: volume, target: '/seed' }],
  });
  const onAbort = () => { void job.dispose(); };
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    job.stdout.resume();
    const code = await job.exit;
    await job.gone;
    if (code !== 0) throw new Error(`emptying the data volume ${volume} failed (exit ${code}): ${job.stderr.text().trim().slice(0, 300)}`);
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}
