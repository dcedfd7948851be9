// The benchmark suite's report (scripts/bench.mjs): each goal of the scale issue evaluated from the raw
// results (product, baseline, ratio, goal, met), and the ratios drawn as a hand-written SVG bar chart.

const r2 = (x, d = 2) => (x === null || x === undefined || !Number.isFinite(x) ? null : +x.toFixed(d));

/**
 * A goal on the ratio (product ÷ baseline) or, when `on` is 'product', on the product itself (a limit).
 * `met` is null when the benchmark did not produce the numbers.
 */
function goal({ id, label, unit, product, baseline, lowerBound = false, on = 'ratio', op = '<=', value, note, invalid = null }) {
  const ratio = product !== null && baseline !== null && baseline > 0 ? r2(product / baseline, product / baseline < 0.1 ? 3 : 2) : null;
  const subject = on === 'ratio' ? ratio : product;
  const unitText = on === 'ratio' ? '×' : ` ${unit}`;
  let met = subject === null ? null : op === '<=' ? subject <= value : subject >= value;
  if (met !== null && lowerBound) met = op === '>=' ? null : false; // "at least x" only settles a ≤ goal as missed
  if (met !== null && invalid) met = false;
  return {
    id,
    label,
    unit,
    product: r2(product),
    baseline: r2(baseline),
    ratio,
    ratio_is_lower_bound: lowerBound,
    goal: { on, op, value, text: `${on === 'ratio' ? 'ratio' : 'value'} ${op === '<=' ? '≤' : '≥'} ${value}${unitText}` },
    met,
    ...(invalid ? { invalid } : {}),
    ...(note ? { note } : {}),
  };
}

