package main

// The control socket lets data commands (create, get, set, delete, clean,
// import, export, backup) reach a running `canaille run`, which holds the
// bbolt file: bbolt allows one process at a time. The client sends its
// command line and its standard input; the server runs the same command
// code against its open store and streams standard output, standard error
// and the exit status back.
//
// The socket is a unix socket of mode 0600 beside the database, and the
// server also checks the peer's uid (SO_PEERCRED): only the server's own
// user and root may use it.
//
// Wire format: frames of [type byte][length uint32 big-endian][payload].

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"syscall"
	"time"
)

const (
	frameRequest byte = 'R' // JSON controlRequest
	frameStdin   byte = 'I' // client standard input data; empty payload = EOF
	frameStdout  byte = 'O'
	frameStderr  byte = 'E'
	frameExit    byte = 'X' // uint32 exit status
)

// maxFrame bounds one frame; data streams are cut into frames of at most
// this size.
const maxFrame = 1 << 20

type controlRequest struct {
	Args []string `json:"args"`
}

func writeFrame(w io.Writer, typ byte, payload []byte) error {
	var hdr [5]byte
	hdr[0] = typ
	binary.BigEndian.PutUint32(hdr[1:], uint32(len(payload)))
	if _, err := w.Write(hdr[:]); err != nil {
		return err
	}
	_, err := w.Write(payload)
	return err
}

func readFrame(r io.Reader) (byte, []byte, error) {
	var hdr [5]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return 0, nil, err
	}
	n := binary.BigEndian.Uint32(hdr[1:])
	if n > maxFrame {
		return 0, nil, fmt.Errorf("control: frame of %d bytes is too large", n)
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(r, buf); err != nil {
		return 0, nil, err
	}
	return hdr[0], buf, nil
}

// frameWriter turns writes into frames of one type, serialised with the
// other streams of the same connection.
type frameWriter struct {
	mu  *sync.Mutex
	w   io.Writer
	typ byte
}

func (f frameWriter) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	written := 0
	for len(p) > 0 {
		n := min(len(p), maxFrame)
		if err := writeFrame(f.w, f.typ, p[:n]); err != nil {
			return written, err
		}
		written += n
		p = p[n:]
	}
	return written, nil
}

// stdinReader reads the client's standard input frames.
type stdinReader struct {
	r   io.Reader
	buf []byte
	eof bool
}

func (s *stdinReader) Read(p []byte) (int, error) {
	for len(s.buf) == 0 {
		if s.eof {
			return 0, io.EOF
		}
		typ, payload, err := readFrame(s.r)
		if err != nil {
			return 0, err
		}
		if typ != frameStdin {
			return 0, fmt.Errorf("control: unexpected frame %q", typ)
		}
		if len(payload) == 0 {
			s.eof = true
		}
		s.buf = payload
	}
	n := copy(p, s.buf)
	s.buf = s.buf[n:]
	return n, nil
}

// controlServer serves the control socket of a running server.
type controlServer struct {
	path string
	log  *slog.Logger
	// exec runs one command line with the given streams and returns the
	// exit status.
	exec func(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int

	ln     net.Listener
	wg     sync.WaitGroup
	cancel context.CancelFunc
}

func (c *controlServer) Name() string { return "control socket " + c.path }

// Start listens on the socket, replacing a stale socket file but refusing
// to steal one that answers.
func (c *controlServer) Start(ctx context.Context) error {
	if conn, err := net.DialTimeout("unix", c.path, time.Second); err == nil {
		conn.Close()
		return fmt.Errorf("another canaille server is already answering on %s", c.path)
	}
	if err := os.Remove(c.path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove stale control socket: %w", err)
	}
	ln, err := net.Listen("unix", c.path)
	if err != nil {
		return fmt.Errorf("control socket: %w", err)
	}
	if err := os.Chmod(c.path, 0o600); err != nil {
		ln.Close()
		return fmt.Errorf("control socket: %w", err)
	}
	c.ln = ln
	ctx, c.cancel = context.WithCancel(context.WithoutCancel(ctx))
	c.wg.Go(func() { c.serve(ctx) })
	return nil
}

func (c *controlServer) serve(ctx context.Context) {
	for {
		conn, err := c.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			c.log.Error("control socket accept", "error", err)
			time.Sleep(100 * time.Millisecond)
			continue
		}
		c.wg.Go(func() { c.handle(ctx, conn.(*net.UnixConn)) })
	}
}

