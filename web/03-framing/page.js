/*
 * Lab 3 page: frames, made visible.
 *
 * A page never sees a frame: the WebSocket API takes and gives whole
 * messages, and the browser builds, masks (and for large messages splits)
 * the frames itself. So the `echo` server's /inspect route reports each
 * frame it received, as one JSON text message sent before the echo
 * (stages/03-framing/echo.h):
 *
 *   {"fin":true,"rsv":0,"opcode":1,"masked":true,"mask":"37fa213d",
 *    "length":5,"masked_hex":"7f9f4d5158","payload_hex":"48656c6c6f"}
 *
 * and this page takes each report apart: the header's fields as bits, the
 * header bytes rebuilt from them, and the unmasking redone here byte by byte
 * (masked[i] XOR key[i mod 4]) to tick it against the server's payload_hex
 * and against the bytes that were sent. The frames the server sent back are
 * rebuilt from what arrived (a server's frames are unmasked, so type and
 * length are all there is to a header), and every close event is logged.
 *
 * On /inspect the messages arrive in a fixed order: for each message sent,
 * one report per frame, the last one with FIN set, then the echo. That order,
 * not the content, tells a report from an echo (you may well send JSON).
 *
 * ?selftest=1 sends text, binary, 200 and 70 000 bytes through the page's
 * controls, checks the reports and the echoes, and closes with 4000 "bye"
 * (see selfTest at the bottom).
 */
"use strict";

