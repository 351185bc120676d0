/**
 * The bytes of one answer so far, kept for its transcript up to a cap. The cap is checked before a
 * chunk is kept, so an answer is never cut mid-chunk and may run past the cap by its last chunk.
 */
export interface AnswerBytes {
  chunks: Buffer[];
  /** Bytes held in `chunks`. */
  kept: number;
}

/** Runs for every streamed chunk: no allocation beyond the push. */
export function keepChunk(answer: AnswerBytes, chunk: Buffer, cap: number): void {
  if (answer.kept < cap) {
    answer.chunks.push(chunk);
    answer.kept += chunk.length;
  }
}

/** The kept bytes as one buffer (copied: read once, when the transcript is assembled). */
export function answerBytes(answer: AnswerBytes | undefined): Buffer {
  return answer ? Buffer.concat(answer.chunks) : Buffer.alloc(0);
}
