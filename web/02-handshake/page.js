/*
 * Lab 2 page: the opening handshake, made visible.
 *
 * The browser's WebSocket API hides the handshake: a page chooses the URL and
 * the subprotocols, and learns only what was negotiated (ws.protocol,
 * ws.extensions) and the lifecycle events (open, message, error, close). So
 * this page works from two sides:
 *   - it opens a WebSocket to /ws and logs every event and the live
 *     readyState / bufferedAmount;
 *   - it reads GET /handshakes, where the `handshake` server keeps the raw
 *     request and response of its last handshakes (stages/02-handshake/hslog.h),
 *     shows them, and recomputes Sec-WebSocket-Accept from the logged key with
 *     SubtleCrypto, step by step, to tick it against the server's answer.
 *
 * ?selftest=1 connects offering "superchat, chat", expects "chat", the hello
 * message and a clean close 1000, checks the logged handshake, then connects
 * offering only "nonexistent" and expects the browser to fail the connection
 * (see selfTest at the bottom).
 */
"use strict";

(function () {
    const { $, el } = wslab;

    const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"; /* RFC 6455 §1.3 */
    const SAMPLE_KEY = "dGhlIHNhbXBsZSBub25jZQ=="; /* RFC 6455 §1.3's example … */
    const SAMPLE_ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="; /* … and its accept */
    const HELLO_TEXT = "hello, websocket"; /* the server's first message (upgrade.h) */
    const HELLO_FRAME = [0x81, 0x10, ...new TextEncoder().encode(HELLO_TEXT)];
    const BIG_SEND = 8 * 1024 * 1024; /* the "8 MiB" button: enough to see bufferedAmount */
    const REFRESH_MS = 2000; /* how often /handshakes is read while the page is visible */
    const READY_NAMES = ["CONNECTING", "OPEN", "CLOSING", "CLOSED"];
    /* Header names of the WebSocket handshake (RFC 6455 §11.3) and the HTTP
     * headers it relies on: highlighted in the wire views. */
    const HANDSHAKE_HEADERS = /^(host|origin|upgrade|connection|sec-websocket-[a-z]+)$/i;

    const log = wslab.createLog($("#log"), { max: 300 });
    const wsUrl = `ws://${location.host}/ws`;

    let ws = null; /* the current WebSocket, or null */
    let events = []; /* every event of the current WebSocket, for the self-test */
    let handshakes = []; /* the last answer of /handshakes, oldest first */
    let selectedId = null; /* the handshake shown, or null for "the newest" */
    let lastAcceptCheck = null; /* {id, ok} of the handshake whose accept was last checked */
    let drainingSince = null; /* performance.now() of a send that left bytes buffered */

    /* ------------------------------------------------------------------ */
    /* Sec-WebSocket-Accept, step by step. */

    function hex(bytes) {
        return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(" ");
    }

    function base64(bytes) {
        return btoa(String.fromCharCode(...bytes));
    }

    /* The four steps of RFC 6455 §4.2.2 (5.4): the key as sent, key + GUID,
     * SHA-1 of that text's bytes, and the base64 of the digest. */
    async function computeAccept(key) {
        if (!window.crypto || !crypto.subtle)
            throw new Error("SubtleCrypto is missing: it needs a secure context (http://localhost or https)");
        const joined = key + GUID;
        const digest = new Uint8Array(await crypto.subtle.digest("SHA-1", new TextEncoder().encode(joined)));
        return { key, joined, digest, accept: base64(digest) };
    }

    /* What a server following RFC 6455 §4.2.1 (5) would say about a key, or
     * "" if it is fine: the base64 (strict, canonical) of exactly 16 bytes,
     * i.e. 22 characters, the last of which carries 2 bits (A, Q, g or w),
     * then "==". */
    function keyProblem(key) {
        if (key.length !== 24) return `${key.length} characters, not 24: not the base64 of 16 bytes`;
        if (!/^[A-Za-z0-9+/]{22}==$/.test(key)) return 'not 22 base64 characters followed by "=="';
        if (!"AQgw".includes(key[21])) return "non-canonical: the pad bits of the last character are not zero";
        return "";
    }

    /* The 16 bytes a valid key stands for, as hex. */
    function keyBytes(key) {
        return hex(Uint8Array.from(atob(key), (c) => c.charCodeAt(0)));
    }

    /* Fills a <dl class="steps"> with the computation for key; with
     * `expected` (the accept to compare with, named by expectedBy) adds the
     * verdict line. Returns the computation, or null when nothing could be
     * computed. */
    async function showSteps(dl, key, expected, keyNote, expectedBy = "server sent") {
        let steps;
        try {
            steps = await computeAccept(key);
        } catch (err) {
            dl.replaceChildren(el("dt", {}, "cannot compute"), el("dd", {}, err.message));
            return null;
        }
        const problem = keyProblem(key);
        const keyInfo = problem
            ? el("span", { class: "note" }, ` — a server would refuse this key with 400: ${problem}`)
            : el("span", { class: "note" }, ` — base64 of 16 bytes: ${keyBytes(key)}`);
        const rows = [
            ["1. key", [key || "(empty)", keyInfo, keyNote ? el("span", { class: "note" }, " " + keyNote) : null]],
            ["2. key + GUID", [key, el("span", { class: "guid" }, GUID),
                el("span", { class: "note" }, ` — ${wslab.utf8Length(steps.joined)} bytes of text`)]],
            ["3. SHA-1", [hex(steps.digest), el("span", { class: "note" }, " — 20 bytes")]],
            ["4. base64", [el("span", { class: "result" }, steps.accept),
                el("span", { class: "note" }, " — 28 characters: Sec-WebSocket-Accept")]],
        ];
        if (expected !== undefined) {
            const ok = expected === steps.accept;
            rows.push([expectedBy, [
                expected || "(no Sec-WebSocket-Accept)",
                el("span", { class: "tick " + (ok ? "ok" : "bad") }, ok ? " ✓ match" : " ✗ differs"),
            ]]);
        }
        dl.replaceChildren(...rows.flatMap(([name, parts]) => [el("dt", {}, name), el("dd", {}, ...parts)]));
        return steps;
    }

    /* ------------------------------------------------------------------ */
    /* The handshakes the server logged. */

    /* Splits a raw HTTP head into its start line and [name, value] pairs. */
    function parseHead(raw) {
        const end = raw.indexOf("\r\n\r\n");
        const lines = (end >= 0 ? raw.slice(0, end) : raw).split("\r\n");
        const headers = lines.slice(1).map((line) => {
            const colon = line.indexOf(":");
            return colon < 0 ? [line, ""] : [line.slice(0, colon), line.slice(colon + 1).trim()];
        });
        return { start: lines[0], headers };
    }

    /* Every value of header `name` (case-insensitive). */
    function headerValues(head, name) {
        return head.headers.filter(([n]) => n.toLowerCase() === name.toLowerCase()).map(([, v]) => v);
    }

    /* A raw head in a wire view, line by line, each ending in a faint \r\n;
     * the start line in bold and the handshake's headers highlighted. The
     * bytes after the blank line (a refusal's body) follow as text. */
    function showRaw(pre, raw, isError) {
        pre.replaceChildren();
        const end = raw.indexOf("\r\n\r\n");
        const head = end >= 0 ? raw.slice(0, end) : raw;
        head.split("\r\n").forEach((line, i) => {
            const name = line.slice(0, Math.max(0, line.indexOf(":")));
            let node;
            if (i === 0) node = el("span", { class: isError ? "status err" : pre.id === "hs-request" ? "req" : "status" }, line);
            else if (HANDSHAKE_HEADERS.test(name)) node = el("span", { class: "hl" }, line);
            else node = document.createTextNode(line);
            pre.append(node, el("span", { class: "esc" }, "\\r\\n"), "\n");
        });
        if (end >= 0) {
            pre.append(el("span", { class: "esc" }, "\\r\\n"));
            const body = raw.slice(end + 4);
            if (body) pre.append("\n", wslab.escapeBytes(body, { max: 1000 }));
        } else {
            pre.append(el("span", { class: "esc" }, "(the head was cut here)"));
        }
    }

    async function fetchHandshakes() {
        const response = await wslab.fetchWithTimeout("/handshakes", { cache: "no-store" }, 3000);
        const body = await response.text();
        if (!response.ok) throw new Error(`GET /handshakes → ${response.status} ${body.trim().slice(0, 100)}`);
        const parsed = JSON.parse(body);
        if (!Array.isArray(parsed.handshakes)) throw new Error('GET /handshakes: no "handshakes" array');
        return parsed.handshakes;
    }

    let refreshing = null; /* the refresh under way, so two never overlap */
    let refreshError = "";

    async function refreshOnce() {
        try {
            const list = await fetchHandshakes();
            const changed = JSON.stringify(list) !== JSON.stringify(handshakes);
            handshakes = list;
            if (refreshError) log.info("GET /handshakes answers again");
            refreshError = "";
            if (changed) await renderHandshakes();
        } catch (err) {
            if (err.message !== refreshError) log.error(err.message);
            refreshError = err.message;
            $("#hs-pill").textContent = "no answer";
            $("#hs-pill").className = "pill bad";
        }
    }

    /* Reads /handshakes and redraws the table and the selected handshake.
     * A refresh already under way may have asked before the handshake we care
     * about was logged, so wait for it and then ask again. */
    async function refreshHandshakes() {
        while (refreshing) await refreshing;
        refreshing = refreshOnce().finally(() => (refreshing = null));
        return refreshing;
    }

    function shownHandshake() {
        if (handshakes.length === 0) return null;
        return handshakes.find((h) => h.id === selectedId) || handshakes[handshakes.length - 1];
    }

    /* Who sent a logged request, as far as its headers tell: a page of this
     * server (its Origin is ours), another page, or a program (no Origin). */
    function sender(request) {
        const [origin] = headerValues(request, "Origin");
        const [agent] = headerValues(request, "User-Agent");
        if (origin === location.origin) return "a browser, for a page of this server";
        if (origin) return `a browser, for a page of ${origin}`;
        return agent ? agent.split(" ")[0] : "a client that sent no Origin";
    }

    async function renderHandshakes() {
        const shown = shownHandshake();
        const rows = handshakes.slice().reverse().map((h) => {
            const row = el("tr", { class: shown && h.id === shown.id ? "selected" : "" },
                el("td", { class: "mono" }, String(h.id)),
                el("td", { class: "mono" }, wslab.formatClock(h.time)),
                el("td", { class: "mono" }, h.peer || ""),
                el("td", {}, el("span", { class: "pill " + (h.status === 101 ? "ok" : "bad") }, String(h.status))),
                el("td", { class: "mono" }, h.protocol || "–"),
                el("td", { class: "small" }, h.status !== 101 ? "refused, closed" :
                    h.open ? "open" : `closed · ${h.bytes_after} bytes after`));
            row.title = h.status === 101 && !h.open
                ? "the client sent bytes_after bytes after its handshake: its frames (a close frame alone is 6: 2 header + 4 mask key)"
                : "";
            row.addEventListener("click", () => {
                selectedId = h.id === handshakes[handshakes.length - 1].id ? null : h.id;
                renderHandshakes();
            });
            return row;
        });
        $("#handshakes tbody").replaceChildren(...rows);
        if (!shown) {
            $("#hs-pill").textContent = "none yet";
            $("#hs-pill").className = "pill";
            return;
        }
        $("#hs-pill").textContent = `#${shown.id} · ${shown.status}` + (shown.id === handshakes[handshakes.length - 1].id ? " · newest" : "");
        $("#hs-pill").className = "pill " + (shown.status === 101 ? "ok" : "bad");
        $("#hs-request-title").textContent = `Request (sent by ${sender(parseHead(shown.request))})`;
        showRaw($("#hs-request"), shown.request, false);
        showRaw($("#hs-response"), shown.response, shown.status !== 101);
        await checkAccept(shown);
    }

    /* Recomputes the accept of a logged handshake and ticks it. */
    async function checkAccept(h) {
        const keys = headerValues(parseHead(h.request), "Sec-WebSocket-Key");
        const accepts = headerValues(parseHead(h.response), "Sec-WebSocket-Accept");
        const pill = $("#accept-pill");
        const dl = $("#steps-server");
        if (keys.length !== 1) {
            dl.replaceChildren(el("dt", {}, `handshake #${h.id}`),
                el("dd", {}, keys.length ? "sent Sec-WebSocket-Key more than once" : "sent no Sec-WebSocket-Key"));
            pill.textContent = "no key";
            pill.className = "pill bad";
            lastAcceptCheck = { id: h.id, ok: false };
            return;
        }
        const note = `(from handshake #${h.id})`;
        const steps = await showSteps(dl, keys[0], h.status === 101 ? accepts[0] || "" : undefined, note);
        if (h.status !== 101) {
            pill.textContent = `refused with ${h.status}: no accept`;
            pill.className = "pill warn";
            lastAcceptCheck = { id: h.id, ok: false };
            return;
        }
        const ok = !!steps && steps.accept === accepts[0];
        pill.textContent = ok ? "✓ matches the server" : "✗ does not match";
        pill.className = "pill " + (ok ? "ok" : "bad");
        lastAcceptCheck = { id: h.id, ok };
    }

    /* ------------------------------------------------------------------ */
    /* The WebSocket and its lifecycle. */

    function readyStateText() {
        return ws ? `${ws.readyState} ${READY_NAMES[ws.readyState]}` : "–";
    }

    /* The numbers that change without an event (bufferedAmount drains as
     * the socket writes), redrawn on every animation frame. */
    function renderLive() {
        $("#ready-state").textContent = readyStateText();
        $("#buffered").textContent = ws ? wslab.formatBytes(ws.bufferedAmount) : "–";
        if (drainingSince !== null && ws && ws.bufferedAmount === 0) {
            log.info(`bufferedAmount back to 0 after ${wslab.formatMs(performance.now() - drainingSince)}`);
            drainingSince = null;
        }
        requestAnimationFrame(renderLive);
    }

    function setControls() {
        const state = ws ? ws.readyState : WebSocket.CLOSED;
        const open = state === WebSocket.OPEN;
        $("#connect").disabled = state === WebSocket.CONNECTING || open;
        $("#disconnect").disabled = !(state === WebSocket.CONNECTING || open);
        for (const button of document.querySelectorAll("#send-form button")) button.disabled = !open;
        const pill = $("#state-pill");
        pill.textContent = ws ? READY_NAMES[state].toLowerCase() : "not connected";
        pill.className = "pill " + (open ? "ok" : state === WebSocket.CLOSED ? "" : "warn");
        $("#protocol").textContent = ws && ws.protocol ? ws.protocol : ws && state !== WebSocket.CONNECTING ? '""' : "–";
        $("#extensions").textContent = ws && ws.extensions ? ws.extensions : ws && state !== WebSocket.CONNECTING ? '""' : "–";
    }

    /* Close codes a page meets here (RFC 6455 §7.4.1). */
    const CLOSE_MEANINGS = {
        1000: "normal closure",
        1001: "going away",
        1005: "no status code in the close frame",
        1006: "no close frame: the connection failed or dropped",
    };

    /* The subprotocol field as the array new WebSocket() takes. */
    function offeredProtocols() {
        return $("#protocols").value.split(",").map((p) => p.trim()).filter((p) => p);
    }

    function connect() {
        if (ws && ws.readyState !== WebSocket.CLOSED) return ws;
        const protocols = offeredProtocols();
        const shown = protocols.length ? `, ${JSON.stringify(protocols)}` : "";
        events = [];
        drainingSince = null;
        let messages = 0;
        $("#msg-count").textContent = "0";
        log.sent(`new WebSocket("${wsUrl}"${shown})`);
        let socket;
        try {
            socket = new WebSocket(wsUrl, protocols);
        } catch (err) {
            /* e.g. a protocol name with a space or a repeated one: the
             * constructor throws a SyntaxError, nothing is sent. */
            log.error(`${err.name}: ${err.message}`);
            events.push({ type: "throw", message: err.message });
            return null;
        }
        ws = socket;
        const current = () => socket === ws;
        socket.onopen = () => {
            events.push({ type: "open", protocol: socket.protocol });
            if (!current()) return;
            log.recv(`open  protocol "${socket.protocol}"  extensions "${socket.extensions}"`);
            setControls();
            refreshHandshakes();
        };
        socket.onmessage = (event) => {
            events.push({ type: "message", data: event.data });
            if (!current()) return;
            messages++;
            $("#msg-count").textContent = String(messages);
            const data = typeof event.data === "string" ? JSON.stringify(event.data) : `(${event.data.constructor.name})`;
            log.recv(`message  data ${data}`);
        };
        socket.onerror = () => {
            events.push({ type: "error" });
            if (!current()) return;
            log.error("error  (the API says no more; the browser's console may)");
            setControls();
        };
        socket.onclose = (event) => {
            events.push({ type: "close", code: event.code, reason: event.reason, wasClean: event.wasClean });
            if (!current()) return;
            const why = CLOSE_MEANINGS[event.code] ? ` (${CLOSE_MEANINGS[event.code]})` : "";
            const line = `close  code ${event.code}${why}  reason ${JSON.stringify(event.reason)}  wasClean ${event.wasClean}`;
            (event.wasClean ? log.recv : log.error)(line);
            setControls();
            refreshHandshakes();
        };
        setControls();
        return socket;
    }

    function disconnect() {
        if (!ws || ws.readyState === WebSocket.CLOSED) return;
        log.sent("ws.close()");
        ws.close();
        setControls();
    }

    function send(data, label) {
        if (!ws || ws.readyState !== WebSocket.OPEN) return;
        ws.send(data);
        log.sent(`send(${label})  bufferedAmount now ${wslab.formatBytes(ws.bufferedAmount)}`);
        if (ws.bufferedAmount > 0 && drainingSince === null) drainingSince = performance.now();
    }

    $("#connect").addEventListener("click", connect);
    $("#disconnect").addEventListener("click", disconnect);
    $("#send-form").addEventListener("submit", (event) => {
        event.preventDefault();
        const text = $("#send-text").value;
        send(text, JSON.stringify(text));
    });
    $("#send-big").addEventListener("click", () => send(new Uint8Array(BIG_SEND), "8 MiB of zeros"));

    /* ------------------------------------------------------------------ */
    /* The "try any key" box. */

    let tryRun = 0; /* a newer keystroke wins over a slower digest */
    async function showTryKey() {
        const run = ++tryRun;
        const key = $("#try-key").value.trim();
        const dl = el("dl", { class: "steps" });
        const steps = await showSteps(dl, key, key === SAMPLE_KEY ? SAMPLE_ACCEPT : undefined,
            key === SAMPLE_KEY ? "(RFC 6455's sample)" : "", "RFC 6455 says");
        if (run === tryRun) $("#steps-try").replaceChildren(...dl.childNodes);
        return steps;
    }

    $("#try-key").addEventListener("input", showTryKey);
    $("#try-random").addEventListener("click", () => {
        $("#try-key").value = base64(crypto.getRandomValues(new Uint8Array(16)));
        showTryKey();
    });
    $("#try-sample").addEventListener("click", () => {
        $("#try-key").value = SAMPLE_KEY;
        showTryKey();
    });

    /* ------------------------------------------------------------------ */

    function showCurl() {
        const base = `http://${location.host}/ws`;
        const ws13 = "-H 'Connection: Upgrade' -H 'Upgrade: websocket'";
        $("#curl").textContent = [
            "# a handshake by hand: the 101, then the frame's bytes",
            `curl -si -N --max-time 2 ${ws13} \\`,
            `  -H 'Sec-WebSocket-Version: 13' -H 'Sec-WebSocket-Key: ${SAMPLE_KEY}' \\`,
            `  -H 'Sec-WebSocket-Protocol: superchat, chat' ${base} | xxd`,
            "# refusals (they appear in the table above)",
            `curl -i ${ws13} -H 'Sec-WebSocket-Version: 8' \\`,
            `  -H 'Sec-WebSocket-Key: ${SAMPLE_KEY}' ${base}    # 426`,
            `curl -i ${ws13} -H 'Sec-WebSocket-Version: 13' \\`,
            `  -H 'Sec-WebSocket-Key: ${SAMPLE_KEY}' -H 'Origin: http://evil.example' ${base}    # 403`,
        ].join("\n");
    }

    async function main() {
        $("#origin").textContent = `served by ${location.host}`;
        $("#ws-url").textContent = wsUrl;
        $("#frame-hex").textContent = wslab.hexView(HELLO_FRAME);
        showCurl();
        setControls();
        renderLive();
        await showTryKey();
        await refreshHandshakes();
        setInterval(() => {
            if (document.visibilityState === "visible" && !refreshing) refreshHandshakes();
        }, REFRESH_MS);
        if (wslab.selftest.enabled) wslab.selftest.run(selfTest, { timeoutMs: 15000 });
    }

    /* ------------------------------------------------------------------ */
    /* ?selftest=1 */

    /* Waits until the current socket has an event of `type`; returns it. */
    async function eventOf(type, what, timeoutMs) {
        await wslab.waitFor(() => events.some((e) => e.type === type), what, timeoutMs);
        return events.find((e) => e.type === type);
    }

    const eventList = () => events.map((e) => e.type + (e.code ? " " + e.code : "")).join(", ") || "none";

    /* What the server logged last, for a failure message: the status and,
     * on 101, whether its accept is right. */
    async function describeNewest() {
        await refreshHandshakes();
        const h = handshakes[handshakes.length - 1];
        if (refreshError) return refreshError;
        if (!h) return "the server logged no handshake";
        const head = parseHead(h.response);
        if (h.status !== 101) return `the server answered ${head.start}`;
        const [key] = headerValues(parseHead(h.request), "Sec-WebSocket-Key");
        const [accept] = headerValues(head, "Sec-WebSocket-Accept");
        const right = key ? (await computeAccept(key)).accept : "?";
        return `the server answered 101 with Sec-WebSocket-Accept ${accept || "(none)"}` +
            (accept === right ? " (right)" : `, but key ${key} needs ${right}`);
    }

    async function selfTest() {
        /* 1. The arithmetic, on the RFC's own example. */
        const sample = await computeAccept(SAMPLE_KEY);
        if (sample.accept !== SAMPLE_ACCEPT)
            throw new Error(`the RFC sample key computes to ${sample.accept}, expected ${SAMPLE_ACCEPT}`);

        /* 2. A handshake that succeeds, driven through the page's controls. */
        $("#protocols").value = "superchat, chat";
        $("#connect").click();
        if (!ws) throw new Error("Connect made no WebSocket");
        await wslab.waitFor(() => events.some((e) => e.type === "open" || e.type === "close"), "onopen", 4000);
        if (!events.some((e) => e.type === "open"))
            throw new Error(`the handshake failed (events: ${eventList()}); ${await describeNewest()}`);
        if (ws.protocol !== "chat")
            throw new Error(`offered ["superchat","chat"] to a server preferring chat,superchat: ws.protocol is "${ws.protocol}", expected "chat"`);
        const hello = await eventOf("message", "onmessage", 3000);
        if (hello.data !== HELLO_TEXT) throw new Error(`onmessage got ${JSON.stringify(hello.data)}, expected "${HELLO_TEXT}"`);
        $("#disconnect").click();
        const closed = await eventOf("close", "onclose after ws.close()", 3000);
        if (closed.code !== 1000 || !closed.wasClean)
            throw new Error(`onclose: code ${closed.code}, wasClean ${closed.wasClean}; expected 1000, true`);
        if (events.some((e) => e.type === "error")) throw new Error(`an error event came: ${eventList()}`);

        /* 3. The server's log of that handshake, checked in the browser. */
        await refreshHandshakes();
        const newest = handshakes[handshakes.length - 1];
        if (!newest) throw new Error("GET /handshakes lists no handshake");
        if (newest.status !== 101) throw new Error(`the newest handshake has status ${newest.status}, expected 101`);
        const request = parseHead(newest.request);
        const response = parseHead(newest.response);
        const offered = headerValues(request, "Sec-WebSocket-Protocol").join(", ");
        if (offered !== "superchat, chat")
            throw new Error(`the newest logged request offered "${offered}", expected ours ("superchat, chat")`);
        const [key] = headerValues(request, "Sec-WebSocket-Key");
        const [accept] = headerValues(response, "Sec-WebSocket-Accept");
        if (!key) throw new Error("the logged request has no Sec-WebSocket-Key");
        const mine = (await computeAccept(key)).accept;
        if (mine !== accept) throw new Error(`key ${key}: the browser computes ${mine}, the server sent ${accept}`);
        if (!lastAcceptCheck || lastAcceptCheck.id !== newest.id || !lastAcceptCheck.ok)
            throw new Error(`the page does not show ✓ for handshake #${newest.id}`);
        const chosen = headerValues(response, "Sec-WebSocket-Protocol").join(", ");
        if (chosen !== "chat") throw new Error(`the logged response chose "${chosen}", expected "chat"`);

        /* 4. A server that selects none of the offered protocols: the
         * browser must fail the connection (RFC 6455 §4.1, WHATWG
         * WebSockets: a non-empty protocol list needs an answer from it). */
        $("#protocols").value = "nonexistent";
        $("#connect").click();
        const failed = await eventOf("close", "onclose when offering only nonexistent", 4000);
        if (events.some((e) => e.type === "open")) throw new Error(`offering only "nonexistent" still opened: ${eventList()}`);
        if (!events.some((e) => e.type === "error")) throw new Error(`offering only "nonexistent": no error event (${eventList()})`);
        if (failed.code !== 1006 || failed.wasClean)
            throw new Error(`offering only "nonexistent": close code ${failed.code}, wasClean ${failed.wasClean}; expected 1006, false`);
        await refreshHandshakes();
        const last = handshakes[handshakes.length - 1];
        const lastOffered = last ? headerValues(parseHead(last.request), "Sec-WebSocket-Protocol").join(", ") : "";
        if (!last || lastOffered !== "nonexistent" || last.status !== 101 || last.protocol)
            throw new Error(`the newest logged handshake should be the "nonexistent" one answered 101 without a protocol; got ${last ? `#${last.id} ${last.status} offering "${lastOffered}" protocol "${last.protocol}"` : "none"}`);

        selectedId = newest.id; /* leave the successful handshake on screen */
        await renderHandshakes();
        return `RFC sample accept ✓; offered superchat, chat → "chat", "${HELLO_TEXT}", close 1000 clean; ` +
            `handshake #${newest.id}: 101, accept ${accept} recomputed ✓; offered nonexistent → 101 without a protocol, browser failed it (error, 1006)`;
    }

    main();
})();