export function evaluateGoals(results) {
  const goals = [];
  const join = results.join?.levels ?? [];
  const at = (n) => join.find((l) => l.scopes === n);
  for (const [n, limit] of [
    [100_000, 2],
    [10_000, 3],
  ]) {
    const row = at(n);
    goals.push(
      goal({
        id: `join_${n / 1000}k`,
        label: `Join → ready, ${n.toLocaleString('en-US')} scopes`,
        unit: 'ms',
        product: row ? (row.runner_spawn_to_ready_ms ?? row.ready_timeout_ms) : null,
        baseline: row?.bare_process_spawn_to_replayed_ms ?? null,
        lowerBound: row ? row.runner_spawn_to_ready_ms === null : false,
        value: limit,
        note: row
          ? `runner spawn → /readyz vs a bare Node + NATS client process spawn → replayed (ordered consumer, last per subject); in-process replay ${row.runner_replay_ms} ms vs bare ${row.bare_replay_ms} ms${row.runner_spawn_to_ready_ms === null ? `; not ready within ${row.ready_timeout_ms / 1000} s` : ''}`
          : 'not measured',
      }),
    );
  }

  const levels = results.settings?.levels ?? [];
  const two = levels.find((l) => l.runners === 2);
  const most = levels.at(-1);
  const largest = most && most !== two && most.runners > 2 ? most : undefined;
  for (const [row, n, limit] of [
    [two, 2, 10],
    [largest, largest?.runners ?? 100, 5],
  ]) {
    goals.push(
      goal({
        id: `fanout_${n}`,
        label: `PUT → all acks p50, ${n} runners`,
        unit: 'ms',
        product: row?.put_to_all_runner_acks.p50_ms ?? null,
        baseline: row?.raw_jetstream_publish_to_all_consumers.p50_ms ?? null,
        value: limit,
        note: row
          ? `raw JetStream publish → ${row.runners} ordered consumers (one connection each); p99 ${row.put_to_all_runner_acks.p99_ms} vs ${row.raw_jetstream_publish_to_all_consumers.p99_ms} ms${row.floor_put_to_all_acks ? `; the same hops bare (HTTP PUT, one Postgres insert, JetStream publish, each consumer acks through JetStream) take ${row.floor_put_to_all_acks.p50_ms} ms p50, ${row.p50_ratio_vs_floor}× of that` : ''}`
          : 'not measured',
      }),
    );
  }
  const slope = results.settings?.cpu_ms_per_extra_runner_per_rotation;
  const bare = results.settings?.bare_consumer_cpu_ms_per_message;
  goals.push(
    goal({
      id: 'cpu_per_runner',
      label: `CPU per rotation per extra runner${slope?.between ? ` (${slope.between.join('→')})` : ''}`,
      unit: 'ms',
      product: slope?.net ?? null,
      baseline: null,
      on: 'product',
      value: 0.5,
      note: slope
        ? `all processes of the stack, net of idle CPU (gross slope ${slope.gross} ms)${bare ? `; a bare Node + NATS client process alone costs ${bare.receive} ms to receive a message, ${bare.receive_and_jetstream_ack} ms to receive and acknowledge it through JetStream (${slope.net_vs_bare_consumer_ack}× of that)${bare.receive_verify_open_and_ack !== undefined ? `, and ${bare.receive_verify_open_and_ack} ms to also check its signature and open its token as the events contract asks (${slope.net_vs_bare_consumer_contract}× of that)` : ''}` : ''}`
        : 'not measured',
    }),
  );

  const c16 = results.gateway?.authorized_get_system_settings?.find((r) => r.connections === 16);
  goals.push(
    goal({
      id: 'gateway_c16',
      label: 'Authorized GET /system/settings, c=16',
      unit: 'req/s',
      product: c16?.gateway_rps ?? null,
      baseline: c16?.bare_fastify_rps ?? null,
      op: '>=',
      value: 0.5,
      note: c16 ? 'gateway req/s ÷ bare Fastify req/s (autocannon, same JSON)' : 'not measured',
    }),
  );

  // GET /api/v1/runners: at the most runners (fan-out) and after the biggest join (most scopes); the worse.
  const lists = [];
  if (most?.get_runners) lists.push({ where: `${most.runners} runners`, p50: most.get_runners.p50_ms, statuses: [most.get_runners.statuses] });
  const bigJoin = join.at(-1);
  if (bigJoin?.get_runners_p50_ms !== null && bigJoin?.get_runners_p50_ms !== undefined)
    lists.push({
      where: `${bigJoin.scopes.toLocaleString('en-US')} scopes`,
      p50: bigJoin.get_runners_p50_ms,
      statuses: bigJoin.get_runners_statuses.filter(Boolean),
    });
  const worst = lists.length ? lists.reduce((a, b) => (b.p50 > a.p50 ? b : a)) : null;
  const errors = lists.flatMap((l) => l.statuses.flatMap((s) => Object.keys(s).filter((k) => k !== '200')));
  goals.push(
    goal({
      id: 'runners_list',
      label: `GET /api/v1/runners p50${worst ? ` (${lists.map((l) => l.where).join(' / ')})` : ''}`,
      unit: 'ms',
      product: worst?.p50 ?? null,
      baseline: null,
      on: 'product',
      value: 50,
      invalid: errors.length ? `answered ${[...new Set(errors)].join(', ')}` : null,
      note: worst ? `measured with the most runners of the fan-out and after the biggest join (separately); worst: ${worst.where}` : 'not measured',
    }),
  );

  const m = results.models;
  goals.push(
    goal({
      id: 'create_spawn',
      label: 'Model create → vLLM spawned p50',
      unit: 'ms',
      product: m?.post_to_spawn_ms?.p50 ?? null,
      baseline: m?.floor_ms?.total?.p50 ?? null,
      value: 2,
      note: m?.floor_ms
        ? 'floor: HTTP round trip to bare Fastify + 2 NATS request/reply round trips + spawn of bin/vllm-sim until the spawn event'
        : 'not measured',
    }),
  );
  goals.push(
    goal({
      id: 'runner_rss_20',
      label: 'Runner RSS, 20 slots',
      unit: 'MiB',
      product: m?.runner_rss_mib?.slots_20 ?? null,
      baseline: m?.bare_node_nats_client_rss_mib ?? null,
      on: 'product',
      value: 110,
      note: m ? 'baseline (for reference): a bare Node process with one NATS connection' : 'not measured',
    }),
  );
  return goals;
}

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const fmt = (x) => (x >= 100 ? String(Math.round(x)) : x >= 10 ? x.toFixed(1) : x >= 1 ? x.toFixed(2) : x.toPrecision(2));

/**
 * One horizontal bar per goal on a log axis. Ratio goals: the bar is product ÷ baseline and the black
 * tick the goal's threshold. Limit goals (a value, no ratio goal): the bar is value ÷ limit, tick at 1.
 */
