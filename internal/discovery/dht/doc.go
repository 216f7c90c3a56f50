// Package dht finds peers for swarms by swarm ID on the BitTorrent mainline DHT (BEP 5),
// using github.com/anacrolix/dht/v2 for the protocol.
//
// A DHT runs next to the swarm manager and talks to it only through the small Manager
// interface: it reads the swarm list to know what to announce and what needs peers, and
// hands the peers it finds to AddPeers, as PEX does. It never touches the engine.
//
// # Keys
//
// The DHT's keys (info-hashes) are 20 bytes. A swarm ID of 20 bytes (a SHA-1 Merkle root,
// the form libswift uses) is the key itself. Any other ID (a SHA-256 root of 32 bytes, a live
// swarm's public key) is mapped to the first 20 bytes of its SHA-256 hash: see Key. Peers
// announced under a key are PPSPP UDP addresses, not BitTorrent ones.
//
// # Traffic
//
// The DHT contacts only the bootstrap nodes it is given and the nodes those (and its saved
// routing table) lead to: anacrolix/dht's built-in public routers are never used.
//
// # State
//
// The routing table and the node ID are saved as JSON (see nodesFile) at shutdown and every
// few minutes, written atomically, and loaded at start.
package dht
