// Package hashtree implements the Merkle hash tree of RFC 7574 §5 that protects static
// content: building it over a file on all cores, answering a seeder's "which hashes does
// this peer still need" (§5.3, §5.6.2), and verifying chunks on the receiving side (§5.2,
// §5.3, §5.6.1).
//
// The package does no I/O and keeps no goroutines after a call returns. One Tree type
// serves both roles: a tree built from content knows every hash; a tree made from a swarm
// ID alone (NewFromRoot) knows only the root and learns the rest as chunks verify. Hashes
// a peer sends are candidates until a chunk climbs through them to a hash that is already
// trusted; only then are they kept.
//
// Shape of the tree (§5.1): leaves are the hashes of the chunks (a short last chunk is
// hashed as it is, not padded); the tree is just wide enough for all leaves (the next power
// of two); a node is H(left ‖ right), except that a node covering only padding is all zero
// bytes and is not hashed. The root hash is the swarm ID.
package hashtree
