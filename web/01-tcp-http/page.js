/*
 * Lab 1 page: one message board, three ways to hear about its messages.
 *
 * Three independent clients watch the same board (the HTTP API is in
 * stages/01-tcp-http/board.h):
 *   short polling   GET /messages?since=ID every interval
 *   long polling    GET /messages?since=ID&wait=25, again as soon as it returns
 *   SSE             EventSource("/events?since=ID"), one endless response
 * Each keeps `since`, the newest id it has, and counts what it costs
 * (requests, bytes) and what it gives (delivery latency = now − the time the
 * server stamped on the message; fine on one machine, where both clocks are
 * the same clock).
 *
 * All three start after the newest message the board holds when the page
 * loads, found with findNewestId() below.
 *
 * ?selftest=1 posts a few tagged messages and checks that every panel got
 * each of them exactly once and in order (see selfTest at the bottom).
 */
"use strict";

(function () {
    const { $, el } = wslab;

    const MAX_BATCH = 100; /* BOARD_MAX_BATCH: most messages in one answer */
    const LONG_WAIT_S = 25; /* how long we ask the server to hold a long poll */
    const RETRY_MS = 1000; /* pause after a failed request */
    const KEEP_ROWS = 200; /* message rows kept on screen per panel */
    const KEEP_LATENCIES = 1000; /* samples kept for the median */

    const log = wslab.createLog($("#log"));
    let highestSeen = 0; /* the newest id this page has heard of */
    let startupError = null; /* why findNewestId() failed, if it did */

    /* ------------------------------------------------------------------ */
    /* Panel: the display and the numbers every client has. */

    class Panel {
        constructor(root) {
            this.root = root;
            this.name = root.querySelector("h2").firstChild.textContent.trim();
            this.since = 0;
            this.arrivals = []; /* every message as it arrived, duplicates included */
            this.requests = 0;
            this.bytes = 0;
            this.latencies = [];
            this.lastLatency = null;
            this.list = root.querySelector(".list");
            this.wire = root.querySelector(".wire");
            this.pill = root.querySelector('[data-role="state"]');
            this.tiles = {};
            const stats = root.querySelector(".stats");
            for (const [key, label, title] of [
                ["requests", "requests", "HTTP requests sent (SSE: connections opened)"],
                ["bytes", "bytes", "bytes received: response heads + bodies (SSE: the events' bytes)"],
                ["messages", "msgs", "messages received"],
                ["last", "latency", "delivery latency of the last message: now − message.time"],
                ["median", "median", "median delivery latency"],
            ]) {
                this.tiles[key] = el("span", { class: "v" }, "0");
                stats.append(el("div", { class: "stat", title }, el("span", { class: "k" }, label), this.tiles[key]));
            }
            this.render();
        }

        setState(text, kind) {
            this.pill.textContent = text;
            this.pill.className = "pill " + (kind || "");
        }

        /* The wire view: the request we sent, then what came back. */
        showWire(request, response, isError) {
            this.wire.replaceChildren(
                el("span", { class: "req" }, request),
                "\n\n",
                el("span", { class: "status" + (isError ? " err" : "") }, response.split("\n")[0]),
                response.includes("\n") ? response.slice(response.indexOf("\n")) : ""
            );
        }

        receive(messages) {
            const now = Date.now();
            for (const m of messages) {
                const latency = Math.max(0, now - m.time);
                this.arrivals.push({ id: m.id, text: m.text, latency });
                this.latencies.push(latency);
                if (this.latencies.length > KEEP_LATENCIES) this.latencies.shift();
                this.lastLatency = latency;
                this.since = Math.max(this.since, m.id);
                this.addRow(m, latency);
            }
            highestSeen = Math.max(highestSeen, this.since);
            this.render();
        }

        addRow(m, latency) {
            const text = wslab.showControls(m.text.length > 400 ? m.text.slice(0, 400) + "…" : m.text);
            this.list.append(
                el(
                    "li",
                    {},
                    el("span", { class: "id" }, "#" + m.id),
                    el("span", { class: "text" }, text),
                    el("span", { class: "lat" }, wslab.formatMs(latency))
                )
            );
            while (this.list.childElementCount > KEEP_ROWS) this.list.firstElementChild.remove();
            this.list.scrollTop = this.list.scrollHeight;
        }

        render() {
            this.tiles.requests.textContent = String(this.requests);
            this.tiles.bytes.textContent = wslab.formatBytes(this.bytes);
            this.tiles.messages.textContent = String(this.arrivals.length);
            this.tiles.last.textContent = wslab.formatMs(this.lastLatency);
            this.tiles.median.textContent = wslab.formatMs(wslab.median(this.latencies));
        }
    }

    /* ------------------------------------------------------------------ */
    /* HTTP with fetch(), shown on a panel's wire view. */

    /* Bytes of a response on the wire: its head rebuilt from what fetch
     * shows (status line, "name: value" lines, blank line — exact when the
     * browser hides no header, as with the board), plus the body's size as
     * Resource Timing measured it (encodedBodySize), else as we decoded it.
     * (Resource Timing's transferSize looks like the answer, but Chromium
     * reports the body + a flat 300 bytes for the head, whatever it was.) */
    function responseSize(response, body, timing) {
        let size = wslab.utf8Length(`HTTP/1.1 ${response.status} ${response.statusText}\r\n\r\n`);
        for (const [name, value] of response.headers) size += wslab.utf8Length(`${name}: ${value}\r\n`);
        return size + (timing && timing.encodedBodySize ? timing.encodedBodySize : wslab.utf8Length(body));
    }

    /* GET path on behalf of a panel: counts the request and its bytes, shows
     * it on the wire view, and returns the "messages" array of the answer. */
    async function getMessages(panel, path, signal) {
        const url = new URL(path, location.href).href;
        const request = `GET ${path} HTTP/1.1\nHost: ${location.host}`;
        const started = performance.now();
        panel.requests++;
        panel.render();
        panel.showWire(request, "… waiting for the answer");
        const response = await fetch(url, { cache: "no-store", signal });
        const body = await response.text();
        await wslab.sleep(0); /* the timing entry is added right after the body */
        const timing = wslab.timingEntry(url, started);
        panel.bytes += responseSize(response, body, timing);
        const head = wslab.responseHead(response, timing && timing.nextHopProtocol);
        panel.showWire(request, head + "\n\n" + wslab.escapeBytes(body, { max: 700, lineBreaks: false }), !response.ok);
        if (!response.ok) throw new Error(`${path} → ${response.status} ${body.trim()}`);
        const parsed = JSON.parse(body);
        if (!Array.isArray(parsed.messages)) throw new Error(`${path}: no "messages" array in the answer`);
        return parsed.messages;
    }

    /* POST /messages with text as the body; returns the new message's id. */
    async function postMessage(text, quiet) {
        if (!quiet) log.sent(`POST /messages  ${wslab.utf8Length(text)} bytes`);
        const seenBefore = highestSeen; /* the new id must be above every id that existed */
        const response = await fetch("/messages", { method: "POST", body: text, cache: "no-store" });
        const body = await response.text();
        if (!quiet || response.status !== 201) log.recv(`${response.status} ${response.statusText}  ${body.trim()}`);
        if (response.status !== 201) throw new Error(`POST /messages → ${response.status} ${body.trim()}`);
        const id = JSON.parse(body).id;
        if (!Number.isInteger(id)) throw new Error(`POST /messages: no id in ${body}`);
        if (id <= seenBefore) boardRestarted(id, seenBefore);
        return id;
    }

    /* ------------------------------------------------------------------ */
    /* The three clients. Each has start(since) and stop(); a restart bumps
     * `run`, so the loop of an older run notices and ends. */

    class ShortPoller {
        constructor(panel, intervalInput) {
            this.panel = panel;
            this.run = 0;
            this.input = intervalInput;
            this.interval = Number(intervalInput.value) || 1000;
            intervalInput.addEventListener("change", () => this.setInterval(Number(intervalInput.value)));
        }

        setInterval(ms) {
            this.interval = Math.min(60000, Math.max(50, ms || 1000));
            this.input.value = String(this.interval);
            this.panel.setState(`every ${this.interval} ms`, "ok");
            log.info(`short polling: every ${this.interval} ms`);
        }

        start(since) {
            this.stop();
            this.panel.since = since;
            this.controller = new AbortController();
            this.panel.setState(`every ${this.interval} ms`, "ok");
            this.loop(++this.run, this.controller.signal);
        }

        stop() {
            this.run++;
            if (this.controller) this.controller.abort();
        }

        async loop(run, signal) {
            while (run === this.run) {
                let more = false;
                try {
                    const messages = await getMessages(this.panel, `/messages?since=${this.panel.since}`, signal);
                    if (run !== this.run) return;
                    this.panel.receive(messages);
                    this.panel.setState(`every ${this.interval} ms`, "ok");
                    more = messages.length >= MAX_BATCH; /* a full answer: there may be more, ask at once */
                } catch (err) {
                    if (run !== this.run) return;
                    this.panel.setState("error", "bad");
                    log.error("short poll: " + err.message);
                }
                if (!more) await wslab.sleep(this.interval);
            }
        }
    }

    class LongPoller {
        constructor(panel) {
            this.panel = panel;
            this.run = 0;
        }

        start(since) {
            this.stop();
            this.panel.since = since;
            this.controller = new AbortController();
            this.loop(++this.run, this.controller.signal);
        }

        stop() {
            this.run++;
            if (this.controller) this.controller.abort();
        }

        async loop(run, signal) {
            while (run === this.run) {
                try {
                    this.panel.setState("held at the server", "warn");
                    const path = `/messages?since=${this.panel.since}&wait=${LONG_WAIT_S}`;
                    const messages = await getMessages(this.panel, path, signal);
                    if (run !== this.run) return;
                    this.panel.receive(messages);
                } catch (err) {
                    if (run !== this.run) return;
                    this.panel.setState("error", "bad");
                    log.error("long poll: " + err.message);
                    await wslab.sleep(RETRY_MS);
                }
            }
        }
    }

    class SseClient {
        constructor(panel) {
            this.panel = panel;
            this.source = null;
            this.retryTimer = null;
        }

        start(since) {
            this.stop();
            const panel = this.panel;
            const path = `/events?since=${since}`;
            const firstRequest = `GET ${path} HTTP/1.1\nHost: ${location.host}\nAccept: text/event-stream`;
            let request = firstRequest;
            let lastEvent = "";
            let lastEventId = ""; /* a reconnect sends it as Last-Event-ID */
            const showStream = () =>
                panel.showWire(
                    request,
                    "HTTP/1.1 200 OK\ncontent-type: text/event-stream" +
                        (lastEvent ? "\n\n" + lastEvent : "")
                );
            panel.since = since;
            panel.setState("connecting", "warn");
            panel.showWire(request, "… connecting");
            panel.wire.title = "EventSource shows only the events: the response head (and the retry: line) " +
                "are rebuilt here from the protocol's rules, not read from the stream.";

            const source = new EventSource(path);
            this.source = source;
            source.onopen = () => {
                request = lastEventId ? `${firstRequest}\nLast-Event-ID: ${lastEventId}` : firstRequest;
                panel.requests++;
                panel.render();
                panel.setState("open", "ok");
                showStream();
            };
            source.onmessage = (event) => {
                /* The event as it travelled: EventSource gives back its fields. */
                const raw = `id: ${event.lastEventId}\ndata: ${event.data}\n\n`;
                panel.bytes += wslab.utf8Length(raw);
                lastEvent = wslab.escapeBytes(raw, { max: 700 });
                lastEventId = event.lastEventId;
                let message;
                try {
                    message = JSON.parse(event.data);
                } catch (err) {
                    log.error(`SSE: data is not JSON: ${event.data.slice(0, 100)}`);
                    return;
                }
                panel.receive([message]);
                showStream();
            };
            source.onerror = () => {
                if (source !== this.source) return;
                if (source.readyState === EventSource.CLOSED) {
                    /* Not a 200 text/event-stream: EventSource gives up for good. */
                    panel.setState("refused", "bad");
                    log.error(`SSE: ${path} was refused (not 200 + text/event-stream); trying again in 3 s`);
                    this.retryTimer = setTimeout(() => this.start(panel.since), 3000);
                } else {
                    panel.setState("reconnecting", "warn");
                    log.info("SSE: the stream ended; the browser reconnects by itself");
                }
            };
        }

        stop() {
            clearTimeout(this.retryTimer);
            if (this.source) this.source.close();
            this.source = null;
        }
    }

    const panels = {
        short: new Panel($("#panel-short")),
        long: new Panel($("#panel-long")),
        sse: new Panel($("#panel-sse")),
    };
    const clients = {
        short: new ShortPoller(panels.short, $("#interval")),
        long: new LongPoller(panels.long),
        sse: new SseClient(panels.sse),
    };

    function startClients(since) {
        for (const client of Object.values(clients)) client.start(since);
    }

    /* Our own POST got an id we have already seen: the board restarted and
     * counts from 1 again, so every client would wait for ids that already
     * went by. Start them over from the beginning. */
    function boardRestarted(id, seen) {
        log.info(`the board gave our message id ${id} but we had seen #${seen}: it restarted; starting over`);
        highestSeen = 0;
        startClients(0);
    }

    /* ------------------------------------------------------------------ */
    /* Where to start: the newest message on the board.
     *
     * An answer holds at most 100 messages, oldest first, so on a busy board
     * since=0 shows only the oldest ones. But every answer tells us something:
     * empty means "nothing after X", fewer than 100 means "this is the rest,
     * its last id is the newest", and a full one means "the newest is at
     * least its last id". So jump ahead (doubling the jump) until an answer
     * comes back empty, then halve the gap. A board holding a million
     * messages takes about 30 requests instead of 10,000. */
    async function findNewestId() {
        let low = 0; /* the newest id is at least this */
        let high = Infinity; /* … and at most this */
        let step = MAX_BATCH;
        for (let round = 0; round < 200 && low < high; round++) {
            const probe = round === 0 ? 0 : high === Infinity ? low + step : Math.floor((low + high) / 2);
            const response = await fetch(`/messages?since=${probe}`, { cache: "no-store" });
            if (!response.ok) throw new Error(`GET /messages?since=${probe} → ${response.status}`);
            const batch = (await response.json()).messages;
            if (batch.length === 0) high = probe;
            else if (batch.length < MAX_BATCH) return batch[batch.length - 1].id;
            else {
                low = batch[batch.length - 1].id;
                step *= 2;
            }
        }
        return low;
    }

    /* ------------------------------------------------------------------ */
    /* The controls. */

    $("#send-form").addEventListener("submit", async (event) => {
        event.preventDefault();
        try {
            await postMessage($("#text").value);
            $("#text").value = "";
        } catch (err) {
            log.error(err.message);
        }
    });

    $("#burst-form").addEventListener("submit", async (event) => {
        event.preventDefault();
        const count = Math.min(1000, Math.max(1, Number($("#burst-n").value) || 1));
        const status = $("#burst-status");
        const started = performance.now();
        log.sent(`POST /messages × ${count} (one after the other)`);
        let first = null, last = null;
        try {
            for (let i = 1; i <= count; i++) {
                last = await postMessage(`burst ${i}/${count} at ${wslab.formatClock()}`, true);
                if (first === null) first = last;
                status.textContent = `${i}/${count}`;
            }
            const took = performance.now() - started;
            status.textContent = `sent #${first}…#${last} in ${wslab.formatMs(took)}`;
            status.title = status.textContent;
            log.recv(`201 × ${count}: #${first}…#${last} in ${wslab.formatMs(took)}`);
        } catch (err) {
            log.error(err.message);
        }
    });

    function showCurl(newest) {
        const base = `http://${location.host}`;
        $("#curl").textContent = [
            `curl -i -d 'hello from curl' ${base}/messages`,
            `curl -i '${base}/messages?since=${newest}'`,
            `curl -i '${base}/messages?since=${newest}&wait=25'`,
            `curl -N -i ${base}/events`,
        ].join("\n");
    }

    async function main() {
        $("#origin").textContent = `served by ${location.host}`;
        showCurl(0);
        let newest = 0;
        try {
            newest = await findNewestId();
        } catch (err) {
            startupError = err.message;
            log.error("finding the newest message: " + err.message + " (is the board running?)");
        }
        highestSeen = newest;
        $("#board-status").textContent = startupError
            ? "The board did not answer: " + startupError
            : newest
              ? `The newest message at load was #${newest}; the panels show what came after.`
              : "The board was empty at load; the panels show everything posted since.";
        log.info(`newest message on the board: #${newest}; the three clients start after it`);
        showCurl(newest);
        startClients(newest);
        if (wslab.selftest.enabled) wslab.selftest.run(selfTest, { timeoutMs: 25000 });
    }

    /* ------------------------------------------------------------------ */
    /* ?selftest=1: every panel must receive every posted message exactly
     * once, in order, with its text intact (one message carries characters
     * JSON must escape). */

    async function selfTest() {
        if (startupError) throw new Error("the board did not answer: " + startupError);
        clients.short.setInterval(200);
        /* Give the stream a moment to open; if it never does, the check
         * below names what the SSE panel missed. */
        await wslab.waitFor(() => panels.sse.pill.textContent === "open", "", 3000).catch(() => {});

        const tag = "selftest-" + Math.random().toString(36).slice(2, 8);
        const texts = [1, 2, 3, 4, 5].map((i) => `${tag} message ${i}`);
        texts[2] += ' with "quotes", back\\slash, tab\t, newline\n, é and ✓';
        const posted = [];
        for (const text of texts) posted.push({ id: await postMessage(text), text });

        const list = (ids) => ids.map((id) => "#" + id).join(", ") || "none";
        const ours = (panel) => panel.arrivals.filter((a) => a.text.startsWith(tag));

        /* What is wrong with a panel's copy of the posted messages, or "". */
        function problems(panel, final) {
            const got = ours(panel);
            const ids = got.map((a) => a.id);
            const missing = posted.filter((p) => !ids.includes(p.id)).map((p) => p.id);
            if (missing.length) return `missing ${list(missing)} (got ${list(ids)})`;
            if (!final) return "";
            const dups = ids.filter((id, i) => ids.indexOf(id) !== i);
            if (dups.length) return `duplicated ${list([...new Set(dups)])}`;
            for (let i = 0; i < posted.length; i++) {
                if (got[i].id !== posted[i].id)
                    return `out of order: got ${list(ids)}, posted ${list(posted.map((p) => p.id))}`;
                if (got[i].text !== posted[i].text) {
                    const [was, now] = [posted[i].text, got[i].text].map((t) => JSON.stringify(t));
                    return `text of #${got[i].id} changed: sent ${was}, got ${now}`;
                }
            }
            return "";
        }
        const report = (final) =>
            Object.values(panels)
                .map((p) => [p, problems(p, final)])
                .filter(([, problem]) => problem)
                .map(([panel, problem]) => `${panel.name} (${panel.pill.textContent}): ${problem}`)
                .join("; ");

        const deadline = performance.now() + 15000;
        while (report(false) && performance.now() < deadline) await wslab.sleep(50);
        if (report(false)) throw new Error(report(false) + " (after 15 s)");
        await wslab.sleep(800); /* a few more short polls: a duplicate would show now */
        if (report(true)) throw new Error(report(true));

        const medians = Object.values(panels)
            .map((p) => `${p.name} ${wslab.formatMs(wslab.median(ours(p).map((a) => a.latency)))}`)
            .join(", ");
        const range = `#${posted[0].id}…#${posted[posted.length - 1].id}`;
        return `${posted.length} messages (${range}) reached all 3 panels once each, in order, text intact; median latency: ${medians}`;
    }

    main();
})();
