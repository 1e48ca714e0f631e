// Verity dashboard: live from the node's event stream (GET /v1/events) plus polling of its JSON
// routes. Plain JavaScript, no framework, no build step; charts are inline SVG drawn here.
// Amounts arrive as decimal strings of base units and are formatted with BigInt, never floats,
// until the last step.
"use strict";

const POLL_MS = 2000;
const MAX_POINTS = 240;
const WAD = 10n ** 18n;

const $ = (id) => document.getElementById(id);
const state = {
  provider: new URLSearchParams(location.search).get("provider") || "",
  blocks: [],        // [timestamp ms, tx_count] of recent blocks (blocks/s, tx chart)
  nav: [],           // [time ms, NAV]
  said: [],          // [time ms, sAID share price]
  provValue: [],     // [time ms, USD value of the provider's TBILL]
  polling: false,
  again: false,
};

// ---------- formatting ----------

/** Base units (decimal string) → human string with at most `digits` fraction digits. */
function fmt(amount, decimals, digits = 4) {
  let v;
  try { v = BigInt(amount); } catch { return "?"; }
  const neg = v < 0n; if (neg) v = -v;
  const scale = 10n ** BigInt(decimals);
  const whole = v / scale;
  let frac = (v % scale).toString().padStart(decimals, "0").slice(0, digits).replace(/0+$/, "");
  const w = whole.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return (neg ? "-" : "") + w + (frac ? "." + frac : "");
}
const fmtAmt = (a, digits) => a ? `${fmt(a.amount, a.decimals, digits)} ${a.symbol}` : "–";
const wadNum = (s) => Number(BigInt(s) * 1000000n / WAD) / 1e6; // 1e18 fixed point → number (charts)
const short = (h) => h ? `${h.slice(0, 8)}…${h.slice(-4)}` : "–";
const text = (id, t) => { const e = $(id); if (e) e.textContent = t; return e; };
function push(series, t, v) {
  if (series.length && series[series.length - 1][0] === t) series[series.length - 1][1] = v;
  else series.push([t, v]);
  if (series.length > MAX_POINTS) series.shift();
}

async function getJson(path) {
  const r = await fetch(path, { headers: { accept: "application/json" } });
  if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
  return r.json();
}
const maybe = (p) => p.catch(() => null);

// ---------- charts ----------

/** Draw line series into an <svg> with a viewBox; each series is [[x, y], …]. */
function lineChart(svg, seriesList, { colors = ["#4fb3ff", "#3fb950", "#d29922"], yFmt = (v) => v.toFixed(4), bars = false } = {}) {
  const [, , W, H] = svg.getAttribute("viewBox").split(" ").map(Number);
  const pad = { l: 54, r: 6, t: 6, b: 14 };
  const pts = seriesList.flat();
  if (pts.length === 0) { svg.innerHTML = `<text x="${W / 2}" y="${H / 2}" text-anchor="middle">waiting for data…</text>`; return; }
  let [x0, x1] = [Math.min(...pts.map((p) => p[0])), Math.max(...pts.map((p) => p[0]))];
  let [y0, y1] = [Math.min(...pts.map((p) => p[1])), Math.max(...pts.map((p) => p[1]))];
  if (bars) y0 = 0;
  if (x1 === x0) x1 = x0 + 1;
  if (y1 === y0) { const d = Math.abs(y0) * 1e-6 || 1; y0 -= d; y1 += d; }
  const X = (x) => pad.l + (x - x0) / (x1 - x0) * (W - pad.l - pad.r);
  const Y = (y) => H - pad.b - (y - y0) / (y1 - y0) * (H - pad.t - pad.b);
  let out = `<line class="axis" x1="${pad.l}" y1="${H - pad.b}" x2="${W - pad.r}" y2="${H - pad.b}"/>` +
    `<line class="axis" x1="${pad.l}" y1="${pad.t}" x2="${pad.l}" y2="${H - pad.b}"/>` +
    `<text x="${pad.l - 4}" y="${pad.t + 8}" text-anchor="end">${yFmt(y1)}</text>` +
    `<text x="${pad.l - 4}" y="${H - pad.b}" text-anchor="end">${yFmt(y0)}</text>`;
  seriesList.forEach((s, i) => {
    const c = colors[i % colors.length];
    if (bars) {
      const w = Math.max(1, (W - pad.l - pad.r) / Math.max(s.length, 1) - 1);
      for (const [x, y] of s) out += `<rect x="${X(x) - w / 2}" y="${Y(y)}" width="${w}" height="${H - pad.b - Y(y)}" fill="${c}"/>`;
    } else if (s.length === 1) {
      out += `<circle cx="${X(s[0][0])}" cy="${Y(s[0][1])}" r="3" fill="${c}"/>`;
    } else if (s.length > 1) {
      out += `<polyline fill="none" stroke="${c}" stroke-width="1.6" points="${s.map(([x, y]) => `${X(x).toFixed(1)},${Y(y).toFixed(1)}`).join(" ")}"/>`;
    }
  });
  svg.innerHTML = out;
}

// ---------- views ----------

