// server.mjs — the chat and echo endpoints of Lab 4's `chat`, written for
// Node.js with the `ws` library, the way a typical ws application is
// written. `make bench` runs it beside `chat` to compare the two on the
// same work; it is not part of any lab.
//
//   node server.mjs [--port 8004]          (--port 0: any free port)
//
//   /echo                 every message comes back as it came (text or binary)
//   /chat, /chat/ROOM     ?name=NAME; the same text protocol as chat (hub.h):
//                         the newcomer gets "members N1 ... Nn" (joining order,
//                         itself last), the others "join NAME"; a text message
//                         T goes to every member, the sender included, as
//                         "msg NAME T"; on leaving the others get "leave NAME";
//                         a binary message is closed with 1003
//   anything else         404; a bad ROOM or NAME: 400
//
// Prints "listening on 127.0.0.1:PORT" when ready; SIGINT/SIGTERM close
// every client with 1001 and exit.
//
// The idioms, as in ws's own README: one WebSocketServer with noServer,
// handed the upgrades of a plain http server (so the path can be checked
// before the handshake); a room is a Set of sockets (a Set keeps insertion
// order, hence joining order) in a Map by name; a broadcast calls
// ws.send(string) once per member. ws then builds a frame for each
// recipient: its public API has no way to serialize a frame once and queue
// the same bytes on many sockets, as chat's hub does with one
// reference-counted buffer (that needs its internals: Sender.frame and the
// raw socket). Both servers validate UTF-8 and neither compresses
// (perMessageDeflate off, as is ws's default for a server).
import http from 'node:http';
import { WebSocketServer } from 'ws';

const NAME_MAX = 32; // hub.h's HUB_NAME_MAX
const NAME_CHARS = /^[A-Za-z0-9._-]+$/;
const MAX_MESSAGE = 16 * 1024 * 1024; // chat's default --max-message

function option(name, fallback) {
    const i = process.argv.indexOf(name);
    return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

function validName(s) {
    return s.length >= 1 && s.length <= NAME_MAX && NAME_CHARS.test(s);
}

// What a request target asks for: {echo: true}, {room, name}, or
// {status, why} to refuse it — chat.h's chat_parse_target, same rules: the
// path is /echo, /chat, /chat/ or /chat/ROOM (else 404); the first "name"
// parameter counts; ROOM and NAME are 1..32 of A-Z a-z 0-9 - _ . (else 400).
function parseTarget(target) {
    const q = target.indexOf('?');
    const path = q < 0 ? target : target.slice(0, q);
    if (path === '/echo') return { echo: true };
    const match = /^\/chat(?:\/([^/]*))?$/.exec(path);
    if (!match) return { status: 404, why: 'no such endpoint' };
    const room = match[1] || 'lobby';
    const params = q < 0 ? [] : target.slice(q + 1).split('&');
    const param = params.find((p) => p.split('=')[0] === 'name'); // "name" alone: empty
    const name = param === undefined ? '' : param.slice(5);
    if (!validName(room) || (param !== undefined && !validName(name)))
        return { status: 400, why: 'bad room or name' };
    return { room, name };
}

function refuse(socket, status, why) {
    const reason = status === 404 ? 'Not Found' : 'Bad Request';
    socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: text/plain\r\n` +
               `Content-Length: ${why.length + 1}\r\nConnection: close\r\n\r\n${why}\n`);
}

const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE, perMessageDeflate: false });
const rooms = new Map(); // room name → Set of sockets, in joining order
let clients = 0;         // numbers the guests

function echo(ws) {
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
}

function broadcast(room, text) {
    for (const member of room) member.send(text);
}

function join(ws, roomName, name) {
    let room = rooms.get(roomName);
    if (!room) rooms.set(roomName, (room = new Set()));
    broadcast(room, `join ${name}`);
    room.add(ws);
    ws.send(`members ${Array.from(room, (m) => m.name).join(' ')}`);

    ws.on('message', (data, isBinary) => {
        if (isBinary) ws.close(1003, 'text only');
        else broadcast(room, `msg ${name} ${data}`);
    });
    ws.on('close', () => {
        room.delete(ws);
        if (room.size === 0) rooms.delete(roomName);
        else broadcast(room, `leave ${name}`);
    });
}

const server = http.createServer((req, res) => {
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('WebSocket endpoints only\n');
});

server.on('upgrade', (req, socket, head) => {
    const target = parseTarget(req.url);
    if (target.status) return refuse(socket, target.status, target.why);
    wss.handleUpgrade(req, socket, head, (ws) => {
        clients++;
        if (target.echo) return echo(ws);
        ws.name = target.name || `guest-${clients}`;
        join(ws, target.room, ws.name);
    });
});

function stop() {
    server.close();
    for (const ws of wss.clients) ws.close(1001, 'server shutting down');
    // Clients that do not answer the close are not waited for long.
    setTimeout(() => process.exit(0), 1000).unref();
    wss.close(() => process.exit(0));
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);

server.listen(Number(option('--port', '8004')), '127.0.0.1', () => {
    console.log(`listening on 127.0.0.1:${server.address().port}`);
});
