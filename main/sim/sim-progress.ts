/**
 * `/api/pull`, `/api/push`, `/api/create`: fake but well-formed progress streams (NDJSON, stream
 * defaulting to true) that end in `{"status":"success"}` and update the model list. With
 * `stream:false` Ollama's `waitForStream` answers the last status with `application/json`, no charset.
 */
import { goJsonStringify } from '../ollama/go-json.js';
import { CT_JSON, CT_NDJSON, nativeErrorBody } from '../ollama/wire.js';
import { CreateRequestT, PullRequestT, PushRequestT } from './sim-bind.js';
import { endResponse, sendBody, startStream, writeChunk } from './sim-http.js';
import { bindBody, sendError } from './sim-meta.js';
import { isValidModelName, toSimModel, type SimModel } from './sim-models.js';
import type { RouteCtx } from './sim-routes.js';
import { nowNs, sleep } from './sim-time.js';

type Progress = { status: string; digest?: string; total?: number; completed?: number };

async function stream(ctx: RouteCtx, wantStream: boolean, steps: Progress[], onSuccess: () => void): Promise<void> {
  try {
    for (const step of steps) {
      await sleep(0, ctx.signal);
      if (wantStream) {
        startStream(ctx.res, CT_NDJSON, ctx.extra);
        writeChunk(ctx.res, `${goJsonStringify(step)}\n`);
      }
    }
  } catch {
    return; // the client went away; like a cancelled pull, nothing is recorded
  }
  onSuccess();
  if (wantStream) endResponse(ctx.res);
  else sendBody(ctx.res, 200, CT_JSON, goJsonStringify(steps.at(-1)), ctx.extra);
}

function layerSteps(verb: 'pulling' | 'pushing', m: SimModel): Progress[] {
  const digest = `sha256:${m.digest}`;
  const layer = { status: `${verb} ${m.digest.slice(0, 12)}`, digest, total: m.sizeBytes };
  return [0.25, 0.5, 0.75, 1].map((f) => ({ ...layer, completed: Math.round(m.sizeBytes * f) }));
}

export async function handlePull(ctx: RouteCtx): Promise<void> {
  const r = await bindBody(ctx, PullRequestT);
  if (!r) return;
  const name = (r.model as string | undefined) || (r.name as string | undefined) || '';
  if (!isValidModelName(name)) return sendError(ctx, 400, 'invalid model name');
  const m = ctx.env.catalog.find(name) ?? toSimModel(name, nowNs());
  const steps: Progress[] = [
    { status: 'pulling manifest' },
    { status: `pulling ${m.digest.slice(0, 12)}`, digest: `sha256:${m.digest}`, total: m.sizeBytes },
    ...layerSteps('pulling', m),
    { status: 'verifying sha256 digest' },
    { status: 'writing manifest' },
    { status: 'success' },
  ];
  await stream(ctx, r.stream !== false, steps, () => {
    if (!ctx.env.catalog.find(name)) ctx.env.catalog.add(name);
  });
}

export async function handlePush(ctx: RouteCtx): Promise<void> {
  const r = await bindBody(ctx, PushRequestT);
  if (!r) return;
  const name = (r.model as string | undefined) || (r.name as string | undefined) || '';
  if (name === '') return sendError(ctx, 400, 'model is required');
  const m = ctx.env.catalog.find(name);
  if (!m) {
    // The error reaches streamResponse before any byte: 500 with a charset-less JSON content type.
    sendBody(ctx.res, 500, CT_JSON, nativeErrorBody(`model ${JSON.stringify(name)} not found`), ctx.extra);
    return;
  }
  const steps: Progress[] = [
    { status: 'retrieving manifest' },
    ...layerSteps('pushing', m),
    { status: 'pushing manifest' },
    { status: 'success' },
  ];
  await stream(ctx, r.stream !== false, steps, () => {});
}

export async function handleCreate(ctx: RouteCtx): Promise<void> {
  const r = await bindBody(ctx, CreateRequestT);
  if (!r) return;
  const name = (r.model as string | undefined) || (r.name as string | undefined) || '';
  if (!isValidModelName(name)) return sendError(ctx, 400, 'invalid model name');
  const from = typeof r.from === 'string' && r.from !== '' ? ctx.env.catalog.find(r.from) : undefined;
  const base = from ?? toSimModel(name, nowNs());
  const steps: Progress[] = [
    { status: `using existing layer sha256:${base.digest}` },
    { status: 'writing manifest' },
    { status: 'success' },
  ];
  await stream(ctx, r.stream !== false, steps, () => {
    ctx.env.catalog.add(from ? { ...from, name } : name);
  });
}
