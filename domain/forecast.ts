// Demand forecasting and reorder levels: pure arithmetic over a daily demand series, no I/O.
//
// Method: additive Holt-Winters (level, trend, 7-day season) on daily units. Additive rather than
// multiplicative because daily demand of a slow sku is often 0, where seasonal ratios are undefined.
// Its three smoothing constants are chosen per series by a small grid search on the one-step-ahead
// squared error; the spread of those one-step errors (their RMSE) is the daily forecast error σ₁ that
// safety stock is built on. A series shorter than two seasons has too little to estimate a week's shape:
// it is forecast flat at its mean, with its standard deviation as σ₁.

export const SEASON_DAYS = 7;
const MIN_SEASONAL_DAYS = 2 * SEASON_DAYS;

export interface SmoothingParams {
  alpha: number; // level
  beta: number; // trend
  gamma: number; // season
}

export interface DemandModel {
  method: 'holt_winters' | 'mean' | 'simple_smoothing';
  level: number;
  trend: number;
  // Seasonal offsets for the next 7 days: season[0] is for the day after the last day of history.
  season: number[];
  params?: SmoothingParams;
  residualSd: number; // σ₁: standard deviation of one day's forecast error
  days: number; // days of history the model was fitted on
}

const ALPHAS = [0.05, 0.1, 0.2, 0.3, 0.5];
const BETAS = [0, 0.02, 0.05];
const GAMMAS = [0.05, 0.1, 0.2, 0.3, 0.5];

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
const stdev = (xs: number[]) => {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
};

interface Run {
  level: number;
  trend: number;
  season: number[]; // by position t mod 7
  sse: number;
  errors: number[];
}

// One pass of additive Holt-Winters; errors are one-step-ahead, counted after the first season.
function runHoltWinters(history: number[], p: SmoothingParams): Run {
  const first = history.slice(0, SEASON_DAYS);
  const second = history.slice(SEASON_DAYS, 2 * SEASON_DAYS);
  let level = mean(first);
  let trend = (mean(second) - mean(first)) / SEASON_DAYS;
  const season = first.map((x) => x - level);
  const errors: number[] = [];
  let sse = 0;
  for (let t = SEASON_DAYS; t < history.length; t++) {
    const s = t % SEASON_DAYS;
    const predicted = level + trend + season[s];
    const error = history[t] - predicted;
    errors.push(error);
    sse += error * error;
    const previousLevel = level;
    level = p.alpha * (history[t] - season[s]) + (1 - p.alpha) * (level + trend);
    trend = p.beta * (level - previousLevel) + (1 - p.beta) * trend;
    season[s] = p.gamma * (history[t] - level) + (1 - p.gamma) * season[s];
  }
  return { level, trend, season, sse, errors };
}

const rms = (errors: number[]) => (errors.length ? Math.sqrt(errors.reduce((a, e) => a + e * e, 0) / errors.length) : 0);

/** Fits the demand model to a daily series (oldest first, one number per day, days without demand 0). */
export function fitDemand(history: number[]): DemandModel {
  if (history.length < MIN_SEASONAL_DAYS) {
    return { method: 'mean', level: mean(history), trend: 0, season: zeros(), residualSd: stdev(history), days: history.length };
  }
  let best: { run: Run; params: SmoothingParams } | undefined;
  for (const alpha of ALPHAS)
    for (const beta of BETAS)
      for (const gamma of GAMMAS) {
        const run = runHoltWinters(history, { alpha, beta, gamma });
        if (!best || run.sse < best.run.sse) best = { run, params: { alpha, beta, gamma } };
      }
  const { run, params } = best!;
  const next = history.length % SEASON_DAYS;
  return {
    method: 'holt_winters',
    level: run.level,
    trend: run.trend,
    season: Array.from({ length: SEASON_DAYS }, (_, i) => run.season[(next + i) % SEASON_DAYS]),
    params,
    residualSd: rms(run.errors),
    days: history.length,
  };
}

