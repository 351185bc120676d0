// A crowd of /foreman/events subscribers in a process of its own (as browsers are), so their reading
// does not count against the event loop of the foreman under test.
// usage: node sse-crowd.mjs HOST:PORT READING STALLED. Prints "ready" once every one is connected.
// Reading subscribers read and discard; stalled ones never read a byte.
import net from 'node:net';

const [hostPort, reading, stalled] = process.argv.slice(2);
const [host, port] = hostPort.split(':');
const kinds = [...Array(Number(reading)).fill(true), ...Array(Number(stalled)).fill(false)];
let connected = 0;
for (const read of kinds) {
  const socket = net.connect(Number(port), host, () => {
    socket.write(`GET /foreman/events HTTP/1.1\r\nHost: ${hostPort}\r\nAccept: text/event-stream\r\n\r\n`);
    if (read) socket.resume();
    else socket.pause();
    if (++connected === kinds.length) process.stdout.write('ready\n');
  });
  socket.on('error', () => {});
}
