import { randomBytes } from 'node:crypto';
import type { Collection, Db } from 'mongodb';
import type { Principal } from '../domain/access';
import { insertOnce } from './atomic';

// Who changed what: one entry per successful write through the API. Listed newest first without a range
// or sort in the store (see the README's store section): each entry carries its UTC hour (and actor and
// hour), a small directory `audit_hours` says which hours of a day have entries, and a page reads the
// hours it needs one equality lookup at a time, sorting one hour's entries in memory.

export interface AuditEntry {
  _id: string; // ISO time + random: sorts by time
  at: Date;
  hour: string; // 2026-12-07T10
  actorHour: string; // <actor id>|<hour>
  actor: { kind: Principal['kind'] | 'anonymous'; id: string; name: string };
  role?: Principal['role'];
  method: string;
  path: string;
  targets?: Record<string, string>;
  status: number;
}

export type AuditView = Omit<AuditEntry, '_id' | 'hour' | 'actorHour'> & { id: string };
const viewOf = ({ _id, hour, actorHour, ...e }: AuditEntry): AuditView => {
  void hour;
  void actorHour;
  return { id: _id, ...e };
};

export interface AuditQuery {
  actor?: string;
  from: Date;
  to: Date;
  limit: number;
  cursor?: string; // the last entry id of the previous page
}

const hourOf = (d: Date) => d.toISOString().slice(0, 13);
const dayOf = (hour: string) => hour.slice(0, 10);

export class AuditLog {
  private readonly entries: Collection<AuditEntry>;
  private readonly hours: Collection<{ _id: string; day: string }>;
  private readonly knownHours = new Set<string>(); // hours this process has put in the directory
  constructor(db: Db) {
    this.entries = db.collection<AuditEntry>('audit_log');
    this.hours = db.collection('audit_hours');
  }

  async record(entry: Omit<AuditEntry, '_id' | 'hour' | 'actorHour'>): Promise<void> {
    const hour = hourOf(entry.at);
    if (!this.knownHours.has(hour)) {
      await insertOnce(this.hours, { _id: hour, day: dayOf(hour) });
      if (this.knownHours.size > 1000) this.knownHours.clear();
      this.knownHours.add(hour);
    }
    const _id = `${entry.at.toISOString()}~${randomBytes(4).toString('hex')}`;
    await this.entries.insertOne({ _id, hour, actorHour: `${entry.actor.id}|${hour}`, ...entry });
  }

  /** Entries newest first, between from and to (at most 31 days apart), and the cursor of the next page. */
  async list(q: AuditQuery): Promise<{ entries: AuditView[]; nextCursor?: string }> {
    const to = q.cursor ? new Date(Math.min(q.to.getTime(), Date.parse(q.cursor.slice(0, 24)))) : q.to;
    const out: AuditEntry[] = [];
    for (let day = new Date(Date.UTC(to.getUTCFullYear(), to.getUTCMonth(), to.getUTCDate())); day >= dayStart(q.from);) {
      const hours = (await this.hours.find({ day: day.toISOString().slice(0, 10) }).toArray())
        .map((h) => h._id)
        .filter((h) => h >= hourOf(q.from) && h <= hourOf(to))
        .sort()
        .reverse();
      for (const hour of hours) {
        const found = await this.entries.find(q.actor ? { actorHour: `${q.actor}|${hour}` } : { hour }).toArray();
        const inRange = found
          .filter((e) => e.at >= q.from && e.at <= q.to && (!q.cursor || e._id < q.cursor))
          .sort((a, b) => (a._id < b._id ? 1 : -1));
        for (const e of inRange) {
          if (out.length === q.limit) return { entries: out.map(viewOf), nextCursor: out[out.length - 1]._id };
          out.push(e);
        }
      }
      day = new Date(day.getTime() - 86_400_000);
    }
    return { entries: out.map(viewOf) };
  }
}

const dayStart = (d: Date) => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
