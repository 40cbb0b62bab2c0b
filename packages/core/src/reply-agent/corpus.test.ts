import { describe, expect, it } from 'vitest';
import { REPLY_CORPUS } from './corpus.js';
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
});
