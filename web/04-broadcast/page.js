/*
 * Lab 4 page: a chat room on the `chat` server, with its protocol in view.
 *
 * The page opens ws://HOST/chat/ROOM?name=NAME and speaks the hub's text
 * protocol (stages/04-broadcast/hub.h). Everything the server sends is one
 * text frame of one of four kinds:
 *
 *   members NAME1 ... NAMEn    to a newcomer: who is here, in joining order,
 *                              the newcomer last
 *   join NAME                  to the others when someone arrives
 *   msg NAME TEXT              to everyone, the sender included, for every
 *                              text message a member sends
 *   leave NAME                 to those remaining when someone goes
 *
 * and the page sends plain text frames: each is said in the room. Names and
 * rooms are 1–32 of A–Z a–z 0–9 . _ - (the server refuses others with 400),
 * so a name never holds a space and "msg NAME TEXT" splits at the first two
 * spaces.
 *
 * Back-pressure is the lab's other half, and a page can provoke it: "Stop
 * reading" busy-waits on the main thread, so the browser stops taking data
 * off the socket while another tab floods the room; the server's queue for
 * this tab grows to its high-water mark and the server drops it with close
 * 1013 "too slow".
 *
 * A flood can bring thousands of frames a second, so nothing is drawn per
 * frame: frames and chat lines wait in arrays and are drawn once per
 * animation frame (render()), and a run of flood messages from one sender
 * shows as a single line that counts up.
 *
 * URL parameters: ?name=NAME&room=ROOM (the defaults in the form),
 * autoconnect=0 (do not join on load), selftest=1 (see selfTest at the end).
 */
"use strict";

