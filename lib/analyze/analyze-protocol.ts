// Messages between analyze-pool.ts and analyze-worker.ts.
import type { AnalyzeField, AnalyzeInput } from './analyze';

export interface WorkerRequest {
  readonly id: number;
  readonly input: AnalyzeInput;
  readonly now: number; // epoch ms
}

export type WorkerReply =
  | { readonly id: number; readonly ok: true; readonly json: string }
  /** bad: the paste cannot be analysed (fields say why); else the analysis itself failed. */
  | { readonly id: number; readonly ok: false; readonly bad: boolean; readonly error: string; readonly fields?: Partial<Record<AnalyzeField, string>> };
