// Headless-Chromium test of the Verity dashboard (issue 8).
//
//   node dashboard.spec.mjs URL SCREENSHOT.png
//
// URL is a running devnet's API address (the dashboard is served at `/`). The test opens the
// page in Debian's chromium (CHROMIUM env var, default /usr/bin/chromium) through playwright-core
// and watches what a person would watch:
//   1. the network panel shows a height that rises;
//   2. a job appears in the jobs table before it is settled, and the same row later says Settled;
//   3. the provider of that job, chosen in the provider box, has a TBILL savings balance that
//      rises after the settlement (its auto-savings policy converts part of each payment);
// then saves a full-page screenshot. Exit code 0 only if all of that was seen; every failure
// names what was missing. Time budget: TIMEOUT_MS env (default 240 s).
import { chromium } from "playwright-core";

const [url, shot] = process.argv.slice(2);
if (!url || !shot) {
  console.error("usage: node dashboard.spec.mjs URL SCREENSHOT.png");
  process.exit(2);
}
const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";
const deadline = Date.now() + Number(process.env.TIMEOUT_MS || 240000);
const log = (...a) => console.log("[dashboard.spec]", ...a);

const FINAL = new Set(["Settled", "Slashed", "Expired", "Cancelled"]);

async function until(what, fn, everyMs = 500) {
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

const browser = await chromium.launch({
  executablePath,
  headless: true,
  args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
});
let failed = null;
const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
const errors = [];
page.on("pageerror", (e) => errors.push(e.message));
try {
  const resp = await page.goto(url, { waitUntil: "load" });
  const ctype = resp.headers()["content-type"] || "";
  if (!ctype.startsWith("text/html")) throw new Error(`/ is served as ${ctype}, not text/html`);
  for (const [path, want] of [["dashboard/app.js", "text/javascript"], ["dashboard/style.css", "text/css"]]) {
    const r = await page.request.get(new URL(path, url).href);
    const t = r.headers()["content-type"] || "";
    if (!r.ok() || !t.startsWith(want)) throw new Error(`${path}: HTTP ${r.status()} ${t}, want ${want}`);
  }
  const title = await page.title();
  if (!title.includes("Verity")) throw new Error(`page title is ${JSON.stringify(title)}, not the dashboard`);

  const height = async () => Number(await page.textContent("#net-height")) || 0;
  const h0 = await until("a block height on the page", async () => (await height()) > 0 && height());
  log("height on page:", h0);

  const rows = () => page.$$eval("[data-testid=job-row]", (trs) =>
    trs.map((t) => ({ id: Number(t.dataset.job), status: t.dataset.status, provider: t.dataset.provider })));

  // Follow jobs that are on the page before they are settled; the first of them that settles,
  // with the provider's TBILL balance rising, passes. A job the cheater wins ends Slashed: then
  // the next one is followed.
  const seenLive = new Map(); // id -> first status seen
  let watched = null;         // { id, provider, tbill0 }
  let settled = null;
  await until("a job going from posted to Settled", async () => {
    for (const r of await rows()) {
      if (!FINAL.has(r.status) && !seenLive.has(r.id)) {
        seenLive.set(r.id, r.status);
        log(`job ${r.id} seen as ${r.status}`);
      }
    }
    const current = await rows();
    if (watched) {
      const r = current.find((x) => x.id === watched.id);
      if (r && r.status === "Settled") { settled = r; return true; }
      if (r && FINAL.has(r.status)) { log(`job ${r.id} ended ${r.status}; following another`); watched = null; }
    }
    if (!watched) {
      // The oldest live job that already has a provider: choose it in the provider box.
      const cand = current.filter((x) => seenLive.has(x.id) && !FINAL.has(x.status) && x.provider)
        .sort((a, b) => a.id - b.id)[0];
      if (cand) {
        await page.fill("#provider-input", cand.provider);
        await page.click("#provider-form button");
        const tbill0 = await until("the provider's TBILL balance", async () => {
          const raw = await page.getAttribute("#prov-tbill", "data-raw");
          const shown = await page.inputValue("#provider-input");
          return raw !== null && raw !== "" && shown === cand.provider && { raw };
        });
        // Read it again after one more refresh so it belongs to this provider for sure.
        await new Promise((r) => setTimeout(r, 2500));
        const again = await page.getAttribute("#prov-tbill", "data-raw");
        watched = { id: cand.id, provider: cand.provider, tbill0: BigInt(again || tbill0.raw) };
        log(`following job ${cand.id} (${cand.status}) of provider ${cand.provider}, TBILL before: ${watched.tbill0}`);
        const r = (await rows()).find((x) => x.id === watched.id);
        if (r && r.status !== "Settled" && FINAL.has(r.status)) watched = null;
        if (r && r.status === "Settled") { settled = r; return true; }
      }
    }
    return false;
  }, 700);
  log(`job ${settled.id} went ${seenLive.get(settled.id)} → Settled on the page`);

  const tbill1 = await until("the provider's TBILL balance to rise", async () => {
    const raw = await page.getAttribute("#prov-tbill", "data-raw");
    const v = raw ? BigInt(raw) : 0n;
    return v > watched.tbill0 && v;
  });
  log(`TBILL of ${watched.provider}: ${watched.tbill0} → ${tbill1}`);

  const h1 = await height();
  if (!(h1 > h0)) throw new Error(`height did not rise: ${h0} → ${h1}`);
  const nav = await page.textContent("#tbill-nav");
  if (!nav.startsWith("$")) throw new Error(`TBILL NAV not shown: ${nav}`);
  const svgs = await page.$$eval("svg.chart polyline, svg.chart rect, svg.chart circle", (e) => e.length);
  if (svgs === 0) throw new Error("no chart drew anything");
  if (errors.length) throw new Error(`script errors on the page: ${errors.join("; ")}`);
  log(`height ${h0} → ${h1}, NAV ${nav}, ${svgs} chart marks`);
} catch (e) {
  failed = e;
} finally {
  try {
    await page.screenshot({ path: shot, fullPage: true });
    log("screenshot:", shot);
  } catch (e) {
    log("screenshot failed:", e.message);
  }
  await browser.close();
}
if (failed) {
  console.error("[dashboard.spec] FAILED:", failed.message);
  process.exit(1);
}
log("PASS");