(function () {
    const { $, el } = wslab;

    const NAME_RE = /^[A-Za-z0-9._-]{1,32}$/; /* HUB_NAME_MAX, chat.h */
    const DEFAULT_ROOM = "lobby"; /* CHAT_DEFAULT_ROOM */
    const MAX_CHAT_LINES = 400; /* lines kept in the conversation */
    const MAX_FRAME_LINES = 300; /* lines kept in the frame log */
    const SHOW_CHARS = 140; /* payload characters shown per frame in the log */
    const MAX_TEXT_SHOWN = 2000; /* characters of a message shown in the chat */
    const KEEP_TEXT = 4096; /* longer payloads are remembered cut short (self-test) */
    const MAX_HISTORY = 20000; /* frames remembered per connection (self-test) */
    const FREEZE_MAX_S = 30;
    const FLOOD_MAX_COUNT = 5000; /* messages in one flood */
    const FLOOD_MAX_SIZE = 1 << 20; /* bytes in one flood message */
    const FLOOD_MAX_BYTES = 64 << 20; /* bytes in one flood */
    const CATCH_UP_QUIET_MS = 400; /* after a freeze: quiet this long = caught up */
    const FILLER = "abcdefghijklmnopqrstuvwxyz";
    const FLOOD_RE = /^flood (\d+)\/(\d+) /;
    const NAMES = ["ada", "alan", "grace", "ken", "dennis", "barbara", "edsger", "margaret", "donald", "radia", "leslie", "frances"];

    const params = new URLSearchParams(location.search);
    const encoder = new TextEncoder();

    let ws = null; /* the current WebSocket, or null */
    let session = null; /* what belongs to the current connection (newSession) */
    let frozen = null; /* {ms} while a freeze is about to start or running */
    let catchUp = null; /* after a freeze: what arrived until things went quiet */
    let lastFreeze = null; /* the last freeze's outcome, for the self-test */

    /* Drawing is batched: these wait for the next render(). */
    const chatNew = []; /* chat entries not yet in the DOM */
    const chatDirty = new Set(); /* entries in the DOM whose text changed */
    const frameNew = []; /* frame log lines not yet in the DOM */
    let framesSkipped = 0; /* lines that came and went before a render */
    let framesTotal = 0;
    let renderQueued = false;

    /* ------------------------------------------------------------------ */
    /* The protocol. */

    /* One text frame from the server → {kind, ...}: members (names), join
     * and leave (name), msg (name, text), or unknown (text). */
    function parseLine(line) {
        const space = line.indexOf(" ");
        const word = space < 0 ? line : line.slice(0, space);
        const rest = space < 0 ? "" : line.slice(space + 1);
        if (word === "members") return { kind: "members", names: rest === "" ? [] : rest.split(" ") };
        if ((word === "join" || word === "leave") && rest !== "") return { kind: word, name: rest };
        if (word === "msg" && rest !== "") {
            const at = rest.indexOf(" ");
            if (at < 0) return { kind: "msg", name: rest, text: "" };
            return { kind: "msg", name: rest.slice(0, at), text: rest.slice(at + 1) };
        }
        return { kind: "unknown", text: line };
    }

    function validName(text) {
        return NAME_RE.test(text);
    }

    function chatUrl(room, name) {
        return wslab.wsUrl(`/chat/${room}?name=${name}`);
    }

    /* The frame header of a text message of n bytes: a server's as it is,
     * a client's with "+key" for the 4 mask-key bytes only the browser knows. */
    function headerText(n, fromClient) {
        const form = wslab.lengthForm(n);
        const header = wslab.frameHeader({ opcode: 1, length: n, mask: fromClient ? [0, 0, 0, 0] : null });
        const shown = wslab.toHex(header.subarray(0, 2 + form.extra));
        return { text: fromClient ? shown + " +key" : shown, length: header.length };
    }

    function fillerText(prefix, size) {
        if (prefix.length >= size) return prefix;
        const need = size - prefix.length;
        return prefix + FILLER.repeat(Math.ceil(need / FILLER.length)).slice(0, need);
    }

    /* ------------------------------------------------------------------ */
    /* One connection's state. */

    function newSession(name, room, url) {
        return {
            name, room, url,
            state: "connecting", /* connecting, open, closing, closed */
            openedAt: null, close: null, /* close: {code, reason, wasClean} */
            me: name, /* our name as the server says it (the last of "members") */
            members: [], /* {name, me} in joining order */
            pendingOwn: [], /* {text, at}: sent, not yet back from the hub */
            history: [], /* {dir, text, bytes}: the frames, for the self-test */
            floods: new Map(), /* sender → the chat entry counting its flood */
            sent: 0, sentBytes: 0, sentWire: 0,
            recv: 0, recvBytes: 0, recvWire: 0,
            rtt: null, ownBack: 0,
        };
    }

    function remember(dir, text, bytes) {
        if (session.history.length >= MAX_HISTORY) return;
        session.history.push({ dir, text: text.length > KEEP_TEXT ? text.slice(0, KEEP_TEXT) : text, bytes });
    }

    /* ------------------------------------------------------------------ */
    /* The conversation and the frame log (drawn in render()). */

    function addChat(entry) {
        entry.time = entry.time || Date.now();
        chatNew.push(entry);
        schedule();
        return entry;
    }

    function cut(text, max) {
        return text.length > max ? text.slice(0, max) + ` … (${text.length - max} more characters)` : text;
    }

    function chatNode(entry) {
        const node = el("li", { class: entry.cls });
        entry.node = node;
        fillChatNode(entry);
        return node;
    }

    function fillChatNode(entry) {
        const body = el("span", { class: "body" });
        if (entry.who) body.append(el("span", { class: "who" }, entry.who));
        body.append(entry.controls ? wslab.showControls(cut(entry.text, MAX_TEXT_SHOWN)) : entry.text);
        entry.node.replaceChildren(
            el("span", { class: "t" }, wslab.formatClock(entry.time).slice(0, 8)),
            body,
            el("span", { class: "lat", title: entry.latTitle || "" }, entry.lat || ""));
    }

    function addFrame(kind, header, bytes, text) {
        framesTotal++;
        frameNew.push({ kind, header, bytes, text, time: Date.now() });
        if (frameNew.length > MAX_FRAME_LINES) {
            framesSkipped += frameNew.length - MAX_FRAME_LINES;
            frameNew.splice(0, frameNew.length - MAX_FRAME_LINES);
        }
        schedule();
    }

    function frameNode(f) {
        const t = el("span", { class: "t" }, wslab.formatClock(f.time) + " ");
        if (f.kind === "info" || f.kind === "error") return el("div", { class: f.kind, title: f.text }, t, f.text);
        const out = f.kind === "out";
        return el("div", { class: f.kind, title: f.text === null ? "" : cut(f.text, 1000) },
            t,
            el("span", { class: "dir" }, out ? "→ " : "← "),
            el("span", { class: "hdr" }, f.header.padEnd(out ? 14 : 9)),
            el("span", { class: "n" }, (wslab.formatBytes(f.bytes) + " ").padStart(9)),
            f.text === null ? "" : wslab.showControls(cut(f.text, SHOW_CHARS)));
    }

    function logInfo(text) {
        addFrame("info", "", 0, text);
    }

    function logError(text) {
        addFrame("error", "", 0, text);
    }

    /* Draws what waits, at most once per animation frame (the timeout is a
     * fallback for a hidden tab, where animation frames stop). */
    function schedule() {
        if (renderQueued) return;
        renderQueued = true;
        const run = () => {
            if (!renderQueued) return;
            renderQueued = false;
            render();
        };
        requestAnimationFrame(run);
        setTimeout(run, 150);
    }

    function render() {
        renderChat();
        renderFrames();
        renderMembers();
        renderState();
        renderCounters();
    }

    function stuckToBottom(box) {
        return box.scrollTop + box.clientHeight >= box.scrollHeight - 8;
    }

    function renderChat() {
        const box = $("#chat");
        const stick = stuckToBottom(box);
        for (const entry of chatDirty) if (entry.node) fillChatNode(entry);
        chatDirty.clear();
        const fresh = chatNew.splice(0).slice(-MAX_CHAT_LINES);
        if (!fresh.length) return;
        box.append(...fresh.map(chatNode));
        while (box.childElementCount > MAX_CHAT_LINES) box.firstElementChild.remove();
        if (stick) box.scrollTop = box.scrollHeight;
    }

    function renderFrames() {
        $("#frame-pill").textContent = `${framesTotal} line${framesTotal === 1 ? "" : "s"}`;
        if (!frameNew.length) return;
        const box = $("#frame-log");
        const stick = stuckToBottom(box);
        const nodes = [];
        if (framesSkipped) {
            nodes.push(el("div", { class: "gap" }, `… ${framesSkipped} more came too fast to show`));
            framesSkipped = 0;
        }
        nodes.push(...frameNew.splice(0).map(frameNode));
        box.append(...nodes);
        while (box.childElementCount > MAX_FRAME_LINES) box.firstElementChild.remove();
        if (stick) box.scrollTop = box.scrollHeight;
    }

    function renderMembers() {
        const list = $("#members");
        const members = session && session.state !== "closed" ? session.members : [];
        const items = members.map((m) => el("li", { class: m.me ? "me" : "", dataset: { name: m.name } }, m.name));
        if (!items.length) items.push(el("li", { class: "none" }, session && session.state === "open" ? "waiting for the members line" : "not in a room"));
        list.replaceChildren(...items);
        $("#member-count").textContent = members.length ? `${members.length} in ${session.room}` : "–";
    }

    /* Each counter shows its value for people, and keeps the exact number in
     * data-value for the tests. */
    function renderCounters() {
        const s = session || newSession("", "", "");
        const show = (id, value, text) => {
            const node = $("#" + id);
            node.textContent = text;
            node.dataset.value = String(value);
        };
        show("sent-count", s.sent, String(s.sent));
        show("sent-bytes", s.sentBytes, wslab.formatBytes(s.sentBytes));
        show("recv-count", s.recv, String(s.recv));
        show("recv-bytes", s.recvBytes, wslab.formatBytes(s.recvBytes));
        show("sent-wire", s.sentWire, wslab.formatBytes(s.sentWire));
        show("recv-wire", s.recvWire, wslab.formatBytes(s.recvWire));
        show("rtt", s.rtt === null ? "" : s.rtt, s.rtt === null ? "–" : wslab.formatMs(s.rtt));
    }

    /* The connection's state: the pill, the line under the form, the
     * controls. */
    function renderState() {
        const pill = $("#state-pill");
        const line = $("#state-line");
        const state = session ? session.state : "idle";
        const open = state === "open";
        pill.dataset.state = state;
        const tone = { open: "ok", connecting: "warn", closing: "warn", idle: "" }[state];
        pill.className = "pill " + (tone !== undefined ? tone : session.close.code === 1000 ? "" : "closed");
        if (!session) {
            pill.textContent = "not connected";
        } else if (state === "closed") {
            const c = session.close;
            pill.textContent = `closed ${c.code}${c.reason ? " " + c.reason : ""}`;
            pill.dataset.code = String(c.code);
            pill.dataset.reason = c.reason;
            line.replaceChildren("closed: code ", el("b", {}, String(c.code)), ` (${wslab.closeCodeMeaning(c.code)}), reason `,
                el("b", {}, JSON.stringify(c.reason)), `, wasClean ${c.wasClean}`, closeHint(c));
        } else {
            pill.textContent = open ? `open · ${session.room}` : state;
            delete pill.dataset.code;
            delete pill.dataset.reason;
            if (open) {
                line.replaceChildren("open: you are ", el("b", {}, session.me), " in room ", el("b", {}, session.room),
                    ` since ${wslab.formatClock(session.openedAt).slice(0, 8)}`);
            } else {
                line.textContent = state === "connecting" ? "connecting: the opening handshake…" : "closing: our close frame is out, waiting for the server's";
            }
        }
        const busy = state === "connecting" || state === "open" || state === "closing";
        $("#connect").disabled = busy;
        $("#leave").disabled = !(state === "connecting" || open);
        $("#name").disabled = busy;
        $("#room").disabled = busy;
        $("#text").disabled = !open;
        $("#say-form button").disabled = !open;
        $("#freeze").disabled = !!frozen;
        $("#flood").disabled = !open;
    }

    function closeHint(c) {
        if (c.code === 1006 && !session.openedAt) return " — the handshake failed: is the server running, and does it accept this name and room?";
        if (c.code === 1006) return " — no close frame came: the connection just ended";
        if (c.code === 1013) return " — the server dropped this tab for reading too slowly";
        return "";
    }

    /* Live numbers, once per animation frame. */
    function renderLive() {
        $("#buffered").textContent = ws && ws.readyState !== WebSocket.CLOSED ? wslab.formatBytes(ws.bufferedAmount) : "–";
        requestAnimationFrame(renderLive);
    }

    /* ------------------------------------------------------------------ */
    /* The WebSocket. */

    function connect() {
        if (ws && ws.readyState !== WebSocket.CLOSED) return null;
        const name = $("#name").value;
        const room = $("#room").value;
        const bad = !validName(name) ? ["name", name] : !validName(room) ? ["room", room] : null;
        if (bad) {
            $("#join-error").textContent = `the ${bad[0]} ${JSON.stringify(bad[1])} is not 1–32 of A–Z a–z 0–9 . _ -`;
            return null;
        }
        $("#join-error").textContent = "";
        const url = chatUrl(room, name);
        showUrl();
        if (!wslab.selftest.enabled) {
            params.set("room", room);
            params.set("name", name);
            history.replaceState(null, "", "?" + params.toString());
        }
        const socket = new WebSocket(url);
        ws = socket;
        session = newSession(name, room, url);
        const mine = session;
        logInfo(`new WebSocket("${url}")`);
        socket.onopen = () => {
            if (socket !== ws) return;
            mine.state = "open";
            mine.openedAt = Date.now();
            logInfo("open: 101 Switching Protocols");
            schedule();
        };
        socket.onmessage = (event) => {
            if (socket === ws && typeof event.data === "string") onText(event.data);
        };
        socket.onerror = () => {
            if (socket === ws) logError("error (the API tells no more; the browser's console may)");
        };
        socket.onclose = (event) => {
            if (socket !== ws) return;
            onClose(mine, event);
        };
        schedule();
        return socket;
    }

    function onText(text) {
        const bytes = encoder.encode(text).length;
        const header = headerText(bytes, false);
        const s = session;
        s.recv++;
        s.recvBytes += bytes;
        s.recvWire += header.length + bytes;
        remember("in", text, bytes);
        addFrame("in", header.text, bytes, text);
        if (catchUp) {
            catchUp.frames++;
            catchUp.bytes += bytes;
            catchUp.last = performance.now();
        }
        const m = parseLine(text);
        if (m.kind === "members") {
            s.members = m.names.map((name, i) => ({ name, me: i === m.names.length - 1 }));
            if (m.names.length) s.me = m.names[m.names.length - 1];
            const others = m.names.slice(0, -1);
            addChat({ cls: "notice", text: `you joined ${s.room} as ${s.me}; ` +
                (others.length ? `already here: ${others.join(", ")}` : "nobody else is here yet") });
        } else if (m.kind === "join") {
            s.members.push({ name: m.name, me: false });
            addChat({ cls: "notice join", text: `${m.name} joined` });
        } else if (m.kind === "leave") {
            const i = s.members.findIndex((x) => x.name === m.name && !x.me);
            if (i >= 0) s.members.splice(i, 1);
            addChat({ cls: "notice leave", text: `${m.name} left` });
        } else if (m.kind === "msg") {
            onSaid(s, m.name, m.text, bytes);
        } else {
            addChat({ cls: "notice", text: "unexpected: " + text, controls: true });
        }
        schedule();
    }

    /* A "msg NAME TEXT": ours if it is the oldest message we sent and still
     * wait for (its round trip), a flood line, or someone's words. */
    function onSaid(s, name, text, bytes) {
        const own = s.pendingOwn[0];
        const mine = name === s.me && own !== undefined && own.text === text;
        let lat = "";
        if (mine) {
            s.pendingOwn.shift();
            s.rtt = performance.now() - own.at;
            s.ownBack++;
            lat = wslab.formatMs(s.rtt);
        }
        const flood = FLOOD_RE.exec(text);
        if (flood) {
            const [n, total] = [Number(flood[1]), Number(flood[2])];
            let entry = s.floods.get(name);
            if (!entry || n === 1 || entry.total !== total) {
                entry = addChat({ cls: "flood" + (mine ? " mine" : ""), who: name, total, count: 0, bytes: 0 });
                s.floods.set(name, entry);
            }
            entry.count++;
            entry.bytes += bytes;
            entry.text = `flood: ${entry.count} of ${total} messages (${wslab.formatBytes(entry.bytes)})`;
            entry.lat = lat;
            chatDirty.add(entry);
            return;
        }
        s.floods.delete(name);
        addChat({ cls: mine ? "mine" : "", who: name, text, controls: true, lat,
            latTitle: mine ? "round trip: send() until the hub's msg came back" : "" });
    }

    function onClose(s, event) {
        s.close = { code: event.code, reason: event.reason, wasClean: event.wasClean };
        s.state = "closed";
        const got = event.code === 1006 ? "no close frame (1006)" : event.code === 1005 ? "a close frame with no code (1005)" :
            `close ${event.code} ${JSON.stringify(event.reason)}`;
        (event.code === 1000 ? logInfo : logError)(`← ${got}, wasClean ${event.wasClean}`);
        addChat({ cls: "notice closed", text: `closed ${event.code}${event.reason ? " " + JSON.stringify(event.reason) : ""}: ` +
            wslab.closeCodeMeaning(event.code) });
        if (s.pendingOwn.length) logInfo(`${s.pendingOwn.length} of your messages never came back`);
        s.pendingOwn = [];
        schedule();
    }

    /* Sends a text message; returns false if not open. */
    function say(text) {
        if (!ws || ws.readyState !== WebSocket.OPEN) return false;
        const s = session;
        const bytes = encoder.encode(text).length;
        const header = headerText(bytes, true);
        ws.send(text);
        s.pendingOwn.push({ text, at: performance.now() });
        s.sent++;
        s.sentBytes += bytes;
        s.sentWire += header.length + bytes;
        remember("out", text, bytes);
        addFrame("out", header.text, bytes, text);
        return true;
    }

    function leave() {
        if (!ws || ws.readyState === WebSocket.CLOSING || ws.readyState === WebSocket.CLOSED) return;
        const reason = "bye";
        ws.close(1000, reason);
        session.state = "closing";
        const payload = 2 + reason.length;
        const header = wslab.toHex(wslab.frameHeader({ opcode: 8, length: payload, mask: [0, 0, 0, 0] }).subarray(0, 2));
        addFrame("out", header + " +key", payload, `close 1000 "${reason}"`);
        schedule();
    }

    /* ------------------------------------------------------------------ */
    /* Back-pressure: freeze this tab, flood the room. */

    function pressure(cls, text) {
        const line = $("#pressure-line");
        line.className = "pressure-line small " + cls;
        line.textContent = text;
        const pill = $("#pressure-pill");
        pill.textContent = { frozen: "frozen", dropped: "dropped", "": "–", ok: "caught up" }[cls] || cls;
        pill.className = "pill " + (cls === "frozen" ? "warn" : cls === "dropped" ? "bad" : cls === "ok" ? "ok" : "");
    }

    /* Blocks the main thread for ms milliseconds. Nothing on the page runs
     * meanwhile — no events, no drawing — so the browser stops draining the
     * socket. The loop is bounded by the clock. */
    function busyWait(ms) {
        const start = performance.now();
        let now = start;
        while (now - start < ms) now = performance.now();
        return now - start;
    }

    function freeze(seconds) {
        if (frozen) return false;
        const s = Math.min(Math.max(Math.round(seconds) || 1, 1), FREEZE_MAX_S);
        frozen = { ms: s * 1000 };
        catchUp = null;
        pressure("frozen", `Not reading for ${s} s: this tab's JavaScript is stuck in a loop (the page cannot even repaint)…`);
        render();
        /* Let the browser paint the line above first, then block. */
        requestAnimationFrame(() => setTimeout(() => {
            const wasOpen = session && session.state === "open";
            const took = busyWait(frozen.ms);
            frozen = null;
            catchUp = { took, frames: 0, bytes: 0, wasOpen, since: performance.now(), last: null };
            pressure("frozen", `Frozen for ${(took / 1000).toFixed(1)} s; now reading what waited…`);
            setTimeout(watchCatchUp, 100);
            schedule();
        }, 0));
        return true;
    }

    /* After a freeze: waits until nothing has come for a while (or the
     * connection ends), then tells what had piled up. */
    function watchCatchUp() {
        const c = catchUp;
        if (!c) return;
        const quietSince = c.last === null ? c.since : c.last;
        const closed = !session || session.state === "closed";
        if (!closed && performance.now() - quietSince < CATCH_UP_QUIET_MS) {
            setTimeout(watchCatchUp, 100);
            return;
        }
        catchUp = null;
        lastFreeze = { took: c.took };
        const frozeFor = `Frozen for ${(c.took / 1000).toFixed(1)} s`;
        const piled = `${frozeFor}. Then ${c.frames} frame${c.frames === 1 ? "" : "s"} (${wslab.formatBytes(c.bytes)}) came in one burst`;
        if (!c.wasOpen) {
            pressure("", `${frozeFor}, in no room: there was nothing to read.`);
        } else if (closed) {
            const { code, reason } = session.close;
            pressure("dropped", `${piled}, then: closed ${code}${reason ? " " + JSON.stringify(reason) : ""} — ` +
                (code === 1013 ? "the server dropped this tab: its queue reached the high-water mark."
                    : code === 1006 ? "no close frame: most likely the server gave up waiting for this tab to read it (linger)."
                        : wslab.closeCodeMeaning(code)));
        } else {
            pressure("ok", `${piled}; the server kept them all. Flood more from another tab to be dropped.`);
        }
        render(); /* the state pill agrees with the line above at once */
    }

    function flood(count, size) {
        if (!ws || ws.readyState !== WebSocket.OPEN) return 0;
        const n = Math.min(Math.max(Math.round(count) || 1, 1), FLOOD_MAX_COUNT);
        const bytes = Math.min(Math.max(Math.round(size) || 16, 16), FLOOD_MAX_SIZE);
        if (n * bytes > FLOOD_MAX_BYTES) {
            logError(`a flood of ${n} × ${bytes} B is more than ${wslab.formatBytes(FLOOD_MAX_BYTES)}: send fewer or smaller`);
            return 0;
        }
        const started = performance.now();
        for (let i = 1; i <= n; i++) say(fillerText(`flood ${i}/${n} `, bytes));
        logInfo(`flood: ${n} send() calls of ${wslab.formatBytes(bytes)} in ${wslab.formatMs(performance.now() - started)}; ` +
            `the browser buffers what the socket does not take yet (bufferedAmount)`);
        schedule();
        return n;
    }

    /* ------------------------------------------------------------------ */
    /* Controls. */

    function randomName() {
        const pick = NAMES[Math.floor(Math.random() * NAMES.length)];
        return `${pick}-${Math.floor(10 + Math.random() * 90)}`;
    }

    function showTerminal() {
        const host = location.host;
        const port = location.port || (location.protocol === "https:" ? "443" : "80");
        const room = $("#room").value || DEFAULT_ROOM;
        $("#terminal").textContent = [
            "# join from a terminal: each line you type is a message (Lab 3's client)",
            `build/ref/03-framing/wsc 'ws://${host}/chat/${room}?name=terminal'`,
            "# one message from a script",
            `echo 'hello from a script' | build/ref/03-framing/wsc 'ws://${host}/chat/${room}?name=script'`,
            "# a name the server refuses: 400 before any WebSocket",
            "curl -i -H 'Connection: Upgrade' -H 'Upgrade: websocket' \\",
            "     -H 'Sec-WebSocket-Version: 13' \\",
            "     -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' \\",
            `     'http://${host}/chat/${room}?name=no%20spaces'`,
            "# while a tab is frozen: watch its bytes pile up in the kernel (Send-Q)",
            `watch -n 0.5 "ss -tn 'sport = :${port}'"`,
            "# a server that drops slow readers sooner",
            "build/ref/04-broadcast/chat --high-water 65536",
        ].join("\n");
    }

    $("#join-form").addEventListener("submit", (event) => {
        event.preventDefault();
        connect();
    });
    $("#leave").addEventListener("click", leave);
    $("#say-form").addEventListener("submit", (event) => {
        event.preventDefault();
        const text = $("#text").value;
        if (text === "") return;
        if (say(text)) $("#text").value = "";
    });
    $("#freeze").addEventListener("click", () => freeze(Number($("#freeze-seconds").value)));
    $("#flood").addEventListener("click", () => flood(Number($("#flood-count").value), Number($("#flood-size").value)));
    /* What the form would connect to, as you type. */
    function showUrl() {
        if (!ws || ws.readyState === WebSocket.CLOSED) $("#ws-url").textContent = chatUrl($("#room").value, $("#name").value);
        showTerminal();
    }
    $("#name").addEventListener("input", showUrl);
    $("#room").addEventListener("input", showUrl);

    function main() {
        $("#origin").textContent = `served by ${location.host}`;
        $("#name").value = params.get("name") || randomName();
        $("#room").value = params.get("room") || DEFAULT_ROOM;
        showUrl();
        render();
        renderLive();
        if (wslab.selftest.enabled) wslab.selftest.run(selfTest, { timeoutMs: 25000 });
        else if (params.get("autoconnect") !== "0") connect();
    }

    /* ------------------------------------------------------------------ */
    /* ?selftest=1 */

    function randomId() {
        return Math.random().toString(36).slice(2, 8);
    }

    function inTexts(s) {
        return s.history.filter((h) => h.dir === "in").map((h) => h.text);
    }

    function expectEqual(what, got, want) {
        if (JSON.stringify(got) !== JSON.stringify(want))
            throw new Error(`${what}: got ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
    }

    function domMembers() {
        return Array.from(document.querySelectorAll("#members li[data-name]"), (li) => li.dataset.name + (li.classList.contains("me") ? "*" : ""));
    }

    async function nextRender() {
        await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
    }

    /* A second member in the same room, on a WebSocket of its own (not
     * through the page's controls): it sees what any other tab would. */
    function openPeer(room, name) {
        const peer = { texts: [], closed: null, open: false };
        peer.socket = new WebSocket(chatUrl(room, name));
        peer.socket.onopen = () => (peer.open = true);
        peer.socket.onmessage = (e) => peer.texts.push(e.data);
        peer.socket.onclose = (e) => (peer.closed = { code: e.code, reason: e.reason });
        return peer;
    }

    async function selfTest() {
        /* The parser, on fixed lines. */
        expectEqual("parse members", parseLine("members ann bob"), { kind: "members", names: ["ann", "bob"] });
        expectEqual("parse msg", parseLine("msg ann hello  world "), { kind: "msg", name: "ann", text: "hello  world " });
        expectEqual("parse empty msg", parseLine("msg ann "), { kind: "msg", name: "ann", text: "" });
        expectEqual("parse leave", parseLine("leave b.o_b-1"), { kind: "leave", name: "b.o_b-1" });
        for (const [name, ok] of [["a", true], ["A.z_0-9", true], ["x".repeat(32), true], ["", false], ["x".repeat(33), false], ["a b", false], ["é", false], ["a/b", false]])
            if (validName(name) !== ok) throw new Error(`validName(${JSON.stringify(name)}) is ${!ok}`);

        /* A bad name never leaves the page. */
        const me = "st-" + randomId();
        const room = "selftest-" + randomId();
        $("#name").value = "no spaces";
        $("#room").value = room;
        $("#join-form").requestSubmit();
        if (ws || !$("#join-error").textContent) throw new Error("the form accepted the name \"no spaces\"");

        /* Join through the form: the first frame is "members ME". */
        $("#name").value = me;
        $("#join-form").requestSubmit();
        if (!session) throw new Error("the Join button opened no WebSocket");
        const s = session;
        await wslab.waitFor(() => s.state !== "connecting", "the connection to open", 5000);
        if (s.state !== "open") throw new Error(`could not connect to ${s.url}: closed ${s.close && s.close.code}`);
        await wslab.waitFor(() => s.recv >= 1, "the members line", 4000);
        expectEqual("first frame", inTexts(s)[0], `members ${me}`);
        await nextRender();
        expectEqual("member list", domMembers(), [me + "*"]);
        if ($("#recv-count").dataset.value !== "1" || $("#recv-bytes").dataset.value !== String(8 + me.length))
            throw new Error(`counters after members: received ${$("#recv-count").dataset.value} / ${$("#recv-bytes").dataset.value} B`);

        /* Say something through the form: it comes back as "msg ME TEXT". */
        $("#text").value = "hello, room";
        $("#say-form").requestSubmit();
        await wslab.waitFor(() => s.ownBack >= 1, "our own message back from the hub", 4000);
        expectEqual("own message", inTexts(s)[1], `msg ${me} hello, room`);
        const firstRtt = s.rtt;

        /* A peer joins: "join PEER" here, "members ME PEER" there. */
        const peerName = "peer-" + randomId();
        const peer = openPeer(room, peerName);
        await wslab.waitFor(() => s.members.length === 2 && peer.texts.length >= 1, "the peer to join", 4000);
        expectEqual("peer's members line", peer.texts[0], `members ${me} ${peerName}`);
        expectEqual("join notice", inTexts(s)[2], `join ${peerName}`);
        await nextRender();
        expectEqual("member list with the peer", domMembers(), [me + "*", peerName]);

        /* Both talk at once: both see one and the same order. */
        const words = ["one", "two", "three", "four", "five", "six"];
        words.forEach((w, i) => (i % 2 ? peer.socket.send(`${w} from the peer`) : say(`${w} from me`)));
        const isMsg = (t) => t.startsWith("msg ");
        await wslab.waitFor(() => inTexts(s).filter(isMsg).length === 7 && peer.texts.filter(isMsg).length === 6, "the six messages on both sides", 4000);
        const mine = inTexts(s).filter(isMsg).slice(1);
        expectEqual("the order the peer saw", peer.texts.filter(isMsg), mine);
        for (const w of words.filter((_, i) => i % 2 === 0))
            if (!mine.includes(`msg ${me} ${w} from me`)) throw new Error(`"${w} from me" never came back`);

        /* The peer leaves: "leave PEER". */
        peer.socket.close(1000);
        await wslab.waitFor(() => s.members.length === 1 && peer.closed, "the peer to leave", 4000);
        expectEqual("leave notice", inTexts(s)[inTexts(s).length - 1], `leave ${peerName}`);

        /* A small flood through the button: every message back, in order,
         * shown as one line that counts them. */
        $("#flood-count").value = "50";
        $("#flood-size").value = "2000";
        $("#flood").click();
        await wslab.waitFor(() => s.pendingOwn.length === 0, "the flood to come back", 5000);
        const floods = inTexts(s).filter((t) => t.startsWith(`msg ${me} flood `));
        expectEqual("flood order", floods.map((t) => Number(FLOOD_RE.exec(t.slice(5 + me.length))[1])), Array.from({ length: 50 }, (_, i) => i + 1));
        if (floods.some((t) => t.length !== 5 + me.length + 2000)) throw new Error("a flood message came back with another length");
        await nextRender();
        const floodLine = document.querySelector("#chat li.flood .body");
        if (!floodLine || !floodLine.textContent.includes("50 of 50 messages"))
            throw new Error(`the chat's flood line says ${JSON.stringify(floodLine && floodLine.textContent)}`);

        /* UTF-8: the counters count bytes, not characters. */
        const utf = "héllo ✓ 😀";
        say(utf);
        await wslab.waitFor(() => s.pendingOwn.length === 0, "the UTF-8 message back", 4000);
        expectEqual("UTF-8 message", inTexts(s)[inTexts(s).length - 1], `msg ${me} ${utf}`);

        /* A freeze of one second with nothing to read: the page survives it. */
        $("#freeze-seconds").value = "1";
        $("#freeze").click();
        await wslab.waitFor(() => lastFreeze !== null, "the end of the freeze", 6000);
        if (lastFreeze.took < 1000 || s.state !== "open") throw new Error(`freeze: took ${lastFreeze.took} ms, state ${s.state}`);

        /* The counters, against what was sent and received. */
        const sentTexts = s.history.filter((h) => h.dir === "out");
        const ins = s.history.filter((h) => h.dir === "in");
        const sum = (list) => list.reduce((n, h) => n + h.bytes, 0);
        const wantSent = 1 + 3 + 50 + 1;
        const wantRecv = 1 + 1 + 1 + 6 + 1 + 50 + 1; /* members, hello, join, 6 msgs, leave, flood, utf-8 */
        await nextRender();
        expectEqual("counters (sent, received)", [Number($("#sent-count").dataset.value), Number($("#recv-count").dataset.value)], [wantSent, wantRecv]);
        expectEqual("byte counters", [Number($("#sent-bytes").dataset.value), Number($("#recv-bytes").dataset.value)], [sum(sentTexts), sum(ins)]);
        const utfBytes = encoder.encode(utf).length;
        if (sentTexts[sentTexts.length - 1].bytes !== utfBytes || utfBytes !== 15) throw new Error(`"${utf}" counted as ${sentTexts[sentTexts.length - 1].bytes} B, expected 15`);

        /* Leave: close 1000 both ways. */
        $("#leave").click();
        await wslab.waitFor(() => s.state === "closed", "the close", 4000);
        if (s.close.code !== 1000 || !s.close.wasClean) throw new Error(`leave: closed ${s.close.code} ${JSON.stringify(s.close.reason)} wasClean ${s.close.wasClean}`);
        await nextRender();
        if ($("#state-pill").dataset.state !== "closed" || $("#state-pill").dataset.code !== "1000") throw new Error("the state pill does not say closed 1000");

        return `joined ${room} as ${me}: "members ${me}"; own message back in ${wslab.formatMs(firstRtt)}; ` +
            `peer join/leave seen; 6 interleaved messages in the same order on both sides; ` +
            `flood of 50 × 2000 B back in order; counters ${wantSent} sent (${sum(sentTexts)} B), ${wantRecv} received (${sum(ins)} B); ` +
            `1 s freeze survived; leave → close 1000 clean`;
    }

    main();
})();
