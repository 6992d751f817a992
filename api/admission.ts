import type { Request, RequestHandler } from 'express';
import { errorBody } from './errors';

export interface AdmissionLimits {
  maxInFlight: number; // requests worked on at once by this process
  maxQueued: number; // requests waiting for a place; beyond this they are turned away at once
  queueTimeoutMs: number; // how long one may wait for a place
}

export const DEFAULT_ADMISSION: AdmissionLimits = { maxInFlight: 128, maxQueued: 1_024, queueTimeoutMs: 10_000 };

/**
 * Back-pressure: past its limits, the API answers 503 with Retry-After at once instead of piling requests
 * onto a store that is already busy (where they would time out half-way). A request turned away has
 * changed nothing; one admitted runs to its end.
 */
export function admission(limits: AdmissionLimits, exempt: (req: Request) => boolean = () => false): RequestHandler {
  let inFlight = 0;
  const waiting: Array<() => void> = [];
  const release = () => {
    const next = waiting.shift();
    if (next)
      next(); // the place passes straight to the next in line
    else inFlight--;
  };
  return (req, res, next) => {
    if (exempt(req)) return next();
    let released = false;
    const admitted = () => {
      res.once('close', () => {
        if (!released) {
          released = true;
          release();
        }
      });
      next();
    };
    if (inFlight < limits.maxInFlight) {
      inFlight++;
      return admitted();
    }
    const turnAway = () => {
      res.set('Retry-After', '1');
      res.status(503).json(
        errorBody(res, {
          code: 'unavailable',
          message: `Orderhub is at capacity (${limits.maxInFlight} requests in progress, ${waiting.length} waiting); send the request again`,
        }),
      );
    };
    if (waiting.length >= limits.maxQueued) return turnAway();
    const timer = setTimeout(() => {
      const i = waiting.indexOf(go);
      if (i >= 0) waiting.splice(i, 1);
      turnAway();
    }, limits.queueTimeoutMs);
    const go = () => {
      clearTimeout(timer);
      admitted();
    };
    waiting.push(go);
  };
}
