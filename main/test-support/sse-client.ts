/** Reads a Server-Sent Events stream with fetch, frame by frame, for tests. */
export interface SseFrame {
  id?: string;
  event: string;
  data: string;
}

export interface SseClient {
  frames: SseFrame[];
  /** Resolves with the first frame (already received or coming) that matches. */
  next(match: (f: SseFrame) => boolean): Promise<SseFrame>;
  close(): void;
}

export async function openSse(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
  const abort = new AbortController();
  const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: abort.signal });
  if (res.status !== 200) throw new Error(`SSE ${url} answered ${res.status}`);
  const frames: SseFrame[] = [];
  const waiters: { match: (f: SseFrame) => boolean; resolve: (f: SseFrame) => void }[] = [];
  const push = (f: SseFrame) => {
    frames.push(f);
    for (const w of [...waiters])
      if (w.match(f)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(f);
      }
  };
  void (async () => {
    const decoder = new TextDecoder();
    let buf = '';
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buf += decoder.decode(chunk, { stream: true });
        let at: number;
        while ((at = buf.indexOf('\n\n')) !== -1) {
          const block = buf.slice(0, at);
          buf = buf.slice(at + 2);
          const f: SseFrame = { event: 'message', data: '' };
          let hasData = false;
          for (const line of block.split('\n')) {
            if (line.startsWith('id: ')) f.id = line.slice(4);
            else if (line.startsWith('event: ')) f.event = line.slice(7);
            else if (line.startsWith('data: ')) {
              f.data += line.slice(6);
              hasData = true;
            }
          }
          if (hasData) push(f);
        }
      }
    } catch {}
  })();
  return {
    frames,
    next(match) {
      const found = frames.find(match);
      if (found) return Promise.resolve(found);
      return new Promise((resolve) => waiters.push({ match, resolve }));
    },
    close: () => abort.abort(),
  };
}
