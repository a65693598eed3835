#!/usr/bin/env node
/*
 * run.mjs — drive every lab page in real headless Chromium (`make test-browser`).
 *
 * For each page in PAGES: start the lab's server on an ephemeral port, wait
 * for its `listening on HOST:PORT` line, open http://HOST:PORT/PATH?selftest=1,
 * wait for the page's verdict in <div id="selftest" data-status="pass|fail">,
 * save a full-page screenshot to build/browser/NAME.png (next to the tree of
 * programs: BUILD/ref → BUILD/browser), stop the server.
 * A page may bring a test of its own instead (Lab 4: two browser contexts
 * chatting, see chatInTwoContexts).
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
 * page, the page's path (and a name when the lab dir alone is ambiguous).
 * Optional: args, more options for the server; drive, a test of its own
 * instead of the page's ?selftest=1 (see chatInTwoContexts), and shots, the
 * screenshots it takes (NAME-SHOT.png; by default one, NAME.png). */
const PAGES = [
    { name: "home", lab: "01-tcp-http", program: "board", path: "/" },
    { lab: "01-tcp-http", program: "board", path: "/01-tcp-http/" },
    { lab: "02-handshake", program: "handshake", path: "/02-handshake/" },
    { lab: "03-framing", program: "echo", path: "/03-framing/" },
    { lab: "04-broadcast", program: "chat", path: "/04-broadcast/" },
    { name: "04-broadcast-two", lab: "04-broadcast", program: "chat", path: "/04-broadcast/",
      args: ["--high-water", String(256 * 1024)], drive: chatInTwoContexts, shots: ["alice", "bob"] },
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

/* Starts DIR/LAB/PROGRAM --port 0 --root <repo>/web [page.args] and resolves
 * to {child, host, port} once it prints `listening on HOST:PORT`. */
function startServer(binDir, page) {
    const program = path.join(binDir, page.lab, page.program);
    return new Promise((resolve, reject) => {
        if (!existsSync(program)) {
            reject(new Error(`${shortPath(program)} not found (run make)`));
            return;
        }
        const args = ["--port", "0", "--root", path.join(repoRoot, "web"), ...(page.args || [])];
        const child = spawn(program, args, {
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

/* A tab in a browser context of its own (its own cookies, storage and
 * renderer), collecting console errors and uncaught exceptions into
 * problems (prefixed with who, if given). */
async function openTab(browser, problems, who = "") {
    const context = await browser.newContext({ viewport: VIEWPORT });
    const tab = await context.newPage();
    const prefix = who ? who + ": " : "";
    tab.on("console", (msg) => {
        /* (the page's own "selftest: FAIL" line repeats the verdict: skip it) */
        if (msg.type() === "error" && !msg.text().startsWith("selftest:")) problems.push(prefix + "console: " + msg.text());
    });
    tab.on("pageerror", (err) => problems.push(prefix + "uncaught: " + err.message));
    return { context, tab };
}

/* Opens the page in a fresh browser context and returns {ok, detail}. */
async function runPage(browser, page, server, shotPath) {
    const problems = []; /* console errors and uncaught exceptions */
    const { context, tab } = await openTab(browser, problems);
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

/* ---- Lab 4: two people in one room --------------------------------------- */

/*
 * alice and bob each open the page in a browser context of their own (as
 * two browsers would: separate storage, separate renderer processes), join
 * the same room through the URL and chat through the page's controls. Then
 * back-pressure: bob stops reading (the page's busy-wait) while alice
 * floods; the server must drop bob with close 1013 "too slow" while alice
 * stays open and gets her whole flood back.
 *
 * The timing, measured on a 2-core machine: about 4 MiB of the flood
 * disappear into the kernel's buffers (and Chromium's) before the server
 * queues anything for bob, and the drop comes 0.5–1 s after the flood
 * starts. The close frame waits behind bob's queue, and the server gives a
 * dropped client linger_ms (2 s, conn.h) to take it: so bob must read again
 * well within 2 s of the drop, or he sees 1006 (no close frame). A 2 s
 * freeze with the flood 0.3 s into it sits in the middle of that window. If
 * an attempt misses anyway (no drop: a busy machine, the flood came too late;
 * 1006: too early), bob rejoins if he has to and the next attempt moves the
 * flood (and the freeze) accordingly.
 * The high-water mark (PAGES) is small so the flood need not be huge, but
 * well over twice a 64 KiB read, so that alice, whose reading the server
 * pauses at half the mark, is never at risk herself.
 */
const TWO = {
    freezeS: 2, /* bob's busy-wait */
    floodAtMs: 300, /* the flood, after the freeze starts */
    floodCount: 160, /* messages of floodSize bytes: 10 MiB, well past the kernel's buffers */
    floodSize: 65536,
    attempts: 3,
    stepMs: 5000, /* the longest wait for anything else */
};

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/* What a tab shows: its state pill, its member list (ours starred), its
 * chat lines ("alice: hello" or "* bob joined"), its counters, the account
 * of its last freeze. */
function readTab(tab) {
    return tab.evaluate(() => {
        const pill = document.querySelector("#state-pill");
        const number = (id) => Number(document.querySelector(id).dataset.value);
        return {
            state: pill.dataset.state,
            code: pill.dataset.code ? Number(pill.dataset.code) : null,
            reason: pill.dataset.reason || "",
            members: Array.from(document.querySelectorAll("#members li[data-name]"),
                (li) => li.dataset.name + (li.classList.contains("me") ? "*" : "")),
            lines: Array.from(document.querySelectorAll("#chat li"), (li) => {
                const who = li.querySelector(".who");
                const body = li.querySelector(".body").textContent;
                return who ? `${who.textContent}: ${body.slice(who.textContent.length)}` : "* " + body;
            }),
            sent: number("#sent-count"),
            recv: number("#recv-count"),
            pressure: document.querySelector("#pressure-line").textContent,
        };
    });
}

/* Polls readTab until check(view) is true and returns the view; throws
 * "WHO: timed out waiting for WHAT (seen: ...)" after timeoutMs. */
async function waitView(who, tab, what, check, timeoutMs = TWO.stepMs) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const view = await readTab(tab);
        if (check(view)) return view;
        if (Date.now() > deadline) {
            const seen = { state: view.state, code: view.code, members: view.members, last: view.lines.slice(-3) };
            throw new Error(`${who}: timed out waiting for ${what} (seen: ${JSON.stringify(seen)})`);
        }
        await sleep(50);
    }
}

async function say(tab, text) {
    await tab.fill("#text", text);
    await tab.press("#text", "Enter");
}

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

/* One freeze-and-flood. Returns bob's view once his page has told how the
 * freeze ended (dropped or caught up), and when the flood went out. The
 * freeze starts from inside the page: Playwright's click would wait on a
 * renderer about to be busy. */
async function freezeAndFlood(alice, bob, freezeS, floodAtMs) {
    await bob.fill("#freeze-seconds", String(freezeS));
    const frozeAt = Date.now();
    await bob.evaluate(() => document.querySelector("#freeze").click());
    await sleep(floodAtMs - (Date.now() - frozeAt));
    await alice.evaluate(() => document.querySelector("#flood").click());
    const floodedAt = Date.now() - frozeAt;
    const view = await waitView("bob", bob, "the end of the freeze",
        (v) => (/closed \d+/.test(v.pressure) && v.state === "closed") || /kept them all/.test(v.pressure),
        freezeS * 1000 + TWO.stepMs);
    return { view, floodedAt };
}

async function chatInTwoContexts(browser, page, server, shots) {
    const problems = [];
    const room = `pair-${process.pid}-${Date.now() % 100000}`;
    const people = {};
    const url = (name) => `http://${server.host}:${server.port}${page.path}?room=${room}&name=${name}&autoconnect=1`;
    const said = (view) => view.lines.filter((l) => !l.startsWith("* "));
    try {
        for (const name of ["alice", "bob"]) {
            people[name] = await openTab(browser, problems, name);
            const response = await people[name].tab.goto(url(name), { timeout: VERDICT_TIMEOUT_MS });
            if (!response || response.status() !== 200)
                throw new Error(`${name}: GET ${page.path} → ${response ? response.status() : "no response"}`);
            await waitView(name, people[name].tab, "the connection to open", (v) => v.state === "open");
        }
        const alice = people.alice.tab, bob = people.bob.tab;

        /* Each sees the other: bob's "members alice bob", alice's "join bob". */
        await waitView("bob", bob, "members [alice, bob*]", (v) => same(v.members, ["alice", "bob*"]));
        await waitView("alice", alice, 'members [alice*, bob] and "bob joined"',
            (v) => same(v.members, ["alice*", "bob"]) && v.lines.includes("* bob joined"));

        /* Both ways, through the form; one order on both sides. */
        await say(alice, "hello bob");
        await waitView("bob", bob, 'alice\'s "hello bob"', (v) => v.lines.includes("alice: hello bob"));
        await say(bob, "hi alice");
        const order = ["alice: hello bob", "bob: hi alice"];
        await waitView("alice", alice, "both messages, in order", (v) => same(said(v), order));
        await waitView("bob", bob, "both messages, in order", (v) => same(said(v), order));
        /* alice: members, join bob, two msgs; bob: members, two msgs. */
        await waitView("alice", alice, "counters sent 1, received 4", (v) => v.sent === 1 && v.recv === 4);
        await waitView("bob", bob, "counters sent 1, received 3", (v) => v.sent === 1 && v.recv === 3);

        /* Back-pressure. */
        await alice.fill("#flood-count", String(TWO.floodCount));
        await alice.fill("#flood-size", String(TWO.floodSize));
        const misses = [];
        let freezeS = TWO.freezeS;
        let floodAt = TWO.floodAtMs;
        let result = null;
        for (let attempt = 1; attempt <= TWO.attempts && !result; attempt++) {
            if (attempt > 1) {
                /* A fresh socket: one that has read a flood may have grown
                 * its kernel buffer (receive autotuning), and swallow more. */
                if ((await readTab(bob)).state !== "closed") {
                    await bob.click("#leave");
                    await waitView("bob", bob, "the close after Leave", (v) => v.state === "closed");
                }
                await bob.click("#connect"); /* Join again, same name and room */
                await waitView("alice", alice, "bob back in the room", (v) => same(v.members, ["alice*", "bob"]));
                await waitView("bob", bob, "members [alice, bob*]", (v) => v.state === "open" && same(v.members, ["alice", "bob*"]));
            }
            const { view, floodedAt } = await freezeAndFlood(alice, bob, freezeS, floodAt);
            const when = `${freezeS} s freeze, flood sent by +${floodedAt} ms`;
            if (view.state === "closed" && view.code === 1013 && view.reason === "too slow") {
                result = { view, floodedAt, freezeS };
            } else if (view.state === "closed") {
                misses.push(`${when}: bob closed ${view.code} ${JSON.stringify(view.reason)}`);
                floodAt += 700; /* dropped too long before he read again */
            } else {
                misses.push(`${when}: bob not dropped (${view.pressure.split(";")[0]})`);
                freezeS += 1; /* a slow machine: flood at once, freeze longer */
                floodAt = 0;
            }
            const floodDone = `alice: flood: ${TWO.floodCount} of ${TWO.floodCount} messages`;
            await waitView("alice", alice, "her whole flood back", (v) => v.lines.filter((l) => l.startsWith(floodDone)).length === attempt,
                TWO.stepMs * 2);
        }
        if (!result)
            throw new Error(`bob: not dropped with 1013 "too slow" in ${TWO.attempts} attempts: ${misses.join("; ")}`);

        /* alice carries on, alone in the room. */
        await waitView("alice", alice, '"bob left" and members [alice*]',
            (v) => v.state === "open" && v.lines.includes("* bob left") && same(v.members, ["alice*"]));
        await say(alice, "still here");
        const last = await waitView("alice", alice, '"still here" back', (v) => v.lines.includes("alice: still here"));
        if (last.state !== "open") throw new Error(`alice: state ${last.state} after bob's drop`);
        const piled = /Then (\d+) frames? \(([^)]*)\)/.exec(result.view.pressure);
        return {
            ok: true, problems,
            detail: `alice and bob in ${room}: members and join seen both ways; "hello bob" and "hi alice" in the same order on both sides; ` +
                `counters 1/4 and 1/3; bob frozen ${result.freezeS} s, alice flooded ${TWO.floodCount} × ${TWO.floodSize} B (sent by +${result.floodedAt} ms): ` +
                `bob closed 1013 "too slow"${piled ? `, then read ${piled[1]} frames (${piled[2]}) in one burst` : ""}` +
                (misses.length ? ` (attempt ${misses.length + 1}; before: ${misses.join("; ")})` : "") +
                `; alice stayed open, saw "bob left", got her whole flood and "still here" back`,
        };
    } catch (err) {
        return { ok: false, detail: err.message.split("\n")[0], problems };
    } finally {
        for (const [name, p] of Object.entries(people)) {
            await p.tab.screenshot({ path: shots[name], fullPage: true }).catch(() => {});
            await p.context.close();
        }
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
            const shots = {};
            for (const shot of page.shots || [""]) shots[shot] = path.join(shotDir, name + (shot ? "-" + shot : "") + ".png");
            for (const p of Object.values(shots)) rmSync(p, { force: true }); /* never show last run's picture */
            let result;
            let server = null;
            try {
                server = await startServer(binDir, page);
                result = page.drive ? await page.drive(browser, page, server, shots) : await runPage(browser, page, server, shots[""]);
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
            for (const p of Object.values(shots)) if (existsSync(p)) console.log(`# screenshot ${shortPath(p)}`);
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
