#!/usr/bin/env node
/*
 * run.mjs — drive every lab page in real headless Chromium (`make test-browser`).
 *
 * For each page in PAGES: start the lab's server on an ephemeral port, wait
 * for its `listening on HOST:PORT` line, open http://HOST:PORT/PATH?selftest=1,
 * wait for the page's verdict in <div id="selftest" data-status="pass|fail">,
 * save a full-page screenshot to build/browser/NAME.png (next to the tree of
 * programs: BUILD/ref → BUILD/browser), stop the server.
 * Prints `ok - NAME` / `not ok - NAME: reason` per page and ends with
 * `N passed, N failed`; exits non-zero if any page failed.
 *
 * Usage: node tests/browser/run.mjs [--bin DIR] [NAME|LAB ...]
 *   --bin DIR (or env WSLAB_BIN)  where the programs are, as DIR/LAB/PROGRAM
 *                                 (default: build/ref in the repo root; a
 *                                 relative DIR is taken from the current folder)
 *   NAME|LAB ...                  run only the pages with that name or lab dir
 *
 * Needs /usr/bin/chromium (apt-get install chromium) and playwright-core
 * (cd tests/browser && npm ci). Without them it prints how to get them and
 * skips (exit 0) — unless CI=true, where a skip is a failure.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

/* The pages. A lab adds one line: its folder, the program that serves its
 * page, the page's path (and a name when the lab dir alone is ambiguous). */
const PAGES = [
    { name: "home", lab: "01-tcp-http", program: "board", path: "/" },
    { lab: "01-tcp-http", program: "board", path: "/01-tcp-http/" },
    { lab: "02-handshake", program: "handshake", path: "/02-handshake/" },
    { lab: "03-framing", program: "echo", path: "/03-framing/" },
];

const CHROMIUM = "/usr/bin/chromium";
const CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
];
const LISTEN_TIMEOUT_MS = 5000; /* server start → `listening on` line */
const VERDICT_TIMEOUT_MS = 30000; /* page load → #selftest[data-status] */
const STOP_TIMEOUT_MS = 3000; /* SIGTERM → exit, else SIGKILL */
const VIEWPORT = { width: 1280, height: 800 };

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, "..", "..");

function parseArgs(argv) {
    let bin = process.env.WSLAB_BIN || path.join(repoRoot, "build", "ref");
    const only = [];
    for (let i = 0; i < argv.length; i++) {
        if (argv[i] === "--bin") bin = argv[++i];
        else if (argv[i].startsWith("--bin=")) bin = argv[i].slice(6);
        else if (argv[i] === "-h" || argv[i] === "--help") {
            console.log("usage: node tests/browser/run.mjs [--bin DIR] [NAME|LAB ...]");
            process.exit(0);
        } else only.push(argv[i]);
    }
    if (!bin) {
        console.error("run.mjs: --bin needs a folder");
        process.exit(2);
    }
    return { binDir: path.resolve(bin), only };
}

/* The tools are optional on a student's machine, required in CI. */
function loadPlaywright() {
    const missing = [];
    if (!existsSync(CHROMIUM)) missing.push(`${CHROMIUM} is missing: apt-get install chromium`);
    let playwright = null;
    try {
        playwright = createRequire(path.join(here, "run.mjs"))("playwright-core");
    } catch (err) {
        missing.push("playwright-core is missing: cd tests/browser && npm ci");
    }
    if (missing.length === 0) return playwright;
    for (const line of missing) console.log("# " + line);
    if (process.env.CI === "true") {
        console.log("not ok - browser tests cannot run (CI=true)");
        console.log("0 passed, 1 failed");
        process.exit(1);
    }
    console.log("skipped - browser tests (install the above to run them)");
    process.exit(0);
}

/* A path as people want to read it: relative to the repo root if inside. */
function shortPath(p) {
    const rel = path.relative(repoRoot, p);
    return rel.startsWith("..") ? p : rel;
}

/* Starts DIR/LAB/PROGRAM --port 0 --root <repo>/web and resolves to
 * {child, host, port} once it prints `listening on HOST:PORT`. */
