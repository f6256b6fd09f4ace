import { spawnSync } from 'node:child_process';

export interface ParsedSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/**
 * Parses Prometheus text exposition (sample lines only), unescaping label
 * values, so tests can compare values with what Redis says.
 */
export function parseExposition(text: string): ParsedSample[] {
  const out: ParsedSample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    let i = 0;
    while (i < line.length && line[i] !== '{' && line[i] !== ' ') i++;
    const name = line.slice(0, i);
    const labels: Record<string, string> = {};
    if (line[i] === '{') {
      i++;
      while (line[i] !== '}') {
        const eq = line.indexOf('=', i);
        const key = line.slice(i, eq);
        i = eq + 2; // skip ="
        let v = '';
        while (line[i] !== '"') {
          if (line[i] === '\\') {
            const n = line[i + 1];
            v += n === 'n' ? '\n' : n;
            i += 2;
          } else v += line[i++];
        }
        labels[key] = v;
        i++; // closing quote
        if (line[i] === ',') i++;
      }
      i++; // }
    }
    const valueText = line
      .slice(i + 1)
      .trim()
      .split(' ')[0]!;
    const value = valueText === '+Inf' ? Infinity : valueText === '-Inf' ? -Infinity : Number(valueText);
    out.push({ name, labels, value });
  }
  return out;
}

/** The value of the one sample matching name and labels, or undefined. Throws if several match. */
export function valueOf(samples: ParsedSample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (found.length > 1) throw new Error(`${found.length} samples match ${name} ${JSON.stringify(labels)}`);
  return found[0]?.value;
}

/** Runs `promtool check metrics` (a real exposition parser and linter) on the text. */
export function promtoolCheckMetrics(text: string): { ok: boolean; output: string } {
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  return { ok: r.status === 0, output: `${r.stdout}${r.stderr}` };
}
