export { DEFAULT_EXPERIMENT_RULES, Z_95, analyzeExperiment, compareBetas, logGamma, wilsonInterval } from './ab-test.js';
export type { BetaParams, ExperimentResult, ExperimentRules, Interval, VariantCounts, VariantResult } from './ab-test.js';
export { quantile, ratio } from './stats.js';
export { betaDraw, seededUniform, thompsonPick } from './thompson.js';
export type { VariantEvidence } from './thompson.js';
