import { describe, expect, it, vi } from 'vitest';
import type { ForemanEvent, JobRow } from '../../shared/api.js';
import { createEventHub } from './event-hub.js';
import { createJobBoard } from './job-board.js';

function row(id: string): JobRow {
  return {
    id,
    source: 'passthrough',
    route: '/api/chat',
    api: 'chat',
    model: 'm',
    lane: 'm:latest',
    state: 'queued',
    priority: 0,
    stream: true,
    client: null,
    created_at: 0,
    started_at: null,
    finished_at: null,
    status_code: null,
    error: null,
  };
}

const chat = (content: string) => Buffer.from(`${JSON.stringify({ message: { content } })}\n`);

describe('job board', () => {
  it('keeps rows, answer bytes and cancel actions while a job is live', () => {
    const board = createJobBoard({ hub: createEventHub(), transcriptCap: 4 });
    board.add(row('a'), 'native');
    expect(board.cancel('a')).toBe(false);
    const cancel = vi.fn();
    board.onCancel('a', cancel);
    expect(board.cancel('a')).toBe(true);
    expect(cancel).toHaveBeenCalledOnce();
    board.update('a', { state: 'working' });
    for (const s of ['abc', 'def', 'ghi']) board.chunk('a', Buffer.from(s));
    expect(board.bytes('a').toString()).toBe('abcdef');
    expect(board.rows().map((r) => r.state)).toEqual(['working']);
    board.finish('a', { state: 'succeeded' });
    expect(board.get('a')).toBeUndefined();
    expect(board.bytes('a').length).toBe(0);
  });

  it('parses tokens only while watched, and sends them before the final row', () => {
    const hub = createEventHub();
    const onFinished = vi.fn();
    const board = createJobBoard({ hub, onFinished });
    board.add(row('a'), 'native');
    board.chunk('a', chat('unseen'));
    const events: ForemanEvent[] = [];
    hub.subscribe((e) => events.push(e.event));
    board.chunk('a', chat('Hi'));
    board.finish('a', { state: 'succeeded', load_duration: 900e6, eval_count: 20, eval_duration: 1e9 });
    expect(events.map((e) => e.type)).toEqual(['tokens', 'job']);
    expect(events[0]).toEqual({ type: 'tokens', id: 'a', content: 'Hi', thinking: '', count: 1 });
    expect(onFinished).toHaveBeenCalledWith(expect.objectContaining({ id: 'a', state: 'succeeded' }));
    expect(board.laneStats('m:latest')).toEqual({ load_ms: 900, tokens_per_s: 20 });
  });
});
