// Package httpgw is the HTTP gateway: it serves swarm content to players and browsers.
//
// Paths follow libswift's HTTP gateway so its links keep working:
//
//	GET|HEAD /SWARMHEX[$CHUNKSIZE][/FILENAME][?cs=N&cl=N&hf=N&ca=N&cp=N&v=N&t=IP:PORT&peer=IP:PORT&mt=TYPE]
//	GET      /watch/SWARMHEX[...same query...]   a page with an HTML5 <video> on the stream
//
// cs, cl and hf (chunk size, content length, Merkle hash function code, RFC 7574 §7.6) are
// used when the request starts a swarm the daemon does not have; t (libswift's tracker) and
// peer name peers to fetch it from; mt sets the Content-Type. Other libswift keys are accepted
// and ignored.
//
// Each request opens a reader on the swarm through the manager. A read at offset X moves
// that reader's playback window to X and waits until the chunks covering X are verified, so
// the bytes sent are always verified ones; the request's context cancels the wait when the
// client hangs up. http.ServeContent does the Range, HEAD and If-* work; the gateway adds the
// ETag (the swarm ID: content named by its Merkle root never changes) and the Content-Type.
//
// A live swarm (RFC 7574 §6; the manager implements LiveManager) is served from its chunk
// buffer instead, as an open-ended 200 response without Content-Length that starts a few
// chunks behind the live edge at a place a player can start (an MPEG-TS packet boundary) and
// follows the stream until the client leaves (live.go); its /watch page says which players
// play it (live_watch.go).
package httpgw
