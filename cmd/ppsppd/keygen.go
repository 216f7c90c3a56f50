package main

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/spf13/cobra"

	"github.com/ppsppd/ppsppd/internal/livesig"
	"github.com/ppsppd/ppsppd/internal/swarmurl"
)

func newKeygenCmd() *cobra.Command {
	var (
		alg       string
		out       string
		chunkSize uint32
		peer      string
	)
	cmd := &cobra.Command{
		Use:   "keygen --out KEYFILE [--alg ecdsa-p256|ecdsa-p384|rsa-sha256|rsa-sha1|ed25519]",
		Short: "Make a key pair for a live stream and print its swarm ID and tswift URL",
		Example: `  ppsppd keygen --out stream.key
  ppsppd keygen --out stream.key --alg ed25519 --peer 192.0.2.7:6778`,
		Long: `Generate a live injector's key pair (RFC 7574 §6.1) and write it to KEYFILE, a PEM
PKCS#8 file with mode 0600 (libswift's -K reads it too). An existing KEYFILE is never
overwritten: the key is the stream's identity.

Prints two lines: the live swarm ID in hex (the algorithm byte and the public key, which
is what peers join), and the tswift: URL to share. ecdsa-p256 is libswift's default and
gives the shortest IDs; libswift also speaks ecdsa-p384 and rsa-sha1; rsa-sha256 and
ed25519 need an RFC 7574 peer such as ppsppd.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, err := livesig.ParseAlg(alg)
			if err != nil {
				return usagef("--alg: %w", err)
			}
			if out == "" {
				return usagef("--out KEYFILE is required")
			}
			if err := checkChunkSizeFlag(chunkSize); err != nil {
				return err
			}
			if peer != "" {
				if err := swarmurl.CheckPeer(peer); err != nil {
					return usagef("--peer: %w", err)
				}
			}
			k, err := livesig.GenerateKey(a, nil)
			if err != nil {
				return err
			}
			if err := livesig.WriteKeyFile(out, k); err != nil {
				if errors.Is(err, fs.ErrExist) {
					return fmt.Errorf("%s exists; keygen never overwrites a key (it is a stream's identity): choose another --out or remove it yourself", out)
				}
				return err
			}
			id := k.Public().SwarmID()
			link := swarmurl.Link{Peer: peer, SwarmID: id, ChunkSize: chunkSize, Size: -1, Hash: -1, Addressing: -1, Integrity: -1}
			fmt.Fprintf(cmd.ErrOrStderr(), "wrote a %v key to %s (mode 0600); keep it secret: whoever holds it can sign this stream\n", a, out)
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "%x\n%s\n", id, link)
			return err
		},
	}
	cmd.Flags().StringVar(&alg, "alg", livesig.DefaultAlg.String(), "live signature algorithm: ecdsa-p256, ecdsa-p384, rsa-sha256, rsa-sha1 or ed25519 (or the DNSSEC number)")
	cmd.Flags().StringVarP(&out, "out", "o", "", "key file to create (never overwritten)")
	cmd.Flags().Uint32Var(&chunkSize, "chunk-size", swarmurl.DefaultChunkSize, "chunk size the stream will use, for the URL's $N suffix; "+chunkSizeHelp)
	cmd.Flags().StringVar(&peer, "peer", "", "HOST:PORT the stream's source will listen on, for the URL (default: a URL without a peer)")
	return cmd
}
