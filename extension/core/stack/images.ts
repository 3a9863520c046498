// Images: use what the engine has, pull only what is missing, and say clearly when an image is
// neither present nor pullable (no registry reachable, a typo, a private registry).
import type Docker from 'dockerode';

export interface PullProgress {
  image: string;
  status: string;
  /** 0..1 when the engine reports sizes. */
  fraction?: number;
}

export class ImageUnavailableError extends Error {
  constructor(readonly image: string, readonly reason: string) {
    super(`The image ${image} is not on the engine and could not be pulled (${reason}). ` +
      `Pull or build it where the engine can reach a registry (docker pull ${image}), ` +
      `or set "image:" in repro.yaml to one the engine has.`);
    this.name = 'ImageUnavailableError';
  }
}

export interface ImageInfo {
  ref: string;
  id: string;
  /** "name@sha256:..." when the image came from a registry; undefined for a local build. */
  digest?: string;
}

export async function inspectImage(docker: Docker, ref: string): Promise<ImageInfo | undefined> {
  try {
    const info = await docker.getImage(ref).inspect();
    return { ref, id: info.Id, ...(info.RepoDigests?.[0] ? { digest: info.RepoDigests[0] } : {}) };
  } catch (e) {
    if ((e as { statusCode?: number }).statusCode === 404) return undefined;
    throw e;
  }
}

/** Makes sure `ref` is on the engine, pulling it when missing. */
export async function ensureImage(
  docker: Docker, ref: string, opts: { signal?: AbortSignal; onProgress?: (p: PullProgress) => void } = {},
): Promise<ImageInfo> {
  const present = await inspectImage(docker, ref);
  if (present) return present;
  opts.onProgress?.({ image: ref, status: 'pulling' });
  try {
    const stream = await docker.pull(ref, { abortSignal: opts.signal }) as NodeJS.ReadableStream;
    await new Promise<void>((resolve, reject) => {
      const layers = new Map<string, { current: number; total: number }>();
      const abort = () => { (stream as unknown as { destroy?: () => void }).destroy?.(); reject(opts.signal?.reason ?? new Error('cancelled')); };
      opts.signal?.addEventListener('abort', abort, { once: true });
      docker.modem.followProgress(stream, (err: Error | null) => {
        opts.signal?.removeEventListener('abort', abort);
        if (err) reject(err); else resolve();
      }, (event: { id?: string; status?: string; progressDetail?: { current?: number; total?: number }; error?: string }) => {
        if (event.error) return; // reported through the final callback
        if (event.id && event.progressDetail?.total) layers.set(event.id, { current: event.progressDetail.current ?? 0, total: event.progressDetail.total });
        const sum = [...layers.values()].reduce((a, l) => ({ current: a.current + l.current, total: a.total + l.total }), { current: 0, total: 0 });
        opts.onProgress?.({ image: ref, status: event.status ?? 'pulling', ...(sum.total ? { fraction: sum.current / sum.total } : {}) });
      });
    });
  } catch (e) {
    if (opts.signal?.aborted) throw e;
    throw new ImageUnavailableError(ref, shortReason(e));
  }
  const pulled = await inspectImage(docker, ref);
  if (!pulled) throw new ImageUnavailableError(ref, 'the pull finished but the engine does not list the image');
  return pulled;
}

function shortReason(e: unknown): string {
  const msg = (e as { json?: { message?: string } }).json?.message ?? (e instanceof Error ? e.message : String(e));
  return msg.replace(/^\(HTTP code \d+\)\s*[a-z ]*-\s*/i, '').split('\n')[0]!.slice(0, 300);
}