func (c *controlServer) handle(ctx context.Context, conn *net.UnixConn) {
	defer conn.Close()
	if uid, err := peerUID(conn); err != nil || (uid != 0 && uid != uint32(os.Geteuid())) {
		c.log.Warn("control socket: refused a connection from another user", "uid", uid, "error", err)
		return
	}
	r := bufio.NewReader(conn)
	typ, payload, err := readFrame(r)
	if err != nil || typ != frameRequest {
		return
	}
	var req controlRequest
	if err := json.Unmarshal(payload, &req); err != nil {
		return
	}
	var mu sync.Mutex
	stdout := frameWriter{&mu, conn, frameStdout}
	stderr := frameWriter{&mu, conn, frameStderr}
	start := time.Now()
	status := c.exec(ctx, req.Args, &stdinReader{r: r}, stdout, stderr)
	c.log.Info("control command", "command", firstArg(req.Args), "status", status, "duration", time.Since(start))
	mu.Lock()
	writeFrame(conn, frameExit, binary.BigEndian.AppendUint32(nil, uint32(status)))
	mu.Unlock()
}

func firstArg(args []string) string {
	if len(args) == 0 {
		return ""
	}
	return args[0]
}

// Shutdown stops accepting, waits for running commands until ctx ends,
// and removes the socket file.
func (c *controlServer) Shutdown(ctx context.Context) error {
	if c.ln == nil {
		return nil
	}
	c.ln.Close()
	done := make(chan struct{})
	go func() { c.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		c.cancel()
	}
	os.Remove(c.path)
	return nil
}

func peerUID(conn *net.UnixConn) (uint32, error) {
	raw, err := conn.SyscallConn()
	if err != nil {
		return 0, err
	}
	var cred *syscall.Ucred
	var serr error
	err = raw.Control(func(fd uintptr) {
		cred, serr = syscall.GetsockoptUcred(int(fd), syscall.SOL_SOCKET, syscall.SO_PEERCRED)
	})
	if err != nil {
		return 0, err
	}
	if serr != nil {
		return 0, serr
	}
	return cred.Uid, nil
}

// dialControl connects to a running server's control socket; it returns
// nil, nil when no server answers there.
func dialControl(path string) (net.Conn, error) {
	conn, err := net.DialTimeout("unix", path, 2*time.Second)
	if err == nil {
		return conn, nil
	}
	if errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ENOENT) {
		return nil, nil
	}
	if errors.Is(err, os.ErrPermission) {
		return nil, fmt.Errorf("the control socket %s of the running server is not accessible to this user: run the command as the server's user (sudo -u canaille) or root", path)
	}
	return nil, fmt.Errorf("control socket %s: %w", path, err)
}

// runRemote sends args and stdin to the server and copies its output.
func runRemote(conn net.Conn, args []string, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	defer conn.Close()
	req, _ := json.Marshal(controlRequest{Args: args})
	if err := writeFrame(conn, frameRequest, req); err != nil {
		return 1, err
	}
	go func() {
		buf := make([]byte, 64<<10)
		if stdin != nil {
			for {
				n, err := stdin.Read(buf)
				if n > 0 {
					if werr := writeFrame(conn, frameStdin, buf[:n]); werr != nil {
						return
					}
				}
				if err != nil {
					break
				}
			}
		}
		writeFrame(conn, frameStdin, nil)
	}()
	r := bufio.NewReaderSize(conn, 64<<10)
	for {
		typ, payload, err := readFrame(r)
		if err != nil {
			return 1, fmt.Errorf("the server closed the control connection: %w", err)
		}
		switch typ {
		case frameStdout:
			if _, err := stdout.Write(payload); err != nil {
				return 1, err
			}
		case frameStderr:
			stderr.Write(payload)
		case frameExit:
			if len(payload) != 4 {
				return 1, errors.New("malformed exit frame")
			}
			return int(binary.BigEndian.Uint32(payload)), nil
		default:
			return 1, fmt.Errorf("unexpected frame %q", typ)
		}
	}
}
