// Package cmdgw is the CMD gateway: libswift's text protocol for controlling the daemon
// over TCP, plus a few commands scripts and the ppsppd CLI need. A script written for
// libswift's CMD port (swift -c) works unchanged.
//
// # Transport
//
// TCP, by default on 127.0.0.1:6777 (DefaultAddr); another address is the operator's
// explicit choice and is logged as a warning, since the protocol has no authentication.
// One command per line; clients may end lines with LF or CRLF, the daemon sends CRLF.
// Lines are at most 4 KiB (Options.MaxLineBytes); at most 1024 clients at once
// (Options.MaxClients).
//
// # libswift's commands
//
//	START <tswift-url> [destdir [metadir]]
//	REMOVE <hex> <removestate 0|1> <removecontent 0|1>
//	MAXSPEED <hex> DOWNLOAD|UPLOAD <KiB/s>     (a float; 0 = no cap)
//	CHECKPOINT <hex>
//	SETMOREINFO <hex> 0|1
//	PEERADDR <hex> <host:port>
//	SHUTDOWN
//
// They answer nothing on success, like libswift's. START answers, for a swarm not yet
// held, "INFO <hex> 2 0/0 0.000000 0.000000 0 0" at once, then the swarm's INFO once it is
// added, then INFO every second on that connection, and PLAY once the swarm is playable.
// destdir is handed to the manager, which places the content there only if it resolves
// inside the configured content directory (swarms.ResolveInside). metadir is accepted and
// ignored: state files live beside the content. TUNNEL* (libswift's UDP tunnel) is not
// supported.
//
// Lines the daemon sends for them:
//
//	INFO <hex> <status> <have>/<size> <down B/s> <up B/s> <leechers> <seeders>
//	PLAY <hex> <http-gateway-base>/<hex>
//	MOREINFO <hex> {"timestamp":"<unix s>", "channels":[{"ip": ..., "port": ..., "raw_bytes_up": ..., "raw_bytes_down": ..., "bytes_up": ..., "bytes_down": ... }, ...], "raw_bytes_up": ..., ... }
//	ERROR <hex, or 40 zeros> <text>
//
// status is libswift's code (swarms.State): 0 allocating, 2 hash checking, 3 downloading,
// 4 seeding, 5 stopped, 6 error. Rates have six decimals. size is the content length,
// or the chunk-rounded length while only the chunk count is known, or 0. PLAY is sent
// when the HTTP gateway is configured and 256 KiB (or all content) is verified. ERROR
// texts begin with libswift's words — "unknown command", "missing parameter", "bad
// parameter", and "bad swarm" for a START the manager refused — then say why.
//
// INFO goes, as with libswift, to the connection that STARTed the swarm (or asked
// SETMOREINFO about it), for each such swarm it still holds; a second START of a swarm
// already held adopts it on that connection instead of failing.
//
// # Where ppsppd differs: it is not fragile
//
//   - An ERROR never closes the connection (libswift closes it, and then exits).
//   - A client that leaves never stops the daemon nor its swarms (libswift stops the
//     client's swarms and, with the last connection, itself).
//   - SHUTDOWN stops the daemon only when the config allows it (off by default);
//     otherwise the reply is "ERROR <zeros> shutdown refused: <why>".
//   - Unknown swarms, bad hex, wrong or extra arguments, over-long lines, control
//     characters and binary garbage each get one ERROR line; the connection and every
//     other client go on. A client over the connection cap gets an ERROR and is closed.
//
// # Live streams
//
// libswift's CMD gateway has no live command. Here START and ADD of a live swarm ID (an
// algorithm byte and a public key, never the length of a root hash) join the stream as
// LIVE JOIN does; START's destdir does not apply (a live stream is kept in memory, its
// discard window only) and ADD refuses dest=. A live swarm's INFO and SWARM lines show
// have/0: have is the stream so far (up to its live edge) and it has no size; its SWARM
// note starts with "live" (or "live source"). PLAY is sent once a chunk is held. Live
// swarms are not kept across a restart of the daemon.
//
// # ppsppd's commands
//
// Each reply is zero or more lines, then a line "OK" (ADD of a swarm already held: "OK
// already added"), or a single ERROR line instead. Client.Do reads exactly that.
//
//	LIST [<hex>]
//	  SWARM <hex> <state> <have>/<size> <down B/s> <up B/s> <peers> [note]
//	  (state by name: allocating, hashchecking, downloading, seeding, stopped, error;
//	  whole bytes/s; note: why a swarm waits or failed)
//	PEERS <hex>
//	  PEER <ip:port> seeder|leecher <have-chunks> <bytes-up> <bytes-down> <raw-up> <raw-down>
//	LIMIT [<hex>|global] [up=<rate>] [down=<rate>]
//	  LIMIT <hex>|global up=<B/s> down=<B/s>     (after the change, if any; 0 = no cap;
//	  rate: bytes/s with an optional k, m, g suffix for KiB/s, MiB/s, GiB/s)
//	ADD <tswift-url|hex> [peer=<host:port>]... [dest=<path>]
//	  SWARM ... (START with a definite reply and no INFO lines)
//	RM <hex> [delete]
//	  (REMOVE with a reply; delete also removes content and state)
//	BOOSTER [FEEDS|SWARMS]
//	  BOOSTER interval=<d> sources=<n> failing=<n> swarms=<n>/<max|-> bytes=<n>/<max|-> links=<n> added=<n> skipped=<n> removed=<n>
//	  FEED <url|dir:path> ok|failing|pending last=<time|-> next=<time|-> checks=<n> not-modified=<n> errors=<n> links=<n>[ error=<text>]
//	  BSWARM <hex> <state> <have>/<size> up=<B/s> uploaded=<n> seeders=<n> added=<time> completed=<time|-> source=<url|dir:path>
//	  (the feed booster, internal/booster: its summary, a line per source, or a line per
//	  swarm it added; times in UTC, RFC 3339; an ERROR when the booster is off)
//	LIVE SOURCE <absolute-path> [key=<absolute-path>|sig=<alg>] [chunk=<bytes>] [integrity=umt|signall] [window=<chunks>] [follow=0|1]
//	  SWARM ... (inject a live stream, RFC 7574 §6, read from a file — followed as it
//	  grows, as tail -f, unless follow=0 — or a FIFO, read until LIVE STOP whoever writes
//	  it; inside the content directory or a [seed] path, as SEED's; signed with key=, or
//	  with a new key of sig= (default ecdsa-p256), whose swarm ID changes at each start)
//	LIVE JOIN <tswift-url|hex> [peer=<host:port>]... [integrity=umt|signall] [window=<chunks>]
//	  SWARM ... (join a live stream as a peer; OK already added if held)
//	LIVE STOP <hex>
//	  (RM for a live swarm; refused for a static one)
//	HELP
//	  HELP <text>, a line per command
//	VERSION
//	  VERSION ppsppd <version> PPSPP/1 (RFC 7574)
package cmdgw