function showNetwork(n) {
  text("net-height", n.height);
  text("net-root", n.state_root);
  text("net-mempool", n.mempool_size);
  text("net-validators", n.validators.length);
  text("net-jobs", n.jobs);
  text("net-disputes", n.disputes);
  if (n.burn) {
    const b = n.burn;
    text("burn-burned", `${fmt(b.burned, b.token.decimals)} ${b.token.symbol}`);
    text("burn-treasury", `${fmt(b.treasury_balance, b.token.decimals)} ${b.token.symbol}`);
    text("burn-fees", b.fees_waiting.length ? b.fees_waiting.map((a) => fmtAmt(a)).join(", ") : "none");
  }
}

function showBlocksPerSecond() {
  const b = state.blocks;
  if (b.length >= 2) {
    const span = (b[b.length - 1][0] - b[0][0]) / 1000;
    text("net-bps", span > 0 ? ((b.length - 1) / span).toFixed(2) : "–");
  }
  lineChart($("chart-txs"), [b.map(([t, n]) => [t, n])], { bars: true, yFmt: (v) => `${v.toFixed(0)} tx` });
}

function showProvider(p) {
  if (!p) return;
  const j = p.jobs;
  text("prov-jobs", `${j.won} (${j.settled} settled, ${j.slashed} slashed)`);
  text("prov-earned", p.earned.length ? p.earned.map((a) => fmtAmt(a)).join(", ") : "0");
  text("prov-paid", p.paid.length ? p.paid.map((a) => fmtAmt(a)).join(", ") : "0");
  text("prov-slashed", `${fmtAmt(p.slashed)}${p.disputes_lost ? ` (${p.disputes_lost} lost)` : ""}`);
  text("prov-rep", p.reputation);
  if (p.savings) {
    const s = p.savings;
    const e = text("prov-tbill", fmtAmt(s.balance, 6));
    e.dataset.raw = s.balance.amount;
    text("prov-value", `$${fmt(s.value_usd, 18, 4)}`);
    text("prov-policy", s.policy_target
      ? `auto-savings: ${s.policy_share_bps / 100}% of each payment into ${s.policy_target} (NAV $${fmt(s.nav, 18, 6)})`
      : "no auto-savings policy");
    push(state.provValue, p.time, wadNum(s.value_usd));
  }
  lineChart($("chart-prov"), [state.provValue], { yFmt: (v) => `$${v.toFixed(4)}` });
  const ul = $("prov-pending");
  ul.innerHTML = "";
  if (p.pending.length === 0) ul.innerHTML = `<li class="muted">none</li>`;
  for (const x of p.pending) {
    const li = document.createElement("li");
    li.dataset.testid = "pending";
    li.textContent = `job ${x.job}: ${fmtAmt(x.amount)} — ${x.reason}`;
    ul.appendChild(li);
  }
}

function showJobs(rows) {
  const tb = $("jobs-table").querySelector("tbody");
  tb.innerHTML = "";
  for (const j of rows.jobs) {
    const tr = document.createElement("tr");
    tr.dataset.testid = "job-row";
    tr.dataset.job = j.id;
    tr.dataset.status = j.status;
    tr.dataset.provider = j.provider || "";
    const verif = j.checked == null ? "–" : j.checked ? `checked: ${j.attested}/${j.verifiers} attested` : "not drawn";
    const disp = j.disputes.length === 0 ? "–" : j.disputes.map((d) =>
      `#${d.id} ${d.rounds} rounds${d.winner ? `, ${d.winner} won (${d.reason})` : `, ${d.phase}`}`).join("; ");
    const g = j.green;
    const energy = g && g.energy_mwh != null ? `${fmt(g.energy_mwh, 3, 1)} Wh / ${fmt(g.sci_mg, 3, 1)} gCO2e` : "–";
    const green = g && g.green_bps != null ? `${g.green_bps / 100}%` : g && g.required_green_bps ? `needs ${g.required_green_bps / 100}%` : "–";
    const cells = [j.id, j.status, short(j.provider), fmtAmt(j.status === "Open" ? j.max_price : j.price), verif, disp, energy, green];
    cells.forEach((c, i) => {
      const td = document.createElement("td");
      td.textContent = c;
      if (i === 1) td.className = `st-${j.status}`;
      if (i === 2 && j.provider) { td.title = j.provider; td.style.cursor = "pointer"; td.onclick = () => selectProvider(j.provider); }
      tr.appendChild(td);
    });
    tb.appendChild(tr);
  }
  // No provider chosen yet: follow the newest job that has one.
  if (!state.provider) {
    const first = rows.jobs.find((j) => j.provider);
    if (first) selectProvider(first.provider);
  }
}