export function renderSvg(report) {
  const goals = report.goals;
  const W = 1100;
  const labelW = 330;
  const x0 = labelW + 10;
  const plotW = 430;
  const top = 92;
  const rowH = 50;
  const H = top + goals.length * rowH + 70;
  const [lo, hi] = [0.01, 1000];
  const x = (v) => x0 + ((Math.log10(Math.min(hi, Math.max(lo, v))) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * plotW;
  const out = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif" font-size="13">`,
  );
  out.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  const met = goals.filter((g) => g.met === true).length;
  out.push(
    `<text x="16" y="28" font-size="18" font-weight="bold">Helix token plane: scale goals, product ÷ baseline (${esc(report.date)}${report.quick ? ', quick run' : ''})</text>`,
  );
  out.push(
    `<text x="16" y="50" fill="#444">${met} of ${goals.length} goals met · ${esc(report.machine.cores)} cores, ${esc(report.machine.cpu_model)}, Node ${esc(report.machine.node)} · same run, same nats-server; shared machine, noisy</text>`,
  );
  out.push(
    `<text x="16" y="70" fill="#444">Bar: measured ratio (log scale). Black tick: the goal. Limit goals (no ratio goal) are drawn as value ÷ limit, tick at 1.</text>`,
  );
  for (let d = Math.log10(lo); d <= Math.log10(hi); d++) {
    const v = 10 ** d;
    const gx = x(v);
    out.push(`<line x1="${gx}" y1="${top - 6}" x2="${gx}" y2="${top + goals.length * rowH}" stroke="${v === 1 ? '#999' : '#e3e3e3'}" stroke-width="1"/>`);
    out.push(`<text x="${gx}" y="${top + goals.length * rowH + 18}" text-anchor="middle" fill="#666">${d < 0 ? v.toFixed(-d) : v}×</text>`);
  }
  goals.forEach((g, i) => {
    const y = top + i * rowH;
    const onRatio = g.goal.on === 'ratio';
    const value = onRatio ? g.ratio : g.product === null ? null : g.product / g.goal.value;
    const threshold = onRatio ? g.goal.value : 1;
    const color = g.met === true ? '#2e7d32' : g.met === false ? '#c62828' : '#9e9e9e';
    out.push(`<text x="16" y="${y + 20}" font-weight="bold">${esc(g.label)}</text>`);
    const detail =
      g.product === null
        ? 'not measured'
        : onRatio
          ? `${g.ratio_is_lower_bound ? `not ready in ${g.product / 1000} s` : g.product} vs ${g.baseline} ${g.unit}`
          : `${g.product} ${g.unit} (limit ${g.goal.value} ${g.unit}${g.baseline !== null ? `; bare ${g.baseline}` : ''})`;
    out.push(`<text x="16" y="${y + 38}" fill="#555" font-size="12">${esc(detail)}</text>`);
    if (value !== null) {
      out.push(`<rect x="${x0}" y="${y + 10}" width="${Math.max(2, x(value) - x0)}" height="24" fill="${color}" opacity="0.85"/>`);
      if (value > hi || value < lo)
        out.push(`<text x="${x(value) + (value > hi ? -14 : 4)}" y="${y + 27}" fill="#fff" font-weight="bold">${value > hi ? '»' : '«'}</text>`);
    }
    const tx = x(threshold);
    out.push(`<line x1="${tx}" y1="${y + 4}" x2="${tx}" y2="${y + 40}" stroke="#000" stroke-width="3"/>`);
    const shown = value === null ? '' : `${g.ratio_is_lower_bound ? '≥ ' : ''}${fmt(value)}×`;
    const status = g.met === true ? 'MET' : g.met === false ? 'NOT MET' : 'NOT MEASURED';
    const target = onRatio ? `goal ${g.goal.op === '<=' ? '≤' : '≥'} ${g.goal.value}×` : `goal ≤ 1× (${g.goal.value} ${g.unit})`;
    out.push(`<text x="${x0 + plotW + 14}" y="${y + 20}" font-weight="bold" fill="${color}">${esc(status)}${shown ? ` · ${esc(shown)}` : ''}</text>`);
    out.push(`<text x="${x0 + plotW + 14}" y="${y + 38}" fill="#555" font-size="12">${esc(target)}${g.invalid ? ` · ${esc(g.invalid)}` : ''}</text>`);
  });
  out.push(
    `<text x="16" y="${H - 16}" fill="#666" font-size="12">npm run bench · raw numbers: bench-results/${esc(report.date)}${report.quick ? '-quick' : ''}.json</text>`,
  );
  out.push('</svg>');
  return out.join('\n') + '\n';
}