(function () {
    const { $, el } = wslab;

    const READY_NAMES = ["CONNECTING", "OPEN", "CLOSING", "CLOSED"];
    const INSPECT_BYTES = 16; /* WS_INSPECT_BYTES (ws.h): payload bytes in a report */
    const MAX_ROWS = 300; /* frames kept in each table */
    const ALPHABET = "abcdefghijklmnopqrstuvwxyz"; /* the text the Size button sends */
    /* RFC 6455 §5.7, "a single-frame masked text message": on screen until
     * a real frame arrives. */
    const RFC_EXAMPLE = {
        fin: true, rsv: 0, opcode: 1, masked: true, mask: "37fa213d",
        length: 5, masked_hex: "7f9f4d5158", payload_hex: "48656c6c6f",
    };
    /* The close codes listed in the Closing panel. */
    const LISTED_CODES = [1000, 1001, 1002, 1003, 1005, 1006, 1007, 1008, 1009, 1010, 1011, 1013];

    const log = wslab.createLog($("#log"), { max: 400 });
    const encoder = new TextEncoder();

    let ws = null; /* the current WebSocket, or null */
    let route = "inspect"; /* the current socket's route: "inspect" or "echo" */
    let events = []; /* the current socket's open/close/error events (self-test) */
    let inflight = []; /* messages sent on the current socket whose echo has not come */
    let nextMessage = 1;
    let nextFrame = 1;
    let nextServerFrame = 1;
    let frames = []; /* the frames the server reported, oldest first */
    let serverFrames = []; /* the frames the server sent, rebuilt, oldest first */
    const seenCodes = new Set();
    let selected = null; /* the frame shown in detail; null: the newest */
    let sentCount = 0, echoCount = 0, echoBad = 0;

    /* ------------------------------------------------------------------ */
    /* Bytes. */

    function sameBytes(a, b) {
        if (a.length !== b.length) return false;
        for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
        return true;
    }

    /* §5.3: payload[i] = masked[i] XOR key[i mod 4] (and the other way round). */
    function unmask(masked, key) {
        return masked.map((b, i) => b ^ key[i % 4]);
    }

    /* n bytes to send: the alphabet over and over as text, or 00 01 … ff 00 …
     * as binary. */
    function sizedMessage(n, kind) {
        if (kind === "text") return ALPHABET.repeat(Math.ceil(n / ALPHABET.length)).slice(0, n);
        const bytes = new Uint8Array(n);
        for (let i = 0; i < n; i++) bytes[i] = i & 0xff;
        return bytes;
    }

    /* A client frame's header as the page can know it before sending: the
     * mask key is the browser's secret, shown as "+ key". */
    function clientHeaderText(opcode, length) {
        const header = wslab.frameHeader({ opcode, length, mask: [0, 0, 0, 0] });
        return wslab.toHex(header.subarray(0, header.length - 4)) + " + 4-byte key";
    }

    function opcodeName(opcode) {
        return wslab.OPCODES[opcode] || "reserved";
    }

    /* A close frame's payload: the code (big-endian) and the reason as UTF-8. */
    function closePayload(code, reason) {
        return Uint8Array.from([code >> 8, code & 0xff, ...encoder.encode(reason)]);
    }

    /* ------------------------------------------------------------------ */
    /* The reports of /inspect. */

    /* Checks a report has the fields of echo.h with the right types; returns
     * what is wrong, or "". */
    function reportProblem(r) {
        if (!r || typeof r !== "object") return "not a JSON object";
        const types = { fin: "boolean", rsv: "number", opcode: "number", masked: "boolean", mask: "string",
            length: "number", masked_hex: "string", payload_hex: "string" };
        for (const [key, type] of Object.entries(types))
            if (typeof r[key] !== type) return `"${key}" is ${r[key] === undefined ? "missing" : typeof r[key]}, expected a ${type}`;
        const order = Object.keys(r).join(",");
        if (order !== Object.keys(types).join(",")) return `keys ${order}, expected ${Object.keys(types).join(",")}`;
        for (const key of ["mask", "masked_hex", "payload_hex"])
            if (!/^([0-9a-f]{2})*$/.test(r[key])) return `"${key}" is not lowercase hex: ${JSON.stringify(r[key])}`;
        if (r.mask.length !== (r.masked ? 8 : 0)) return `"mask" is ${JSON.stringify(r.mask)} for masked ${r.masked}`;
        return "";
    }

    /* A frame record from a report: the report itself, and what this page
     * recomputes from it. msg is the message it belongs to (or null); sent,
     * the bytes to compare the payload with, defaults to msg's. */
    function makeFrame(report, msg, sent = msg && msg.bytes) {
        const key = wslab.parseHex(report.mask);
        const masked = wslab.parseHex(report.masked_hex);
        const payload = wslab.parseHex(report.payload_hex);
        const unmasked = key.length === 4 ? unmask(masked, key) : masked.slice();
        const offset = msg ? msg.frames.reduce((sum, f) => sum + f.report.length, 0) : 0;
        const shown = Math.min(report.length, INSPECT_BYTES);
        let sentMatch = null; /* null: nothing to compare with */
        if (sent) sentMatch = payload.length === shown && sameBytes(payload, sent.subarray(offset, offset + shown));
        return {
            n: 0, msg, sent, report, key, masked, payload, unmasked, offset,
            xorOk: masked.length === payload.length && sameBytes(unmasked, payload),
            countOk: masked.length === shown && payload.length === shown,
            sentMatch,
        };
    }

    /* Everything this page checks about one frame, as [ok, text] pairs. */
    function frameChecks(f) {
        const r = f.report;
        const checks = [];
        const shown = Math.min(r.length, INSPECT_BYTES);
        checks.push([f.xorOk, `masked_hex ⊕ mask, recomputed here = ${f.unmasked.length ? wslab.toHex(f.unmasked, "") : "(empty)"}: ` +
            (f.xorOk ? "the server's payload_hex" : `but the server says ${r.payload_hex || "(empty)"}`)]);
        if (f.sentMatch !== null) {
            const which = f.msg ? `message #${f.msg.n}` : JSON.stringify(new TextDecoder().decode(f.sent));
            const range = shown ? `bytes ${f.offset}–${f.offset + shown - 1} of ${which}` : `${which} (empty)`;
            checks.push([f.sentMatch, f.sentMatch ? `the same as ${range}, as sent`
                : `not ${range} as sent (${wslab.toHex(f.sent.subarray(f.offset, f.offset + shown), "") || "nothing"})`]);
        }
        checks.push([r.masked, r.masked ? "MASK = 1: a client must mask every frame (§5.1)" : "MASK = 0: a server must fail this connection (1002)"]);
        if (r.masked) {
            const zero = r.mask === "00000000";
            checks.push([!zero, zero ? "the mask key is 00000000: not random at all" : `mask key ${r.mask}: fresh and random for each frame`]);
        }
        if (!f.countOk) checks.push([false, `the report should carry ${shown} payload bytes (the first ${INSPECT_BYTES} at most)`]);
        return checks;
    }

    /* ------------------------------------------------------------------ */
    /* One frame in detail. */

    /* The two first header bytes as 16 bits, with the fields named under
     * them and their values. */
    function bitsDiagram(r) {
        const form = wslab.lengthForm(r.length);
        const byte0 = (r.fin ? 0x80 : 0) | ((r.rsv & 7) << 4) | (r.opcode & 0x0f);
        const byte1 = (r.masked ? 0x80 : 0) | form.code;
        const grid = el("div", { class: "bits", title: "RFC 6455 §5.2: the first two bytes of every frame" });
        const hex2 = (b) => "0x" + b.toString(16).padStart(2, "0");
        grid.append(
            el("div", { class: "byte", style: "grid-column: 1 / span 8" }, `byte 0 = ${hex2(byte0)}`),
            el("div", { class: "byte", style: "grid-column: 9 / span 8" }, `byte 1 = ${hex2(byte1)}`));
        const fieldOf = (i) => (i === 0 ? "f-fin" : i < 4 ? "f-rsv" : i < 8 ? "f-op" : i === 8 ? "f-mbit" : "f-len");
        for (let i = 0; i < 16; i++) {
            const bit = ((i < 8 ? byte0 : byte1) >> (7 - (i % 8))) & 1;
            grid.append(el("div", { class: `bit ${fieldOf(i)}${i === 8 ? " first-of-byte1" : ""}` }, String(bit)));
        }
        const lenText = form.code <= 125 ? String(form.code) : `${form.code}: ${form.name} length follows`;
        const fields = [
            [1, "f-fin", "FIN", r.fin ? "1" : "0"],
            [1, "f-rsv", "RSV1", String((r.rsv >> 2) & 1)],
            [1, "f-rsv", "RSV2", String((r.rsv >> 1) & 1)],
            [1, "f-rsv", "RSV3", String(r.rsv & 1)],
            [4, "f-op", "opcode", `${r.opcode} ${opcodeName(r.opcode)}`],
            [1, "f-mbit", "MASK", r.masked ? "1" : "0"],
            [7, "f-len", "payload len", lenText],
        ];
        for (const [span, cls, name] of fields)
            grid.append(el("div", { class: `name ${cls}`, style: `grid-column: span ${span}` }, name));
        for (const [span, , , value] of fields)
            grid.append(el("div", { class: "value", style: `grid-column: span ${span}` }, value));
        return grid;
    }

    /* The whole header, rebuilt from the report, its parts coloured. */
    function headerBytes(r, key) {
        const form = wslab.lengthForm(r.length);
        const header = wslab.frameHeader({ fin: r.fin, rsv: r.rsv, opcode: r.opcode, length: r.length, mask: r.masked ? key : null });
        const part = (cls, bytes, label) =>
            el("span", { class: "part" }, el("span", { class: cls }, wslab.toHex(bytes)), el("span", { class: "lbl" }, label));
        const line = el("div", { class: "header-bytes", title: "The header as it was on the wire, rebuilt from the report's fields" },
            el("span", { class: "lbl" }, `header, ${header.length} bytes:`),
            part("f-op", header.subarray(0, 2), "FIN…len"));
        if (form.extra) line.append(part("f-ext", header.subarray(2, 2 + form.extra), `= ${r.length} (${form.name})`));
        if (r.masked) line.append(part("f-key", header.subarray(2 + form.extra), "mask key"));
        line.append(el("span", { class: "lbl" }, `then ${r.length} payload byte${r.length === 1 ? "" : "s"}`));
        return line;
    }

    /* masked ⊕ key = payload, a column per byte, each key byte its colour. */
    function xorTable(f) {
        const n = f.masked.length;
        const row = (cls, label, cell) => {
            const tr = el("tr", { class: cls }, el("th", {}, label));
            for (let i = 0; i < n; i++) tr.append(cell(i));
            return tr;
        };
        const hex = (b) => (b === undefined ? "··" : b.toString(16).padStart(2, "0"));
        const ch = (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : "·");
        const keyed = f.key.length === 4;
        return el("table", { class: "xor" },
            row("idx", "i", (i) => el("td", {}, String(i))),
            row("", "masked[i]", (i) => el("td", {}, hex(f.masked[i]))),
            row("", keyed ? "⊕ key[i mod 4]" : "(no key)", (i) => el("td", { class: keyed ? "k" + (i % 4) : "" }, keyed ? hex(f.key[i % 4]) : "")),
            row("pay", "= payload[i]", (i) => el("td", {}, hex(f.unmasked[i]))),
            row("chr", "as ASCII", (i) => el("td", {}, ch(f.unmasked[i]))),
            row("", "server says", (i) => {
                const ok = f.payload[i] === f.unmasked[i];
                return el("td", { class: "tick " + (ok ? "ok" : "bad"), title: `payload_hex byte ${i}: ${hex(f.payload[i])}` }, ok ? "✓" : hex(f.payload[i]));
            }));
    }

    function renderDetail() {
        const box = $("#detail");
        const f = selected || frames[frames.length - 1] || makeExampleFrame();
        const r = f.report;
        const caption = el("div", { class: "caption" });
        if (f.example) {
            caption.append(el("b", {}, "RFC 6455 §5.7's example"), " (not from the server): a masked text frame carrying ",
                el("code", {}, '"Hello"'), ". Connect and send something to see your browser's frames.");
        } else {
            caption.append(el("b", {}, `Frame #${f.n}`));
            if (f.msg) {
                const whole = f.msg.frames.length === 1 && r.fin && f.offset === 0;
                caption.append(` of message #${f.msg.n} (${f.msg.label})`,
                    whole ? ": the whole message in one frame" : `: payload bytes ${f.offset}–${f.offset + r.length - 1} of ${f.msg.size}`);
            }
            caption.append(". The server's report: ", el("code", { class: "small" }, JSON.stringify(r)));
        }
        const shown = f.masked.length;
        const xorNote = r.length > shown
            ? `The first ${shown} of ${r.length} payload bytes (the report carries at most ${INSPECT_BYTES}):`
            : `The ${shown} payload byte${shown === 1 ? "" : "s"}, unmasked here in JavaScript:`;
        const checks = el("ul", { class: "checks" });
        for (const [ok, text] of frameChecks(f))
            checks.append(el("li", {}, el("span", { class: "tick " + (ok ? "ok" : "bad") }, ok ? "✓ " : "✗ "), text));
        const xor = shown ? el("div", { class: "xor-box" }, xorTable(f)) : null;
        box.replaceChildren(caption, bitsDiagram(r), headerBytes(r, f.key),
            el("div", { class: "note" }, shown ? xorNote : "No payload: nothing to unmask."), xor, checks);
        box.dataset.frame = f.example ? "example" : String(f.n);
        box.dataset.ok = frameChecks(f).every(([ok]) => ok) ? "yes" : "no";
    }

    function makeExampleFrame() {
        return Object.assign(makeFrame(RFC_EXAMPLE, null, encoder.encode("Hello")), { example: true });
    }

    /* ------------------------------------------------------------------ */
    /* The tables. */

    function renderFrames() {
        const rows = frames.slice(-MAX_ROWS).reverse().map((f) => {
            const r = f.report;
            const form = wslab.lengthForm(r.length);
            const ok = frameChecks(f).every(([good]) => good);
            const tr = el("tr", { class: f === selected ? "selected" : "", title: "click: show this frame" },
                el("td", { class: "num" }, String(f.n)),
                el("td", { class: "num" }, f.msg ? "#" + f.msg.n : "–"),
                el("td", {}, `${r.opcode} ${opcodeName(r.opcode)}`),
                el("td", { class: "mono" }, r.fin ? "1" : "0"),
                el("td", { class: "num" }, String(r.length)),
                el("td", { class: "mono" }, form.code <= 125 ? "7-bit" : `${form.code} → ${form.name}`),
                el("td", { class: "mono" }, r.mask || "–"),
                el("td", {}, el("span", { class: "tick " + (ok ? "ok" : "bad") }, ok ? "✓" : "✗")));
            tr.addEventListener("click", () => {
                selected = f;
                renderFrames();
                renderDetail();
            });
            return tr;
        });
        $("#frames tbody").replaceChildren(...rows);
        const bad = frames.filter((f) => !frameChecks(f).every(([ok]) => ok)).length;
        const pill = $("#frame-pill");
        pill.textContent = frames.length ? (bad ? `${bad} frame${bad > 1 ? "s" : ""} ✗` : `${frames.length} frames ✓`) : "–";
        pill.className = "pill " + (frames.length ? (bad ? "bad" : "ok") : "");
        $("#frame-count").textContent = String(frames.length);
    }

    /* Records a frame the server sent: opcode, the payload's length and its
     * first bytes, and what it was. */
    function addServerFrame(what, opcode, payload) {
        const header = wslab.frameHeader({ opcode, length: payload.length });
        serverFrames.push({ n: nextServerFrame++, what, opcode, length: payload.length, header, start: payload.subarray(0, 8) });
        if (serverFrames.length > MAX_ROWS) serverFrames.shift();
        const rows = serverFrames.slice().reverse().map((s) => {
            const form = wslab.lengthForm(s.length);
            const hex = el("td", { class: "hdr" },
                el("span", { class: "f-op" }, wslab.toHex(s.header.subarray(0, 2))),
                form.extra ? el("span", { class: "f-ext" }, " " + wslab.toHex(s.header.subarray(2))) : null);
            return el("tr", {},
                el("td", { class: "num" }, String(s.n)),
                el("td", {}, s.what),
                hex,
                el("td", { class: "num", title: `${form.name} length form` }, String(s.length)),
                el("td", { class: "mono" }, startText(s)));
        });
        $("#server-frames tbody").replaceChildren(...rows);
        $("#server-pill").textContent = `${nextServerFrame - 1} frames`;
    }

    /* The first payload bytes of a server frame: text as text, the rest
     * (binary, close) as hex. */
    function startText(s) {
        if (s.opcode === 1) return wslab.escapeBytes(s.start, { lineBreaks: false, max: 8 }) + (s.length > 8 ? "…" : "");
        return wslab.toHex(s.start.subarray(0, 6)) + (s.length > 6 ? " …" : "");
    }

    function renderCodes() {
        const rows = LISTED_CODES.map((code) =>
            el("div", { class: seenCodes.has(code) ? "seen" : "" }, el("b", {}, String(code)), wslab.closeCodeMeaning(code)));
        const ranges = [[3000, 3999], [4000, 4999]].map(([lo, hi]) => {
            const seen = [...seenCodes].some((c) => c >= lo && c <= hi);
            return el("div", { class: seen ? "seen" : "" }, el("b", {}, `${lo}–${hi}`), wslab.closeCodeMeaning(lo));
        });
        $("#codes").replaceChildren(...rows, ...ranges);
    }

    /* ------------------------------------------------------------------ */
    /* The WebSocket. */

    function wsUrl(which) {
        return `ws://${location.host}/${which}`;
    }

    function chosenRoute() {
        return document.querySelector('input[name="route"]:checked').value;
    }

    function renderLive() {
        $("#ready-state").textContent = ws ? `${ws.readyState} ${READY_NAMES[ws.readyState]}` : "–";
        $("#buffered").textContent = ws ? wslab.formatBytes(ws.bufferedAmount) : "–";
        requestAnimationFrame(renderLive);
    }

    function setControls() {
        const state = ws ? ws.readyState : WebSocket.CLOSED;
        const open = state === WebSocket.OPEN;
        $("#connect").disabled = state !== WebSocket.CLOSED;
        $("#disconnect").disabled = !(state === WebSocket.CONNECTING || open);
        for (const button of document.querySelectorAll(".sends form button")) button.disabled = !open;
        for (const radio of document.querySelectorAll('input[name="route"]')) radio.disabled = state !== WebSocket.CLOSED;
        const pill = $("#state-pill");
        pill.textContent = ws ? `${READY_NAMES[state].toLowerCase()} · /${route}` : "not connected";
        pill.className = "pill " + (open ? "ok" : state === WebSocket.CLOSED ? "" : "warn");
        $("#ws-url").textContent = wsUrl(ws && state !== WebSocket.CLOSED ? route : chosenRoute());
        $("#sent-count").textContent = String(sentCount);
        $("#echo-count").textContent = echoBad ? `${echoCount} (${echoBad} ✗)` : String(echoCount);
    }

    function connect() {
        if (ws && ws.readyState !== WebSocket.CLOSED) return ws;
        route = chosenRoute();
        events = [];
        inflight = [];
        const socket = new WebSocket(wsUrl(route));
        socket.binaryType = "arraybuffer"; /* binary messages as ArrayBuffer, not Blob */
        ws = socket;
        log.sent(`new WebSocket("${wsUrl(route)}"), binaryType "arraybuffer"`);
        const current = () => socket === ws;
        socket.onopen = () => {
            events.push({ type: "open" });
            if (!current()) return;
            log.recv("open");
            setControls();
        };
        socket.onmessage = (event) => {
            if (current()) onMessage(event.data);
        };
        socket.onerror = () => {
            events.push({ type: "error" });
            if (!current()) return;
            log.error("error  (the API says no more; the browser's console may)");
            setControls();
        };
        socket.onclose = (event) => {
            events.push({ type: "close", code: event.code, reason: event.reason, wasClean: event.wasClean });
            if (current()) onClose(event);
        };
        setControls();
        return socket;
    }

    /* Sends a message of kind "text" (data: a string) or "binary" (data: a
     * Uint8Array) and remembers it until its echo comes. */
    function send(kind, data, label) {
        if (!ws || ws.readyState !== WebSocket.OPEN) return null;
        const bytes = kind === "text" ? encoder.encode(data) : data;
        const msg = {
            n: nextMessage++, kind, label, bytes, size: bytes.length, text: kind === "text" ? data : null,
            frames: [], complete: route === "echo", echo: null, echoOk: null,
        };
        ws.send(data);
        inflight.push(msg);
        sentCount++;
        const split = bytes.length > 65536 ? " if in one frame (large messages may be split)" : "";
        log.sent(`#${msg.n} send(${label}): ${bytes.length} B, header ${clientHeaderText(kind === "text" ? 1 : 2, bytes.length)}${split}`);
        setControls();
        return msg;
    }

    /* A message from the server: on /inspect a report while the oldest
     * message in flight still has frames to report, else an echo. */
    function onMessage(data) {
        const head = inflight[0];
        const isReport = route === "inspect" && typeof data === "string" && !(head && head.complete);
        if (isReport) onReport(data);
        else onEcho(data);
        setControls();
    }

    function onReport(text) {
        const bytes = encoder.encode(text);
        let report = null;
        try {
            report = JSON.parse(text);
        } catch (err) {
            /* falls through to the problem below */
        }
        const problem = report ? reportProblem(report) : "not JSON";
        if (problem) {
            log.error(`a report that cannot be read (${problem}): ${text.slice(0, 200)}`);
            addServerFrame("report: unreadable ✗", 1, bytes);
            return;
        }
        const isData = report.opcode < 8;
        const msg = isData ? inflight.find((m) => !m.complete) || null : null;
        const frame = makeFrame(report, msg);
        frame.n = nextFrame++;
        if (msg) {
            msg.frames.push(frame);
            if (report.fin) msg.complete = true;
        }
        frames.push(frame);
        if (frames.length > MAX_ROWS) frames.shift();
        /* A message split into a hundred frames would flood the log: its
         * first three reports and its last are enough there (the table has
         * them all). */
        const form = wslab.lengthForm(report.length);
        const nth = msg ? msg.frames.length : 1;
        if (nth <= 3 || report.fin)
            log.recv(`report of frame #${frame.n}: ${opcodeName(report.opcode)}, FIN ${report.fin ? 1 : 0}, ` +
                `length ${report.length} (${form.name}), mask ${report.mask || "none"}`);
        else if (nth === 4) log.info(`… more frames of message #${msg.n}: see the table`);
        addServerFrame(`report of frame #${frame.n}`, 1, bytes);
        renderFrames();
        if (!selected) renderDetail();
    }

    function onEcho(data) {
        const isText = typeof data === "string";
        const bytes = isText ? encoder.encode(data) : new Uint8Array(data);
        const msg = inflight.shift();
        echoCount++;
        if (!msg) {
            echoBad++;
            log.error(`a ${isText ? "text" : "binary"} message of ${bytes.length} B that echoes nothing sent`);
            addServerFrame("unexpected ✗", isText ? 1 : 2, bytes);
            return;
        }
        const sameType = isText === (msg.kind === "text");
        msg.echoOk = sameType && (isText ? data === msg.text : sameBytes(bytes, msg.bytes));
        msg.echo = { isText, length: bytes.length, type: isText ? "string" : data.constructor.name };
        if (!msg.complete) msg.echoOk = false; /* /inspect owed more reports first */
        if (!msg.echoOk) echoBad++;
        const what = `${isText ? "text" : "binary"} (${msg.echo.type}), ${bytes.length} B`;
        (msg.echoOk ? log.recv : log.error)(`echo of #${msg.n}: ${what} ${msg.echoOk ? "✓ as sent" : "✗ not what was sent" +
            (msg.complete ? "" : " (or it came before all its frames were reported)")}`);
        addServerFrame(`echo of #${msg.n} ${msg.echoOk ? "✓" : "✗"}`, isText ? 1 : 2, bytes);
        msg.bytes = null; /* the reports are checked: let big messages go */
        msg.text = null;
    }

    function onClose(event) {
        const { code, reason, wasClean } = event;
        seenCodes.add(code);
        const meaning = wslab.closeCodeMeaning(code);
        const line = `close  code ${code} (${meaning})  reason ${JSON.stringify(reason)}  wasClean ${wasClean}`;
        (wasClean ? log.recv : log.error)(line);
        let frameText;
        if (code === 1006) frameText = "no close frame came";
        else {
            const payload = code === 1005 ? new Uint8Array(0) : closePayload(code, reason);
            addServerFrame(code === 1005 ? "close, no code" : `close ${code}`, 8, payload);
            frameText = "server's close frame " + wslab.toHex(wslab.frameHeader({ opcode: 8, length: payload.length })) +
                (payload.length ? " " + wslab.toHex(payload) : "");
        }
        const entry = el("div", { class: wasClean ? "recv" : "error" },
            el("span", { class: "t" }, wslab.formatClock() + " "),
            `${code} ${meaning} · reason ${JSON.stringify(reason)} · wasClean ${wasClean} · ${frameText}`);
        $("#closes").append(entry);
        $("#closes").scrollTop = $("#closes").scrollHeight;
        const pill = $("#close-pill");
        pill.textContent = `last: ${code}${wasClean ? " clean" : " not clean"}`;
        pill.className = "pill " + (wasClean ? "ok" : "bad");
        if (inflight.length) log.info(`${inflight.length} message${inflight.length > 1 ? "s" : ""} never echoed`);
        renderCodes();
        setControls();
    }

    /* ws.close(code, reason) from the Close row: the browser checks both and
     * throws before sending anything if it does not like them. */
    function closeWith(codeText, reason) {
        if (!ws || ws.readyState !== WebSocket.OPEN) return false;
        const hasCode = codeText.trim() !== "";
        const code = Number(codeText);
        const call = hasCode ? `ws.close(${code}, ${JSON.stringify(reason)})` : "ws.close()";
        try {
            if (hasCode) ws.close(code, reason);
            else ws.close();
        } catch (err) {
            log.error(`${call}: ${err.name}: ${err.message}`);
            return false;
        }
        const payload = hasCode ? closePayload(code, reason) : new Uint8Array(0);
        log.sent(`${call}: the browser sends a close frame, header ${clientHeaderText(8, payload.length)}` +
            (payload.length ? `, payload ${wslab.toHex(payload)} masked` : ", no payload"));
        setControls();
        return true;
    }

    /* ------------------------------------------------------------------ */
    /* The controls. */

    $("#connect").addEventListener("click", connect);
    $("#disconnect").addEventListener("click", () => closeWith("", ""));
    for (const radio of document.querySelectorAll('input[name="route"]')) radio.addEventListener("change", setControls);

    $("#text-form").addEventListener("submit", (event) => {
        event.preventDefault();
        const text = $("#text").value;
        send("text", text, JSON.stringify(text));
    });

    $("#hex-form").addEventListener("submit", (event) => {
        event.preventDefault();
        let bytes;
        try {
            bytes = wslab.parseHex($("#hex").value);
        } catch (err) {
            log.error("binary: " + err.message);
            return;
        }
        const shown = wslab.toHex(bytes.subarray(0, 16)) + (bytes.length > 16 ? " …" : "");
        send("binary", bytes, `Uint8Array [${shown}]`);
    });

    $("#size-form").addEventListener("submit", (event) => {
        event.preventDefault();
        const n = Number($("#size").value);
        const kind = $("#size-kind").value;
        send(kind, sizedMessage(n, kind), `${kind}, ${n} bytes`);
    });

    $("#close-form").addEventListener("submit", (event) => {
        event.preventDefault();
        closeWith($("#close-code").value, $("#close-reason").value);
    });

    /* What a ping with this payload looks like both ways (§5.5.2, §5.5.3). */
    function showPingFrames() {
        const payload = encoder.encode($("#ping-text").value);
        const pre = $("#ping-frames");
        if (payload.length > 125) {
            pre.textContent = `${payload.length} bytes: a control frame carries at most 125 (§5.5)`;
            return;
        }
        const ping = wslab.frameHeader({ opcode: 9, length: payload.length, mask: [0, 0, 0, 0] });
        const pong = wslab.frameHeader({ opcode: 10, length: payload.length });
        pre.textContent = [
            `→ ping  ${wslab.toHex(ping.subarray(0, 2))} + key + ${payload.length} masked bytes`,
            `← pong  ${wslab.toHex(pong)} ${wslab.toHex(payload.subarray(0, 12))}${payload.length > 12 ? " …" : ""}  (same payload, unmasked)`,
        ].join("\n");
    }
    $("#ping-text").addEventListener("input", showPingFrames);

    function showTerminal() {
        const host = location.host;
        $("#terminal").textContent = [
            "# your client (make check LAB=3 builds it; build/ref/ has the reference)",
            `printf 'Hello\\n' | build/student/03-framing/wsc ws://${host}/inspect`,
            "# a ping: the server reports the frame, then answers with a pong",
            `build/student/03-framing/wsc --ping 'are you there?' ws://${host}/inspect </dev/null`,
            "# binary, and a close code a page may not send",
            `echo hi | build/student/03-framing/wsc --binary --close 1001 ws://${host}/echo`,
            "# the frames on the wire (loopback, needs root)",
            `tcpdump -i lo -X 'tcp port ${location.port || 80}'`,
        ].join("\n");
    }

    function main() {
        $("#origin").textContent = `served by ${location.host}`;
        showPingFrames();
        showTerminal();
        renderCodes();
        renderFrames();
        renderDetail();
        setControls();
        renderLive();
        if (wslab.selftest.enabled) wslab.selftest.run(selfTest, { timeoutMs: 20000 });
        else connect();
    }

    /* ------------------------------------------------------------------ */
    /* ?selftest=1 */

    /* Sends through a form of the page and waits for the echo; returns the
     * message record. */
    async function sendAndWait(form, what, timeoutMs = 4000) {
        const before = nextMessage;
        form.requestSubmit();
        if (nextMessage === before) throw new Error(`${what}: the form sent nothing`);
        const msg = inflight.find((m) => m.n === before);
        if (!msg) throw new Error(`${what}: no message in flight`);
        await wslab.waitFor(() => msg.echo !== null || events.some((e) => e.type === "close"), `the echo of ${what}`, timeoutMs);
        if (msg.echo === null) throw new Error(`${what}: the connection closed before the echo (${closeText()})`);
        return msg;
    }

    function closeText() {
        const c = events.find((e) => e.type === "close");
        return c ? `close ${c.code} ${JSON.stringify(c.reason)} wasClean ${c.wasClean}` : "no close";
    }

    /* The checks every data frame of a message must pass, and the reported
     * lengths summing to the message's. */
    function checkFrames(msg, what, opcode, length) {
        if (!msg.frames.length) throw new Error(`${what}: /inspect reported no frame`);
        let total = 0;
        msg.frames.forEach((f, i) => {
            const r = f.report;
            const wantOpcode = i === 0 ? opcode : 0;
            const last = i === msg.frames.length - 1;
            if (r.opcode !== wantOpcode) throw new Error(`${what}: frame ${i + 1} has opcode ${r.opcode}, expected ${wantOpcode}`);
            if (r.fin !== last) throw new Error(`${what}: frame ${i + 1} has fin ${r.fin}`);
            if (r.rsv !== 0) throw new Error(`${what}: rsv ${r.rsv}, expected 0`);
            const bad = frameChecks(f).find(([ok]) => !ok);
            if (bad) throw new Error(`${what}: frame ${i + 1}: ${bad[1]} (report ${JSON.stringify(r)})`);
            total += r.length;
        });
        if (total !== length) throw new Error(`${what}: reported lengths add up to ${total}, expected ${length}`);
    }

    async function selfTest() {
        /* The helpers, on fixed values. */
        const h = (o) => wslab.toHex(wslab.frameHeader(o));
        const fixed = [
            [h({ opcode: 1, length: 5 }), "81 05"],
            [h({ opcode: 1, length: 5, mask: [0x37, 0xfa, 0x21, 0x3d] }), "81 85 37 fa 21 3d"],
            [h({ opcode: 2, length: 126 }), "82 7e 00 7e"],
            [h({ opcode: 1, length: 65535 }), "81 7e ff ff"],
            [h({ opcode: 1, length: 65536 }), "81 7f 00 00 00 00 00 01 00 00"],
            [wslab.toHex(unmask(wslab.parseHex("7f9f4d5158"), wslab.parseHex("37fa213d")), ""), "48656c6c6f"],
        ];
        for (const [got, want] of fixed) if (got !== want) throw new Error(`frame helper: got ${got}, expected ${want}`);

        /* Connect to /inspect through the page's controls. */
        document.querySelector('input[name="route"][value="inspect"]').checked = true;
        $("#connect").click();
        await wslab.waitFor(() => events.length > 0, "onopen", 4000);
        if (events[0].type !== "open") throw new Error(`the connection to /inspect failed: ${events.map((e) => e.type).join(", ")} (${closeText()})`);

        /* Text "Hello": one frame, reported, unmasked here, echoed. */
        $("#text").value = "Hello";
        const hello = await sendAndWait($("#text-form"), 'text "Hello"');
        checkFrames(hello, '"Hello"', 1, 5);
        const hr = hello.frames[0].report;
        if (hello.frames.length !== 1 || !hr.fin || hr.opcode !== 1 || !hr.masked || hr.length !== 5)
            throw new Error(`"Hello": report ${JSON.stringify(hr)}, expected fin true, opcode 1, masked true, length 5`);
        const unmasked = wslab.toHex(unmask(wslab.parseHex(hr.masked_hex), wslab.parseHex(hr.mask)), "");
        if (unmasked !== "48656c6c6f" || hr.payload_hex !== "48656c6c6f")
            throw new Error(`"Hello": masked_hex ⊕ mask = ${unmasked}, payload_hex ${hr.payload_hex}; expected 48656c6c6f`);
        if (hr.mask === "00000000") throw new Error('"Hello": the browser\'s mask key is 00000000');
        if (!hello.echoOk || !hello.echo.isText) throw new Error(`"Hello": the echo is not the text "Hello" (${JSON.stringify(hello.echo)})`);

        /* Binary 00 01 02 ff: opcode 2, back as an ArrayBuffer. */
        $("#hex").value = "00 01 02 ff";
        const bin = await sendAndWait($("#hex-form"), "binary 00 01 02 ff");
        checkFrames(bin, "binary", 2, 4);
        if (!bin.echoOk || bin.echo.type !== "ArrayBuffer")
            throw new Error(`binary: the echo is not the 4 bytes as an ArrayBuffer (${JSON.stringify(bin.echo)})`);

        /* 200 and 70 000 bytes: the 16-bit and the 64-bit length forms. */
        const forms = [];
        for (const [n, code, serverHeader] of [[200, 126, "81 7e 00 c8"], [70000, 127, "81 7f 00 00 00 00 00 01 11 70"]]) {
            $("#size").value = String(n);
            $("#size-kind").value = "text";
            const msg = await sendAndWait($("#size-form"), `${n} bytes`, 6000);
            checkFrames(msg, `${n} bytes`, 1, n);
            const first = msg.frames[0].report;
            if (msg.frames.length === 1 && wslab.lengthForm(first.length).code !== code)
                throw new Error(`${n} bytes: one frame of length ${first.length}, expected the ${code} length form`);
            if (!msg.echoOk) throw new Error(`${n} bytes: the echo differs from what was sent`);
            const echoed = serverFrames.find((s) => s.what.startsWith(`echo of #${msg.n} `));
            if (!echoed || wslab.toHex(echoed.header) !== serverHeader)
                throw new Error(`${n} bytes: the echo's header is rebuilt as ${echoed ? wslab.toHex(echoed.header) : "nothing"}, expected ${serverHeader}`);
            forms.push(msg.frames.length === 1 ? `${n} → ${code}` : `${n} → ${msg.frames.length} frames`);
        }

        /* The closing handshake, with a code and a reason of our own. */
        $("#close-code").value = "4000";
        $("#close-reason").value = "bye";
        $("#close-form").requestSubmit();
        await wslab.waitFor(() => events.some((e) => e.type === "close"), "onclose after ws.close(4000, \"bye\")", 4000);
        /* The server answers with the same code (§5.5.1, ws.h); the reason
         * of its close is its own: ours echoed, or none. */
        const closed = events.find((e) => e.type === "close");
        if (closed.code !== 4000 || !["bye", ""].includes(closed.reason) || !closed.wasClean)
            throw new Error(`close: code ${closed.code}, reason ${JSON.stringify(closed.reason)}, wasClean ${closed.wasClean}; expected 4000, "bye" or "", true`);
        if (events.some((e) => e.type === "error")) throw new Error("an error event came");

        /* Leave "Hello" on screen: the easiest frame to read. */
        selected = hello.frames[0];
        renderFrames();
        renderDetail();
        if ($("#detail").dataset.ok !== "yes") throw new Error("the page shows ✗ for the Hello frame");
        return `"Hello": 1 frame, mask ${hr.mask}, unmasked ✓, echoed; binary 00 01 02 ff echoed as ArrayBuffer; ` +
            `length forms ${forms.join(", ")}, echoes ✓; ws.close(4000, "bye") → close ${closed.code} ${JSON.stringify(closed.reason)} clean`;
    }

    main();
})();
