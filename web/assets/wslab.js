/*
 * wslab.js — small helpers shared by every page of the kit.
 *
 * Each lab page makes a protocol visible: it sends something, shows what came
 * back, and keeps numbers (bytes, latencies). The pieces every page needs
 * live here, on one global object `wslab`, so that you can also call them
 * from the browser's console while you experiment, e.g.
 *
 *     wslab.hexView("GET / HTTP/1.1\r\n")
 *     wslab.escapeBytes(new Uint8Array([0x81, 0x05, 0x48, 0x65]))
 *
 * What is here:
 *   el(), $()                     build and find DOM nodes
 *   toBytes(), utf8Length()       text ↔ bytes (UTF-8)
 *   escapeBytes(), hexView()      bytes made readable; showControls() for text
 *   toHex(), parseHex()           bytes ↔ hex you can type
 *   frameHeader(), lengthForm()   a WebSocket frame's header bytes (RFC 6455 §5.2)
 *   OPCODES, closeCodeMeaning()   the names of opcodes and close codes
 *   wsUrl()                       ws:// or wss:// to this page's own server
 *   formatBytes(), formatMs(), formatClock(), median()
 *   sleep(), waitFor(), fetchWithTimeout(), responseHead(), timingEntry()
 *   createLog()                   a scrolling, time-stamped log panel
 *   selftest                      the ?selftest=1 mode used by `make test-browser`
 *
 * Plain script (no modules, no build step): include it with
 *   <script src="/assets/wslab.js"></script>
 */
"use strict";

