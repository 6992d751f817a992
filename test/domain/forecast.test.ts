import { backtest, fitDemand, fitWithoutSeason, forecastDays, inverseNormalCdf, reorderLevels, SEASON_DAYS } from '../../domain/forecast';

// A seeded PRNG (mulberry32) and Box-Muller normal noise, so the series and its MAPE are the same every run.
function mulberry32(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
function normal(rand: () => number): number {
  const u = Math.max(rand(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

// Weekday shape of a shop selling more at the weekend, around 20 units a day, with noise of σ 2.
const WEEK = [14, 15, 16, 17, 22, 30, 26];
function seasonalDemand(days: number, seed: number, noise = 2): number[] {
  const rand = mulberry32(seed);
  return Array.from({ length: days }, (_, t) => Math.max(0, Math.round(WEEK[t % SEASON_DAYS] + noise * normal(rand))));
}

// The bound the README states for the back-test; the figure measured is printed.
const MAPE_BOUND = 12;
const HOLDOUT_DAYS = 28;

describe('demand forecast (additive Holt-Winters, 7-day season)', () => {
  test('on 120 days of weekly-seasonal demand, the 28-day back-test MAPE is below 12% and beats a non-seasonal forecast', () => {
    const history = seasonalDemand(120, 20261207);
    const seasonal = backtest(history, HOLDOUT_DAYS);
    const naive = backtest(history, HOLDOUT_DAYS, fitWithoutSeason);
    console.log(
      `back-test MAPE over ${HOLDOUT_DAYS} held-out days: seasonal ${seasonal.mape.toFixed(1)}%, non-seasonal ${naive.mape.toFixed(1)}%`,
    );
    expect(seasonal.mape).toBeLessThan(MAPE_BOUND);
    expect(naive.mape).toBeGreaterThan(seasonal.mape * 1.5);
  });

  test('the bound holds across seeds, not just one lucky series', () => {
    for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
      const history = seasonalDemand(120, seed);
      expect(backtest(history, HOLDOUT_DAYS).mape).toBeLessThan(MAPE_BOUND);
      expect(backtest(history, HOLDOUT_DAYS, fitWithoutSeason).mape).toBeGreaterThan(backtest(history, HOLDOUT_DAYS).mape);
    }
  });

  test('the forecast continues the weekday pattern from the day after the history ends', () => {
    const history = seasonalDemand(120, 42, 0); // no noise: the pattern itself
    const next = forecastDays(fitDemand(history), 7);
    const expected = Array.from({ length: 7 }, (_, h) => WEEK[(120 + h) % SEASON_DAYS]);
    next.forEach((f, i) => expect(f).toBeCloseTo(expected[i], 0));
  });

  test('a short history is forecast flat at its mean, with its standard deviation as the daily error', () => {
    const model = fitDemand([4, 6, 5, 5, 4, 6]);
    expect(model.method).toBe('mean');
    expect(forecastDays(model, 3)).toEqual([5, 5, 5]);
    expect(model.residualSd).toBeCloseTo(Math.sqrt(0.8), 6);
    expect(fitDemand([]).level).toBe(0);
  });

  test('no demand forecasts nothing and never a negative day', () => {
    const model = fitDemand(Array(60).fill(0));
    expect(forecastDays(model, 10)).toEqual(Array(10).fill(0));
    expect(reorderLevels(model, 5, 7, 0.95)).toMatchObject({ reorderPoint: 0, orderUpTo: 0, safetyStock: 0 });
  });
});

describe('inverse normal CDF (Acklam)', () => {
  test.each([
    [0.5, 0],
    [0.84134474, 1],
    [0.9, 1.281552],
    [0.95, 1.644854],
    [0.975, 1.959964],
    [0.99, 2.326348],
    [0.999, 3.090232],
    [0.01, -2.326348],
  ])('Φ⁻¹(%s) = %s', (p, z) => {
    expect(inverseNormalCdf(p)).toBeCloseTo(z, 5);
  });
  test('outside (0, 1) it refuses', () => {
    expect(() => inverseNormalCdf(1)).toThrow(RangeError);
    expect(() => inverseNormalCdf(0)).toThrow(RangeError);
  });
});

describe('reorder point and order-up-to level', () => {
  test('safety stock is z × σ₁ × √L, the reorder point adds demand over the lead time, order-up-to the review period', () => {
    const model = fitDemand([10, 12, 8, 10, 11, 9]); // mean 10, flat
    const levels = reorderLevels(model, 4, 7, 0.95);
    const sigma = model.residualSd;
    expect(levels.z).toBeCloseTo(1.644854, 5);
    expect(levels.demandOverLeadTime).toBeCloseTo(40, 6);
    expect(levels.safetyStock).toBeCloseTo(1.644854 * sigma * 2, 5);
    expect(levels.reorderPoint).toBe(Math.ceil(40 + 1.644854 * sigma * 2));
    expect(levels.orderUpTo).toBe(levels.reorderPoint + 70);
    expect(levels.forecastDailyDemand).toBeCloseTo(10, 6);
  });
});