function startServer(binDir, page) {
    const program = path.join(binDir, page.lab, page.program);
    return new Promise((resolve, reject) => {
        if (!existsSync(program)) {
            reject(new Error(`${shortPath(program)} not found (run make)`));
            return;
        }
        const child = spawn(program, ["--port", "0", "--root", path.join(repoRoot, "web")], {
            cwd: repoRoot,
            stdio: ["ignore", "pipe", "pipe"],
        });
        let stdout = "";
        let stderr = "";
        const fail = (why) => {
            clearTimeout(timer);
            child.kill("SIGKILL");
            const said = (stderr || stdout).trim().split("\n").slice(-3).join(" | ");
            reject(new Error(why + (said ? ` (it said: ${said})` : "")));
        };
        const timer = setTimeout(() => fail(`no "listening on" line within ${LISTEN_TIMEOUT_MS} ms`), LISTEN_TIMEOUT_MS);
        child.stdout.setEncoding("utf8");
        child.stderr.setEncoding("utf8");
        child.stderr.on("data", (chunk) => (stderr += chunk));
        child.stdout.on("data", (chunk) => {
            stdout += chunk;
            const match = /^listening on (\S+):(\d+)\s*$/m.exec(stdout);
            if (match) {
                clearTimeout(timer);
                resolve({ child, host: match[1], port: Number(match[2]), stderr: () => stderr });
            }
        });
        child.on("error", (err) => fail(`cannot start ${program}: ${err.message}`));
        child.on("exit", (code, signal) => fail(`exited early (${signal || "status " + code})`));
    });
}

/* SIGTERM, then SIGKILL if it has not exited after STOP_TIMEOUT_MS. */
function stopServer(server) {
    const { child } = server;
    child.removeAllListeners("exit");
    if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
        const timer = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS);
        child.on("exit", () => {
            clearTimeout(timer);
            resolve();
        });
        child.kill("SIGTERM");
    });
}

/* Opens the page in a fresh browser context and returns {ok, detail}. */
async function runPage(browser, page, server, shotPath) {
    const context = await browser.newContext({ viewport: VIEWPORT });
    const tab = await context.newPage();
    const problems = []; /* console errors and uncaught exceptions */
    tab.on("console", (msg) => {
        /* (the page's own "selftest: FAIL" line repeats the verdict: skip it) */
        if (msg.type() === "error" && !msg.text().startsWith("selftest:")) problems.push("console: " + msg.text());
    });
    tab.on("pageerror", (err) => problems.push("uncaught: " + err.message));
    const url = `http://${server.host}:${server.port}${page.path}?selftest=1`;
    try {
        const response = await tab.goto(url, { timeout: VERDICT_TIMEOUT_MS });
        if (!response || response.status() !== 200)
            return { ok: false, detail: `GET ${page.path} → ${response ? response.status() : "no response"}` };
        const verdict = await tab
            .waitForSelector("#selftest[data-status]", { timeout: VERDICT_TIMEOUT_MS })
            .catch(() => null);
        await tab.screenshot({ path: shotPath, fullPage: true });
        if (!verdict) return { ok: false, detail: `no #selftest verdict within ${VERDICT_TIMEOUT_MS / 1000} s`, problems };
        const status = await verdict.getAttribute("data-status");
        const text = (await verdict.textContent()).trim();
        return { ok: status === "pass", detail: text, problems };
    } finally {
        await context.close();
    }
}

/* At most 6 distinct problems, repeats counted: "console: … (×8)". */
function summarize(problems) {
    const counts = new Map();
    for (const p of problems) counts.set(p, (counts.get(p) || 0) + 1);
    return [...counts].slice(0, 6).map(([p, n]) => (n > 1 ? `${p} (×${n})` : p));
}

function pageName(page) {
    return page.name || page.lab;
}

async function main() {
    const { binDir, only } = parseArgs(process.argv.slice(2));
    const pages = PAGES.filter((p) => only.length === 0 || only.includes(pageName(p)) || only.includes(p.lab));
    if (pages.length === 0) {
        console.error(`run.mjs: no page matches ${only.join(" ")}`);
        process.exit(2);
    }
    const { chromium } = loadPlaywright();
    const shotDir = path.join(path.dirname(binDir), "browser"); /* build/ref → build/browser */
    mkdirSync(shotDir, { recursive: true });

    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    let passed = 0;
    let failed = 0;
    try {
        for (const page of pages) {
            const name = pageName(page);
            const shotPath = path.join(shotDir, name + ".png");
            rmSync(shotPath, { force: true }); /* never show last run's picture */
            let result;
            let server = null;
            try {
                server = await startServer(binDir, page);
                result = await runPage(browser, page, server, shotPath);
            } catch (err) {
                result = { ok: false, detail: err.message.split("\n")[0] };
            } finally {
                if (server) await stopServer(server);
            }
            if (result.ok) {
                passed++;
                console.log(`ok - ${name}`);
                console.log(`# ${result.detail}`);
            } else {
                failed++;
                const extra = summarize(result.problems || []);
                console.log(`not ok - ${name}: ${result.detail}` + (extra.length ? " | " + extra.join(" | ") : ""));
            }
            if (existsSync(shotPath)) console.log(`# screenshot ${shortPath(shotPath)}`);
        }
    } finally {
        await browser.close();
    }
    console.log(`${passed} passed, ${failed} failed`);
    process.exit(failed ? 1 : 0);
}

main().catch((err) => {
    console.log(`not ok - browser tests: ${err.message.split("\n")[0]}`);
    console.log("0 passed, 1 failed");
    process.exit(1);
});
