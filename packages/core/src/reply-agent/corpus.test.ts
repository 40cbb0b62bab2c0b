import { describe, expect, it } from 'vitest';
import { DateTime } from 'luxon';
import { classifyReply } from './classify.js';
import { REPLY_CORPUS, REPLY_CORPUS_NOW, REPLY_CORPUS_ZONE } from './corpus.js';
import { DEFAULT_REPLY_AGENT_POLICY } from './decide.js';
import { evaluateCorpus } from './evaluate.js';

describe('reply agent corpus', () => {
  const report = evaluateCorpus();

  it('holds at least 200 replies, with Spanish, emoji, misspellings, adversarial and keyword entries', () => {
    expect(REPLY_CORPUS.length).toBeGreaterThanOrEqual(200);
    expect(REPLY_CORPUS.some((e) => /ñ|é|á/.test(e.text))).toBe(true);
    expect(REPLY_CORPUS.some((e) => /\p{Extended_Pictographic}/u.test(e.text))).toBe(true);
    expect(REPLY_CORPUS.some((e) => /ignore/i.test(e.text))).toBe(true);
    expect(REPLY_CORPUS.filter((e) => e.intent === 'compliance').length).toBeGreaterThanOrEqual(20);
  });

  it('reaches 90% intent accuracy and reads every expected time', () => {
    console.log(
      `reply agent: intent ${report.intentCorrect}/${report.total} (${(report.intentAccuracy * 100).toFixed(1)}%), ` +
        `time ${report.timeCorrect}/${report.timeTotal}, keywords left to compliance ${report.complianceLeft}/${report.complianceTotal}`,
    );
    expect(report.misses.filter((m) => m.expected !== m.got)).toEqual([]);
    expect(report.intentAccuracy).toBeGreaterThanOrEqual(0.9);
    expect(report.timeAccuracy).toBeGreaterThanOrEqual(0.9);
  });

  it('leaves 100% of opt-out, opt-in and HELP keywords to compliance', () => {
    expect(report.complianceLeft).toBe(report.complianceTotal);
  });

  it('is confident enough to answer (not hand off) at the default threshold for at least 90% of the replies it can answer', () => {
    const now = DateTime.fromISO(REPLY_CORPUS_NOW).toMillis();
    const answerable = REPLY_CORPUS.filter((e) => !['unknown', 'compliance', 'human'].includes(e.intent));
    const confident = answerable.filter((e) => {
      const c = classifyReply(e.text, now, e.zone ?? REPLY_CORPUS_ZONE);
      return c.intent === e.intent && c.confidence >= DEFAULT_REPLY_AGENT_POLICY.confidence_threshold;
    });
    expect(confident.length / answerable.length).toBeGreaterThanOrEqual(0.9);
  });
});
