// Small helpers for the Prometheus text format (https://prometheus.io/docs/instrumenting/exposition_formats/).

/** The class of an HTTP status for a metric label: 2xx, 3xx, 4xx, 5xx. */
export function statusClass(status: number): string {
  return status >= 100 && status < 600 ? `${Math.floor(status / 100)}xx` : 'other';
}

/**
 * Several expositions joined into one, each metric family once: BullMQ's Queue.exportPrometheusMetrics()
 * writes HELP and TYPE for every queue, and a family repeated in one scrape is invalid. Samples keep
 * their order within their family; families keep the order they were first seen in.
 */
export function mergeExpositions(texts: string[]): string {
  const families = new Map<string, { meta: string[]; samples: string[] }>();
  const familyOf = (name: string) => {
    let f = families.get(name);
    if (!f) families.set(name, (f = { meta: [], samples: [] }));
    return f;
  };
  let current = '';
  for (const line of texts.flatMap((t) => t.split('\n'))) {
    const meta = /^# (HELP|TYPE) (\S+)/.exec(line);
    if (meta) {
      current = meta[2];
      const f = familyOf(current);
      if (!f.meta.some((m) => m.startsWith(`# ${meta[1]} `))) f.meta.push(line);
    } else if (line.trim() !== '' && !line.startsWith('#')) {
      const name = /^[A-Za-z_:][A-Za-z0-9_:]*/.exec(line)?.[0] ?? current;
      familyOf(name.startsWith(current) && current ? current : name).samples.push(line);
    }
  }
  return [...families.values()].map((f) => [...f.meta, ...f.samples].join('\n')).join('\n') + (families.size ? '\n' : '');
}
