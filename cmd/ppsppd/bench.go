package main

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
)

func newBenchCmd() *cobra.Command {
	var (
		sizeMiB   int
		chunkSize uint32
		keep      bool
		profDir   string
	)
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure a transfer between a seeder and a leecher process over loopback",
		Example: `  ppsppd bench --size 256
  ppsppd bench --size 1024 --chunk-size 8192 --profile /tmp/prof`,
		Long: `Write a random file, seed it with one ppsppd process and download it with another over
127.0.0.1, then print the throughput, the CPU seconds per GiB of each process and the peak RSS
of each (from the kernel's rusage of the child processes). The copy is compared with the
original byte for byte.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkChunkSizeFlag(chunkSize); err != nil {
				return err
			}
			return runBench(cmd.OutOrStdout(), sizeMiB, chunkSize, keep, profDir)
		},
	}
	cmd.Flags().IntVar(&sizeMiB, "size", 512, "file size in MiB")
	cmd.Flags().Uint32Var(&chunkSize, "chunk-size", 1024, chunkSizeHelp)
	cmd.Flags().BoolVar(&keep, "keep", false, "keep the temporary directory")
	cmd.Flags().StringVar(&profDir, "profile", "", "write CPU profiles of both processes (seeder.prof, leecher.prof) to this directory")
	return cmd
}

func runBench(out io.Writer, sizeMiB int, chunkSize uint32, keep bool, profDir string) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "ppsppd-bench")
	if err != nil {
		return err
	}
	if !keep {
		defer os.RemoveAll(dir)
	}
	src, dst := filepath.Join(dir, "src.bin"), filepath.Join(dir, "dst.bin")
	if err := writeRandomFile(src, int64(sizeMiB)<<20); err != nil {
		return err
	}
	cs := fmt.Sprint(chunkSize)
	profile := func(name string) []string {
		if profDir == "" {
			return nil
		}
		return []string{"--cpuprofile", filepath.Join(profDir, name+".prof")}
	}
	seedArgs := append([]string{"seed", src, "--listen", "127.0.0.1:0", "--chunk-size", cs, "--log-level", "warn"}, profile("seeder")...)
	seeder := exec.Command(self, seedArgs...)
	stdout, err := seeder.StdoutPipe()
	if err != nil {
		return err
	}
	var seedErr bytes.Buffer
	seeder.Stderr = &seedErr
	if err := seeder.Start(); err != nil {
		return err
	}
	defer seeder.Process.Kill() //nolint:errcheck // already gone on the normal path
	sc := bufio.NewScanner(stdout)
	var url string
	for i := 0; i < 2 && sc.Scan(); i++ {
		url = sc.Text()
	}
	if !strings.HasPrefix(url, "tswift://") {
		return fmt.Errorf("seeder did not start: %s", seedErr.String())
	}

	leecher := exec.Command(self, append([]string{"get", url, "-o", dst, "--log-level", "warn"}, profile("leecher")...)...)
	var leechOut bytes.Buffer
	leecher.Stdout, leecher.Stderr = &leechOut, &leechOut
	start := time.Now()
	if err := leecher.Run(); err != nil {
		return fmt.Errorf("leecher: %v\n%s", err, leechOut.String())
	}
	elapsed := time.Since(start)
	_ = seeder.Process.Signal(syscall.SIGTERM)
	_ = seeder.Wait()

	if err := sameFiles(src, dst); err != nil {
		return err
	}
	gib := float64(sizeMiB) / 1024
	fmt.Fprintf(out, "transferred %d MiB with %d-byte chunks in %.2f s: %.1f MB/s\n",
		sizeMiB, chunkSize, elapsed.Seconds(), float64(int64(sizeMiB)<<20)/elapsed.Seconds()/1e6)
	for _, p := range []struct {
		name string
		ps   *os.ProcessState
	}{{"seeder", seeder.ProcessState}, {"leecher", leecher.ProcessState}} {
		ru := p.ps.SysUsage().(*syscall.Rusage)
		cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		fmt.Fprintf(out, "%-8s cpu %.2f s (%.2f s/GiB; user %.2f s, sys %.2f s), peak RSS %.1f MiB\n", p.name,
			cpu.Seconds(), cpu.Seconds()/gib, time.Duration(ru.Utime.Nano()).Seconds(), time.Duration(ru.Stime.Nano()).Seconds(),
			float64(ru.Maxrss)/1024)
	}
	return nil
}

func writeRandomFile(path string, size int64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.CopyN(f, rand.Reader, size); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func sameFiles(a, b string) error {
	fa, err := os.Open(a)
	if err != nil {
		return err
	}
	defer fa.Close()
	fb, err := os.Open(b)
	if err != nil {
		return err
	}
	defer fb.Close()
	ba, bb := make([]byte, 1<<20), make([]byte, 1<<20)
	for off := int64(0); ; off += int64(len(ba)) {
		na, ea := io.ReadFull(fa, ba)
		nb, eb := io.ReadFull(fb, bb)
		if na != nb || !bytes.Equal(ba[:na], bb[:nb]) {
			return fmt.Errorf("copy differs from the original near byte %d", off)
		}
		if ea != nil || eb != nil {
			return nil
		}
	}
}