window.wslab = (function () {
    const wslab = {};

    /* ---------------- DOM ---------------- */

    /* The first element matching a CSS selector (under root, default document). */
    wslab.$ = function (selector, root) {
        return (root || document).querySelector(selector);
    };

    /* Makes an element: el("li", {class: "x", title: "t"}, "text", child, …).
     * Strings become text nodes, so nothing is ever parsed as HTML. */
    wslab.el = function (tag, props, ...children) {
        const node = document.createElement(tag);
        for (const [key, value] of Object.entries(props || {})) {
            if (key === "class") node.className = value;
            else if (key === "dataset") Object.assign(node.dataset, value);
            else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
            else node.setAttribute(key, value);
        }
        for (const child of children) {
            if (child === null || child === undefined) continue;
            node.append(typeof child === "string" ? document.createTextNode(child) : child);
        }
        return node;
    };

    /* ---------------- bytes ---------------- */

    const encoder = new TextEncoder();

    /* A Uint8Array view of a string (encoded as UTF-8), an ArrayBuffer, a
     * typed array or an array of numbers. */
    wslab.toBytes = function (data) {
        if (typeof data === "string") return encoder.encode(data);
        if (data instanceof Uint8Array) return data;
        if (data instanceof ArrayBuffer) return new Uint8Array(data);
        if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
        if (Array.isArray(data)) return Uint8Array.from(data);
        throw new TypeError("toBytes: cannot turn " + typeof data + " into bytes");
    };

    /* How many bytes a string takes in UTF-8 (what goes on the wire). */
    wslab.utf8Length = function (text) {
        return encoder.encode(text).length;
    };

    /* The length of the well-formed UTF-8 sequence starting at bytes[i], or 0
     * if there is none (RFC 3629 §4: no overlongs, no surrogates, ≤ U+10FFFF). */
    function utf8SequenceLength(bytes, i) {
        const b0 = bytes[i];
        let need, lo = 0x80, hi = 0xbf;
        if (b0 >= 0xc2 && b0 <= 0xdf) need = 1;
        else if (b0 >= 0xe0 && b0 <= 0xef) {
            need = 2;
            if (b0 === 0xe0) lo = 0xa0;
            if (b0 === 0xed) hi = 0x9f;
        } else if (b0 >= 0xf0 && b0 <= 0xf4) {
            need = 3;
            if (b0 === 0xf0) lo = 0x90;
            if (b0 === 0xf4) hi = 0x8f;
        } else return 0;
        for (let k = 1; k <= need; k++) {
            const b = bytes[i + k];
            const min = k === 1 ? lo : 0x80, max = k === 1 ? hi : 0xbf;
            if (b === undefined || b < min || b > max) return 0;
        }
        return need + 1;
    }

    const utf8Decoder = new TextDecoder("utf-8");

    /* Bytes as text you can read, with nothing hidden: printable ASCII as is,
     * \r \n \t \\ as escapes, other control bytes and invalid UTF-8 as \xNN,
     * valid UTF-8 characters as themselves. With lineBreaks (the default) a
     * real line break follows each \n so that HTTP heads read line by line.
     * Output stops after max bytes with a note of how many were left out. */
    wslab.escapeBytes = function (data, options) {
        const opts = Object.assign({ max: 4096, lineBreaks: true }, options);
        const bytes = wslab.toBytes(data);
        const end = Math.min(bytes.length, opts.max);
        let out = "";
        for (let i = 0; i < end; i++) {
            const b = bytes[i];
            if (b === 0x0a) out += opts.lineBreaks ? "\\n\n" : "\\n";
            else if (b === 0x0d) out += "\\r";
            else if (b === 0x09) out += "\\t";
            else if (b === 0x5c) out += "\\\\";
            else if (b >= 0x20 && b < 0x7f) out += String.fromCharCode(b);
            else {
                const n = b >= 0x80 ? utf8SequenceLength(bytes, i) : 0;
                if (n > 0 && i + n <= end) {
                    out += utf8Decoder.decode(bytes.subarray(i, i + n));
                    i += n - 1;
                } else {
                    out += "\\x" + b.toString(16).padStart(2, "0");
                }
            }
        }
        if (bytes.length > end) out += `… (${bytes.length - end} more bytes)`;
        return out;
    };

    /* Text for display with its control characters shown as escapes in a
     * <span class="esc"> (a newline as \n, a tab as \t, others as \xNN),
     * so a message looks like what was sent. Returns a DocumentFragment. */
    wslab.showControls = function (text) {
        const fragment = document.createDocumentFragment();
        const names = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };
        for (const part of text.split(/([\x00-\x1f\x7f])/)) {
            if (part.length === 1 && /[\x00-\x1f\x7f]/.test(part)) {
                const code = names[part] || "\\x" + part.charCodeAt(0).toString(16).padStart(2, "0");
                fragment.append(wslab.el("span", { class: "esc" }, code));
            } else if (part) {
                fragment.append(part);
            }
        }
        return fragment;
    };

    /* A classic hex dump: offset, `width` bytes in hex, then the same bytes as
     * ASCII (a dot for anything unprintable).
     *   0000  48 54 54 50 2f 31 2e 31  0d 0a                    HTTP/1.1.. */
    wslab.hexView = function (data, options) {
        const opts = Object.assign({ width: 16, max: 4096 }, options);
        const bytes = wslab.toBytes(data);
        const end = Math.min(bytes.length, opts.max);
        const lines = [];
        for (let off = 0; off < end; off += opts.width) {
            const row = bytes.subarray(off, Math.min(off + opts.width, end));
            let hex = "", ascii = "";
            for (let k = 0; k < opts.width; k++) {
                if (k > 0 && k % 8 === 0) hex += " ";
                hex += k < row.length ? row[k].toString(16).padStart(2, "0") + " " : "   ";
                if (k < row.length) ascii += row[k] >= 0x20 && row[k] < 0x7f ? String.fromCharCode(row[k]) : ".";
            }
            lines.push(off.toString(16).padStart(4, "0") + "  " + hex + " " + ascii);
        }
        if (bytes.length > end) lines.push(`… (${bytes.length - end} more bytes)`);
        return lines.join("\n");
    };

    /* ---------------- WebSocket frames ---------------- */

    /* Bytes as lowercase hex, two digits each, joined by sep (default " "):
     * toHex([0x81, 0x05]) → "81 05"; toHex(bytes, "") → "8105". */
    wslab.toHex = function (data, sep = " ") {
        return Array.from(wslab.toBytes(data), (b) => b.toString(16).padStart(2, "0")).join(sep);
    };

    /* Hex as people type it → a Uint8Array: "00 01 ff", "0x00,0x01,0xff",
     * "00:01:ff" and "0001ff" all give [0, 1, 255]. Throws an Error saying
     * what is wrong (a character that is not hex, an odd number of digits). */
    wslab.parseHex = function (text) {
        const digits = text.replace(/0x/gi, "").replace(/[\s,:;-]+/g, "");
        const bad = digits.match(/[^0-9a-f]/i);
        if (bad) throw new Error(`"${bad[0]}" is not a hex digit`);
        if (digits.length % 2) throw new Error(`${digits.length} hex digits: bytes need two each`);
        const bytes = new Uint8Array(digits.length / 2);
        for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(digits.substr(2 * i, 2), 16);
        return bytes;
    };

    /* How a payload length is written in a frame header (§5.2), in its
     * shortest form: {code, extra} where code is the 7-bit field (the length
     * itself up to 125, 126 for a 16-bit length, 127 for a 64-bit one) and
     * extra the number of extended length bytes that follow (0, 2 or 8). */
    wslab.lengthForm = function (length) {
        if (length <= 125) return { code: length, extra: 0, name: "7-bit" };
        if (length <= 0xffff) return { code: 126, extra: 2, name: "16-bit" };
        return { code: 127, extra: 8, name: "64-bit" };
    };

    /* A frame header's bytes (§5.2), length in its shortest form:
     *   frameHeader({opcode: 1, length: 5})            → 81 05 (a server's text frame)
     *   frameHeader({opcode: 1, length: 5, mask: key}) → 81 85 k0 k1 k2 k3 (a client's)
     * fin defaults to true, rsv (the three RSV bits as a number 0–7) to 0. */
    wslab.frameHeader = function ({ fin = true, rsv = 0, opcode, length, mask = null }) {
        const form = wslab.lengthForm(length);
        const out = new Uint8Array(2 + form.extra + (mask ? 4 : 0));
        out[0] = (fin ? 0x80 : 0) | ((rsv & 7) << 4) | (opcode & 0x0f);
        out[1] = (mask ? 0x80 : 0) | form.code;
        const view = new DataView(out.buffer);
        if (form.extra === 2) view.setUint16(2, length);
        if (form.extra === 8) view.setBigUint64(2, BigInt(length));
        if (mask) out.set(wslab.toBytes(mask), 2 + form.extra);
        return out;
    };

    /* Opcode → name (§5.2, §11.8); the others are reserved. */
    wslab.OPCODES = { 0: "continuation", 1: "text", 2: "binary", 8: "close", 9: "ping", 10: "pong" };

    /* The WebSocket URL of a path on the server that sent this page:
     * wsUrl("/chat/lobby") → "ws://127.0.0.1:8004/chat/lobby" (wss:// when
     * the page came over https, §3). */
    wslab.wsUrl = function (path) {
        return (location.protocol === "https:" ? "wss://" : "ws://") + location.host + path;
    };

    /* Close status codes and what they mean (§7.4.1; 1012–1014 from the
     * IANA registry). */
    const CLOSE_CODES = {
        1000: "normal closure",
        1001: "going away (server shutting down, page left)",
        1002: "protocol error",
        1003: "unsupported data (e.g. binary to a text-only endpoint)",
        1005: "no status code in the close frame (never sent)",
        1006: "abnormal: no close frame, the connection dropped (never sent)",
        1007: "invalid data (e.g. text that is not UTF-8)",
        1008: "policy violation",
        1009: "message too big",
        1010: "the client needed an extension the server did not accept",
        1011: "internal error in the server",
        1012: "service restart",
        1013: "try again later",
        1014: "bad gateway",
        1015: "TLS handshake failed (never sent)",
    };

    /* What a close code means, in a few words. */
    wslab.closeCodeMeaning = function (code) {
        if (CLOSE_CODES[code]) return CLOSE_CODES[code];
        if (code >= 3000 && code <= 3999) return "application (registered with IANA: libraries, frameworks)";
        if (code >= 4000 && code <= 4999) return "application (private: your protocol's own meaning)";
        if (code >= 1016 && code <= 2999) return "reserved for the WebSocket standard (may not be sent)";
        return "not a valid close code";
    };

    /* ---------------- numbers ---------------- */

    /* 512 → "512 B", 1536 → "1.5 KiB", 3.2e6 → "3.1 MiB". */
    wslab.formatBytes = function (n) {
        if (!Number.isFinite(n)) return "–";
        if (n < 1024) return Math.round(n) + " B";
        const units = ["KiB", "MiB", "GiB", "TiB"];
        let value = n, unit = -1;
        do {
            value /= 1024;
            unit++;
        } while (value >= 1024 && unit < units.length - 1);
        return (value < 10 ? value.toFixed(1) : Math.round(value)) + " " + units[unit];
    };

    /* A duration in milliseconds for people: "0.42 ms", "12 ms", "1.25 s". */
    wslab.formatMs = function (ms) {
        if (ms === null || ms === undefined || !Number.isFinite(ms)) return "–";
        if (ms < 1) return ms.toFixed(2) + " ms";
        if (ms < 1000) return Math.round(ms) + " ms";
        if (ms < 60000) return (ms / 1000).toFixed(2) + " s";
        return (ms / 60000).toFixed(1) + " min";
    };

    /* "14:03:27.512" for a Date or a time in ms since 1970 (local time). */
    wslab.formatClock = function (time) {
        const d = time instanceof Date ? time : new Date(time === undefined ? Date.now() : time);
        const two = (n) => String(n).padStart(2, "0");
        return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, "0")}`;
    };

    /* The median of an array of numbers (null when empty). */
    wslab.median = function (values) {
        if (!values.length) return null;
        const sorted = values.slice().sort((a, b) => a - b);
        const mid = sorted.length >> 1;
        return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    };

    /* ---------------- HTTP from the browser ---------------- */

    wslab.sleep = function (ms) {
        return new Promise((resolve) => setTimeout(resolve, ms));
    };

    /* fetch(), but rejected after ms milliseconds (the request is aborted). */
    wslab.fetchWithTimeout = async function (url, options, ms) {
        const controller = new AbortController();
        const timer = setTimeout(() => controller.abort(), ms);
        try {
            return await fetch(url, Object.assign({}, options, { signal: controller.signal }));
        } finally {
            clearTimeout(timer);
        }
    };

    /* A fetch Response's head written the way it travelled, as far as the
     * browser lets us see it: the status line, then the headers (fetch gives
     * them lower-cased and sorted, and hides a few such as Set-Cookie). */
    wslab.responseHead = function (response, protocol) {
        const version = protocol === "h2" ? "HTTP/2" : "HTTP/1.1";
        const lines = [`${version} ${response.status} ${response.statusText}`.trimEnd()];
        for (const [name, value] of response.headers) lines.push(`${name}: ${value}`);
        return lines.join("\n");
    };

    /* The Resource Timing entry of the request to url that started at or
     * after `since` (a performance.now() time), or null. Entries appear when
     * a response has been read, so call this after reading the body. Useful
     * fields: encodedBodySize (body bytes as received), nextHopProtocol
     * ("http/1.1"), and the phases (connectStart, responseStart, …). Its
     * transferSize is not the real head size: Chromium adds a flat 300. */
    wslab.timingEntry = function (url, since) {
        const entries = performance.getEntriesByName(new URL(url, location.href).href, "resource");
        return entries.find((e) => e.startTime >= since) || null;
    };

    /* The browser keeps 250 timing entries by default, then stops adding:
     * empty the buffer when it fills so pages can keep measuring forever. */
    if (window.performance && performance.clearResourceTimings) {
        performance.addEventListener("resourcetimingbufferfull", () => performance.clearResourceTimings());
    }

    /* ---------------- a log panel ---------------- */

    /* Turns an element into a scrolling log of time-stamped lines and returns
     * {info, sent, recv, error, clear}. Each takes a string; `max` lines are
     * kept (oldest dropped). It scrolls along unless you scrolled up to read. */
    wslab.createLog = function (container, options) {
        const opts = Object.assign({ max: 500 }, options);
        container.classList.add("log");
        function add(kind, text) {
            const stick = container.scrollTop + container.clientHeight >= container.scrollHeight - 4;
            container.append(
                wslab.el("div", { class: kind }, wslab.el("span", { class: "t" }, wslab.formatClock() + " "), text)
            );
            while (container.childElementCount > opts.max) container.firstElementChild.remove();
            if (stick) container.scrollTop = container.scrollHeight;
        }
        return {
            info: (text) => add("info", text),
            sent: (text) => add("sent", "→ " + text),
            recv: (text) => add("recv", "← " + text),
            error: (text) => add("error", "✗ " + text),
            clear: () => container.replaceChildren(),
        };
    };

    /* ---------------- self-test mode ---------------- */

    /*
     * With ?selftest=1 in the URL a page drives itself and reports into
     *   <div id="selftest" data-status="pass|fail">PASS …|FAIL: reason</div>
     * which `make test-browser` (tests/browser/run.mjs) waits for. The page
     * calls wslab.selftest.run(async () => { …; return "summary"; }):
     * returning means PASS, throwing means FAIL with the error's message. An
     * uncaught error anywhere on the page, or running past the time limit,
     * is a FAIL too, so the runner never waits in vain.
     */
    const selftest = {
        enabled: new URLSearchParams(location.search).get("selftest") === "1",
        done: false,
    };

    /* The verdict element: the page's own #selftest if it has one, else a new
     * one at the top of <main> (or <body>). */
    function selftestElement() {
        let node = document.getElementById("selftest");
        if (!node) {
            node = wslab.el("div", { id: "selftest" });
            const host = document.querySelector("main") || document.body;
            host.prepend(node);
        }
        node.hidden = false;
        return node;
    }

    /* Sets the verdict once: status "pass" or "fail". Later calls are ignored. */
    selftest.report = function (status, text) {
        if (selftest.done) return;
        selftest.done = true;
        const node = selftestElement();
        node.textContent = status === "pass" ? "PASS " + text : "FAIL: " + text;
        node.dataset.status = status;
        (status === "pass" ? console.log : console.error)("selftest: " + node.textContent);
    };

    selftest.run = async function (test, options) {
        const opts = Object.assign({ timeoutMs: 25000 }, options);
        selftestElement().textContent = "selftest running…";
        window.addEventListener("error", (e) => selftest.report("fail", "uncaught error: " + e.message));
        window.addEventListener("unhandledrejection", (e) =>
            selftest.report("fail", "unhandled rejection: " + ((e.reason && e.reason.message) || e.reason))
        );
        const timer = setTimeout(
            () => selftest.report("fail", `no verdict after ${opts.timeoutMs} ms`),
            opts.timeoutMs
        );
        try {
            const summary = await test();
            selftest.report("pass", summary || "");
        } catch (err) {
            selftest.report("fail", (err && err.message) || String(err));
        } finally {
            clearTimeout(timer);
        }
    };

    /* Resolves once predicate() is true; rejects with "timed out waiting for
     * <what>" after timeoutMs. Checks every intervalMs. */
    wslab.waitFor = async function (predicate, what, timeoutMs = 10000, intervalMs = 50) {
        const deadline = performance.now() + timeoutMs;
        while (!predicate()) {
            if (performance.now() > deadline) throw new Error("timed out waiting for " + what);
            await wslab.sleep(intervalMs);
        }
    };

    wslab.selftest = selftest;
    return wslab;
})();
