// The outputs of a run: medians, the Markdown table, the SVG chart (drawn here: no chart service).

export function median(values) {
  const sorted = values.filter((value) => typeof value === 'number' && Number.isFinite(value)).sort((a, b) => a - b);
  if (sorted.length === 0) return undefined;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

const fmt = (value, digits = 0) => (value === undefined || value === null ? '–' : Number(value).toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }));
const ratio = (value) => (value === undefined || value === null ? '–' : `${value.toFixed(2)}×`);

/** The Markdown table of a run's results (one row per scenario and subject) and the goals. */
export function markdown(result) {
  const lines = [
    `| scenario | subject | req/s (median) | p50 ms | p99 ms | max ms | × limit | × peer | CPU µs/req | × limit (CPU) | half load: req/s, p50, p99 ms | runs (req/s) | checks |`,
    `|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|`,
  ];
  for (const scenario of result.scenarios) {
    for (const row of scenario.rows) {
      lines.push(
        `| ${scenario.title} | ${row.label} | ${row.unit === 'ms' ? '–' : `${fmt(row.rps)}${row.unit ? ` ${row.unit}` : ''}`} | ${fmt(row.p50, 2)} | ${fmt(row.p99, 2)} | ${fmt(row.max, 2)} | ${ratio(row.toLimit)} | ${ratio(row.toPeer)} | ${fmt(row.cpuUsPerRequest)} | ${ratio(row.cpuToLimit)} | ${row.halfLoadRps === undefined ? '–' : `${fmt(row.halfLoadRps)}: ${fmt(row.halfLoadP50, 2)}, ${fmt(row.halfLoadP99, 2)}`} | ${row.unit === 'ms' ? 'p99 ' : ''}${row.runs.map((run) => fmt(run, row.unit === 'ms' ? 2 : 0)).join(', ')} | ${row.checks ?? ''} |`,
      );
    }
    for (const note of scenario.notes ?? []) lines.push(`| ${scenario.title} | *${note.subject}* | ${note.text} | | | | | | | | | | |`);
  }
  const goals = ['', '| goal | measured | met |', '|---|---|---|', ...result.goals.map((goal) => `| ${goal.goal} | ${goal.measured} | ${goal.met === undefined ? '–' : goal.met ? 'yes' : '**no**'} |`)];
  return [...lines, ...goals].join('\n');
}

const COLORS = { limit: '#8c8c8c', ours: '#1f6feb', peer: '#d97706', 'ours-memory': '#7aa7f0', 'suite-memory': '#9bd3a8', 'suite-kafka': '#2e9e4f' };
const escape = (text) => String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Two panels of grouped bars, one group per scenario, one bar per subject: throughput, then p99. */
export function svgChart(result) {
  const groups = result.scenarios.filter((scenario) => scenario.rows.some((row) => row.rps !== undefined && row.unit === undefined));
  const subjects = [...new Set(groups.flatMap((scenario) => scenario.rows.map((row) => row.subject)))];
  const barWidth = 16;
  const groupWidth = Math.max(subjects.length, 2) * barWidth + 28;
  const left = 70;
  const width = left + groups.length * groupWidth + 20;
  const panelHeight = 200;
  const panels = [
    { title: 'Throughput, requests/s on one core (median)', value: (row) => row.rps, top: 56 },
    { title: 'Latency p99, ms (median of the runs)', value: (row) => row.p99, top: 56 + panelHeight + 70 },
  ];
  const legendRows = [[]];
  let legendX = left;
  for (const subject of subjects) {
    const label = result.subjectLabels?.[subject] ?? subject;
    const itemWidth = 24 + label.length * 6.2;
    if (legendX + itemWidth > width - 10 && legendRows.at(-1).length > 0) (legendRows.push([]), (legendX = left));
    legendRows.at(-1).push({ subject, label, x: legendX });
    legendX += itemWidth;
  }
  const legendTop = panels[1].top + panelHeight + 36;
  const height = legendTop + legendRows.length * 18 + 10;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="${left}" y="18" font-size="13" font-weight="bold">${escape(result.title)}</text>`,
  ];
  legendRows.forEach((items, r) => {
    for (const { subject, label, x } of items) {
      const y = legendTop + r * 18;
      parts.push(`<rect x="${x}" y="${y}" width="12" height="12" fill="${COLORS[subject] ?? '#555'}"/><text x="${x + 16}" y="${y + 10}">${escape(label)}</text>`);
    }
  });
  for (const panel of panels) {
    const values = groups.flatMap((scenario) => scenario.rows.map(panel.value)).filter((value) => value !== undefined);
    const max = niceCeiling(Math.max(1, ...values));
    const bottom = panel.top + panelHeight;
    parts.push(`<text x="${left}" y="${panel.top - 10}" font-weight="bold">${escape(panel.title)}</text>`);
    for (let tick = 0; tick <= 4; tick += 1) {
      const y = bottom - (tick / 4) * panelHeight;
      parts.push(`<line x1="${left}" x2="${width - 10}" y1="${y}" y2="${y}" stroke="#e5e5e5"/><text x="${left - 6}" y="${y + 4}" text-anchor="end">${fmt((max * tick) / 4)}</text>`);
    }
    groups.forEach((scenario, g) => {
      const x0 = left + g * groupWidth + 14;
      scenario.rows.forEach((row) => {
        const value = panel.value(row);
        const i = subjects.indexOf(row.subject);
        if (value === undefined) return;
        const h = (value / max) * panelHeight;
        parts.push(`<rect x="${x0 + i * barWidth}" y="${bottom - h}" width="${barWidth - 2}" height="${h}" fill="${COLORS[row.subject] ?? '#555'}"><title>${escape(`${scenario.title} — ${row.label}: ${fmt(value, panel.value === panels[1].value ? 2 : 0)}`)}</title></rect>`);
      });
      parts.push(`<text x="${x0 + (subjects.length * barWidth) / 2}" y="${bottom + 14}" text-anchor="middle">${escape(scenario.short ?? scenario.id)}</text>`);
    });
  }
  parts.push('</svg>');
  return parts.join('\n');
}

function niceCeiling(value) {
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (value <= step * power) return step * power;
  return 10 * power;
}