/** The non-seasonal baseline: simple exponential smoothing, its α chosen the same way. */
export function fitWithoutSeason(history: number[]): DemandModel {
  let best: { level: number; errors: number[]; alpha: number } | undefined;
  for (const alpha of ALPHAS) {
    let level = history[0] ?? 0;
    const errors: number[] = [];
    for (let t = 1; t < history.length; t++) {
      errors.push(history[t] - level);
      level = alpha * history[t] + (1 - alpha) * level;
    }
    if (!best || rms(errors) < rms(best.errors)) best = { level, errors, alpha };
  }
  return {
    method: 'simple_smoothing',
    level: best!.level,
    trend: 0,
    season: zeros(),
    params: { alpha: best!.alpha, beta: 0, gamma: 0 },
    residualSd: rms(best!.errors),
    days: history.length,
  };
}

/** Expected demand for each of the next `days` days (never below 0). */
export function forecastDays(model: DemandModel, days: number): number[] {
  return Array.from({ length: days }, (_, h) => Math.max(0, model.level + (h + 1) * model.trend + model.season[h % SEASON_DAYS]));
}

/**
 * Mean absolute percentage error of a forecast against what happened, over the days that had demand
 * (a day of 0 units has no percentage error). NaN when no day had demand.
 */
export function mape(forecast: number[], actual: number[]): number {
  const terms = actual.flatMap((a, i) => (a > 0 ? [Math.abs(forecast[i] - a) / a] : []));
  return terms.length ? (100 * terms.reduce((x, y) => x + y, 0)) / terms.length : NaN;
}

/** Back-test: fit on all but the last `holdoutDays`, forecast those days, and compare (MAPE, in %). */
export function backtest(
  history: number[],
  holdoutDays: number,
  fit: (h: number[]) => DemandModel = fitDemand,
): { mape: number; forecast: number[]; actual: number[] } {
  const training = history.slice(0, history.length - holdoutDays);
  const actual = history.slice(history.length - holdoutDays);
  const forecast = forecastDays(fit(training), holdoutDays);
  return { mape: mape(forecast, actual), forecast, actual };
}

/**
 * The standard normal quantile (inverse CDF), by Peter Acklam's rational approximation (relative error
 * below 1.15e-9): serviceLevel 0.95 → z ≈ 1.645.
 */
export function inverseNormalCdf(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`inverseNormalCdf needs 0 < p < 1, got ${p}`);
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - low) return -inverseNormalCdf(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) /
    (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
  );
}

export interface ReorderLevels {
  forecastDailyDemand: number; // mean of the forecast over lead time and review period
  demandOverLeadTime: number;
  demandOverReviewPeriod: number;
  sigmaLeadTime: number; // σ₁ × √(lead time)
  z: number;
  safetyStock: number;
  reorderPoint: number; // units, rounded up
  orderUpTo: number; // units, rounded up
}

/**
 * Safety stock = z × σ₁ × √L; reorder point = forecast demand over the lead time L + safety stock;
 * order-up-to = reorder point + forecast demand over the review period R.
 */
export function reorderLevels(model: DemandModel, leadTimeDays: number, reviewPeriodDays: number, serviceLevel: number): ReorderLevels {
  const days = forecastDays(model, leadTimeDays + reviewPeriodDays);
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const demandOverLeadTime = sum(days.slice(0, leadTimeDays));
  const demandOverReviewPeriod = sum(days.slice(leadTimeDays));
  const z = inverseNormalCdf(serviceLevel);
  const sigmaLeadTime = model.residualSd * Math.sqrt(leadTimeDays);
  const safetyStock = Math.max(0, z * sigmaLeadTime);
  const reorderPoint = Math.ceil(round6(demandOverLeadTime + safetyStock));
  return {
    forecastDailyDemand: days.length ? sum(days) / days.length : 0,
    demandOverLeadTime,
    demandOverReviewPeriod,
    sigmaLeadTime,
    z,
    safetyStock,
    reorderPoint,
    orderUpTo: Math.ceil(round6(reorderPoint + demandOverReviewPeriod)),
  };
}

// Float noise must not push an exact 12.000000001 up to 13 units.
const round6 = (x: number) => Math.round(x * 1e6) / 1e6;
const zeros = () => Array.from({ length: SEASON_DAYS }, () => 0);