function showRails(tbill, aid, vault, pools, time) {
  if (tbill) {
    text("tbill-nav", `$${fmt(tbill.nav_now, 18, 6)}`);
    text("tbill-yield", tbill.annual_yield ? `${(wadNum(tbill.annual_yield) * 100).toFixed(2)}%${tbill.stale ? " (stale)" : ""}` : "–");
    push(state.nav, time, wadNum(tbill.nav_now));
  }
  if (aid) {
    text("aid-supply", `${fmt(aid.supply, 18, 2)} AID`);
    text("aid-reserves", `$${fmt(aid.reserve_value, 18, 2)}`);
    const snap = aid.latest_snapshot;
    text("aid-por", snap ? `${snap.root.hash} (epoch ${snap.epoch}, ${snap.holders} holders, Σ ${fmt(snap.root.sum, 18, 2)} AID)` : "no snapshot yet");
  }
  if (vault) {
    text("vault-price", `${fmt(vault.share_price, 18, 6)} AID`);
    text("vault-assets", `${fmt(vault.total_assets, 18, 2)} AID`);
    push(state.said, time, wadNum(vault.share_price));
  }
  lineChart($("chart-nav"), [state.nav], { yFmt: (v) => v.toFixed(6) });
  lineChart($("chart-said"), [state.said], { colors: ["#3fb950"], yFmt: (v) => v.toFixed(6) });
  if (pools) {
    const tb = $("pools-table").querySelector("tbody");
    tb.innerHTML = "";
    for (const p of pools.pools) {
      const tr = document.createElement("tr");
      // price0_e18 is reserve1/reserve0 in base units; shift by the decimals to whole tokens.
      const d = decimalsOf(p.symbol0) - decimalsOf(p.symbol1);
      const px = p.price0_e18 ? (d >= 0 ? BigInt(p.price0_e18) * 10n ** BigInt(d) : BigInt(p.price0_e18) / 10n ** BigInt(-d)) : null;
      const price = px !== null ? `1 ${p.symbol0} = ${fmt(px.toString(), 18, 6)} ${p.symbol1}` : "–";
      for (const c of [`#${p.id} ${p.symbol0}/${p.symbol1}`, `${p.reserve0} / ${p.reserve1}`, price]) {
        const td = document.createElement("td"); td.textContent = c; tr.appendChild(td);
      }
      tr.cells[1].textContent = `${fmt(p.reserve0, decimalsOf(p.symbol0), 2)} / ${fmt(p.reserve1, decimalsOf(p.symbol1), 2)}`;
      tb.appendChild(tr);
    }
  }
}

const tokenDecimals = {};
const decimalsOf = (sym) => tokenDecimals[sym] ?? 18;

// ---------- polling and the event stream ----------

function selectProvider(addr) {
  if (addr === state.provider) return;
  state.provider = addr;
  state.provValue = [];
  $("provider-input").value = addr;
  const u = new URL(location.href); u.searchParams.set("provider", addr); history.replaceState(null, "", u);
  refresh();
}

async function refresh() {
  if (state.polling) { state.again = true; return; }
  state.polling = true;
  try {
    const [net, rows, tbill, aid, vault, pools] = await Promise.all([
      getJson("/v1/network"), getJson("/v1/dashboard/jobs?limit=15"), maybe(getJson("/v1/tbill")),
      maybe(getJson("/v1/aid")), maybe(getJson("/v1/vault")), maybe(getJson("/v1/pools")),
    ]);
    showNetwork(net);
    showJobs(rows);
    showRails(tbill, aid, vault, pools, net.timestamp);
    if (state.provider) showProvider(await maybe(getJson(`/v1/providers/${state.provider}`)));
    if (state.blocks.length === 0) state.blocks.push([net.timestamp, 0]);
  } catch (e) {
    text("live", `error: ${e.message}`).className = "pill";
  } finally {
    state.polling = false;
    if (state.again) { state.again = false; setTimeout(refresh, 200); }
  }
}

function logEvent(msg) {
  const ol = $("event-log");
  const li = document.createElement("li");
  li.textContent = msg;
  ol.prepend(li);
  while (ol.children.length > 40) ol.lastChild.remove();
}

function describe(ev) {
  const [name, body] = Object.entries(ev.event)[0] || ["?", {}];
  const bits = Object.entries(body || {}).slice(0, 4).map(([k, v]) => `${k}=${typeof v === "string" && v.length > 14 ? short(v) : JSON.stringify(v)}`);
  return `#${ev.height} ${name} ${bits.join(" ")}`;
}

function connect() {
  const es = new EventSource("/v1/events");
  es.onopen = () => { const e = text("live", "live"); e.className = "pill on"; };
  es.onerror = () => { const e = text("live", "reconnecting…"); e.className = "pill"; };
  es.addEventListener("block", (m) => {
    const b = JSON.parse(m.data);
    text("net-height", b.height);
    text("net-root", b.state_root);
    state.blocks.push([b.timestamp, b.tx_count]);
    if (state.blocks.length > 60) state.blocks.shift();
    showBlocksPerSecond();
    if (b.tx_count > 0) refresh();
  });
  es.addEventListener("event", (m) => logEvent(describe(JSON.parse(m.data))));
}

async function start() {
  $("provider-form").addEventListener("submit", (e) => { e.preventDefault(); selectProvider($("provider-input").value.trim()); });
  $("provider-input").value = state.provider;
  const toks = await maybe(getJson("/v1/tokens"));
  for (const t of toks ? toks.tokens : []) tokenDecimals[t.symbol] = t.decimals;
  connect();
  await refresh();
  setInterval(refresh, POLL_MS);
}

start();
