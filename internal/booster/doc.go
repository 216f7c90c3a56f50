// Package booster helps seed new content: it watches RSS, Atom and JSON feeds (by URL) and a
// directory of text files for swarm links, has the swarm manager download each new swarm it
// finds, and lets it seed within limits.
//
// # Sources
//
// Each source is checked every Config.Interval. A feed is fetched with a conditional GET
// (If-None-Match with the last ETag, If-Modified-Since with the last Last-Modified), so an
// unchanged feed costs a 304 and no parsing; bodies are capped at Config.MaxFeedBytes. A
// directory's regular files are read only when their size or modification time changed.
// A source that fails (network error, HTTP error, a body that is not a feed) is retried
// after a backoff that doubles from 5 s up to 30 min, and counted; it never stops the
// daemon.
//
// # Links
//
// Extract finds, in item links, enclosure URLs, titles, descriptions and contents (and in
// the text of a directory's files): tswift:// and tswift:/ links, ppsp:// links (read as
// tswift links with the other scheme name), and bare swarm IDs, 40 hex digits (a SHA-1
// root) or 64 (a SHA-256 root), standing alone as a word. Hex inside another URL (a commit
// hash in a web link, say) is not a swarm ID. Each swarm is added once: a link seen
// before, in any source, is not added again, even after the booster removed its swarm.
//
// # Peers
//
// A link's peer is handed to the manager with the swarm. A link without one relies on the
// DHT (internal/discovery/dht), which, when enabled, looks up peers for every download
// that has too few and announces every swarm the daemon holds, the booster's included.
//
// # Limits and what goes first
//
// Only swarms the booster added are ever removed, with their content and checkpoint; a
// swarm the user added (before the booster saw its link) is never touched, and one the user
// asks for after the booster added it (ADD or START on the CMD port) becomes the user's
// (Release). Between a limit's decision and the removal that check is not atomic: an ADD
// in the very same instant may still lose its swarm. A booster swarm
// is removed when it has seeded for Config.SeedTime, or uploaded Config.SeedRatio times
// its size. When a new link arrives while Config.MaxSwarms booster swarms are held, the
// least useful one that is not young (added less than Config.Grace ago) makes room; if all
// are young, the new link is skipped. When the booster's swarms take more than
// Config.MaxBytes (content length, or verified bytes while the length is unknown), the
// least useful are removed until they fit. Least useful, first to last:
//
//  1. swarms in error or stopped;
//  2. downloads past their grace that have verified nothing (no peer was found);
//  3. then swarms that are not young before young ones, and among equals: the lowest
//     upload rate first (nobody wants it from us), then the most connected seeders (others
//     serve it), then the oldest, then by swarm ID.
//
// # State
//
// STATE/booster.json (written atomically) keeps which swarms the booster added, when each
// completed and what it uploaded, the swarm IDs seen, and each feed's ETag and
// Last-Modified, so a restart neither re-adds old links nor forgets which swarms are the
// booster's. The manager keeps the swarms themselves.
package booster
