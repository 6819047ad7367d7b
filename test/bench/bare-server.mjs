// The yardstick: a bare node:http server that reads the request body and answers a fixed small
// JSON body. It runs as its own process, like the sandbox, so both pay the same process costs.
import { createServer } from 'node:http';

const BODY = Buffer.from('{"return_code":1,"return_msg":"SUCCESS"}');

const server = createServer((req, res) => {
  req.on('data', () => {});
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': BODY.length });
    res.end(BODY);
  });
});

server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  console.log(`bare listening on http://127.0.0.1:${server.address().port}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
