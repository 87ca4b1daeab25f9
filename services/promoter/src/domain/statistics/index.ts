export { canaryJudgement } from './canary-judgement.js';
export type {
  BadDirection,
  CanaryJudgement,
  CanaryJudgementOptions,
  CanaryVerdict,
} from './canary-judgement.js';
export { hodgesLehmannShift, mean, median } from './descriptive.js';
export { mannWhitneyU } from './mann-whitney.js';
export type {
  Alternative,
  MannWhitneyEffectSize,
  MannWhitneyMethod,
  MannWhitneyOptions,
  MannWhitneyResult,
} from './mann-whitney.js';
export { erfc, normalCdf, normalSf } from './normal-distribution.js';
