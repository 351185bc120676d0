import { describe, expect, it } from 'vitest';
import { answerBytes, keepChunk, type AnswerBytes } from './answer-bytes.js';

describe('answer bytes', () => {
  it('keeps whole chunks until the cap is reached, then drops the rest', () => {
    const answer: AnswerBytes = { chunks: [], kept: 0 };
    for (const s of ['abcd', 'efgh', 'ij', 'kl']) keepChunk(answer, Buffer.from(s), 9);
    // 8 bytes are under the cap, so 'ij' is kept whole and takes it to 10; 'kl' is dropped.
    expect(answer.kept).toBe(10);
    expect(answerBytes(answer).toString()).toBe('abcdefghij');
  });

  it('keeps nothing with a cap of 0', () => {
    const answer: AnswerBytes = { chunks: [], kept: 0 };
    keepChunk(answer, Buffer.from('x'), 0);
    expect(answerBytes(answer).length).toBe(0);
  });

  it('reads as empty for a job that is not there', () => {
    expect(answerBytes(undefined)).toEqual(Buffer.alloc(0));
  });
});
