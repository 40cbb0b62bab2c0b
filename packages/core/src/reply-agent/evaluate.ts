/**
 * The rule engine's accuracy on the corpus: intent accuracy, time accuracy (of the entries that expect
 * a time), and whether every opt-out / HELP keyword was left to compliance. Used by the test and the bench.
 */
import { DateTime } from 'luxon';
import { classifyReply, type ReplyIntent } from './classify.js';
import { REPLY_CORPUS, REPLY_CORPUS_NOW, REPLY_CORPUS_ZONE, type ReplyCorpusEntry } from './corpus.js';

export interface CorpusMiss {
  readonly text: string;
  readonly expected: ReplyIntent;
  readonly got: ReplyIntent;
  readonly expectedAt?: string;
  readonly gotAt?: string;
}

export interface CorpusReport {
  readonly total: number;
  readonly intentCorrect: number;
  readonly intentAccuracy: number;
  readonly timeTotal: number;
  readonly timeCorrect: number;
  readonly timeAccuracy: number;
  readonly complianceTotal: number;
  /** Keyword replies the agent left to compliance (must equal complianceTotal). */
  readonly complianceLeft: number;
  readonly misses: readonly CorpusMiss[];
}

export function evaluateCorpus(corpus: readonly ReplyCorpusEntry[] = REPLY_CORPUS): CorpusReport {
  const nowMs = DateTime.fromISO(REPLY_CORPUS_NOW).toMillis();
  let intentCorrect = 0;
  let timeTotal = 0;
  let timeCorrect = 0;
  let complianceTotal = 0;
  let complianceLeft = 0;
  const misses: CorpusMiss[] = [];
  for (const entry of corpus) {
    const zone = entry.zone ?? REPLY_CORPUS_ZONE;
    const got = classifyReply(entry.text, nowMs, zone);
    const intentOk = got.intent === entry.intent;
    if (intentOk) intentCorrect++;
    if (entry.intent === 'compliance') {
      complianceTotal++;
      if (got.intent === 'compliance') complianceLeft++;
    }
    let timeOk = true;
    const expectedAt = entry.at ? DateTime.fromISO(entry.at, { zone }).toUTC().toISO({ suppressMilliseconds: true }) ?? undefined : undefined;
    if (expectedAt) {
      timeTotal++;
      timeOk = got.callbackAt === expectedAt;
      if (timeOk) timeCorrect++;
    }
    if (!intentOk || !timeOk) {
      misses.push({ text: entry.text, expected: entry.intent, got: got.intent, ...(expectedAt ? { expectedAt } : {}), ...(got.callbackAt ? { gotAt: got.callbackAt } : {}) });
    }
  }
  const ratio = (a: number, b: number): number => (b === 0 ? 1 : Math.round((a / b) * 1000) / 1000);
  return {
    total: corpus.length,
    intentCorrect,
    intentAccuracy: ratio(intentCorrect, corpus.length),
    timeTotal,
    timeCorrect,
    timeAccuracy: ratio(timeCorrect, timeTotal),
    complianceTotal,
    complianceLeft,
    misses,
  };
}
